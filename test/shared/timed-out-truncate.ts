import t from 'tap';
import type { Dialect } from '../../lib/index.js';
import { HOLDS, leftAsItWas, summarise, type TryRecord, pairScene } from '../helpers/failed-truncate.js';
import { allowFileMillis } from '../helpers/file-timeout.js';
import { outcomeLabel, outcomeUnknown, settle, tally } from '../helpers/outcomes.js';
import { PAIR, pairCounts, seedPair } from '../helpers/pair-tables.js';
import { holdsWithin, scratchPool, until } from '../helpers/pools.js';
import { FaultProxy } from '../helpers/proxy.js';
import { busySessions } from '../helpers/server-view.js';
import { racyTries } from '../helpers/env.js';

const TRIES = racyTries(30);

/**
 * Issue case 4 and its PostgreSQL analogue: a truncate times out while it
 * waits for a lock another session holds. It rejects with QueryTimeoutError
 * and has emptied nothing, nor does it once the other session lets go; while
 * it is being cancelled it does not hold up another caller's truncate of
 * another table — unless its error says the outcome is unknown.
 */
export function timedOutTruncateSuite(dialect: Dialect): void {
  // Five subtests of 30 tries, each try a timeout or a held lock: more than tap's default 120 s on a loaded machine.
  allowFileMillis(300_000);
  t.test(`${dialect}: a truncate that times out`, async (t) => {
    const { scratch, holder, watch, url } = await pairScene(t, dialect, 'timed_out_truncate');

    for (const hold of HOLDS) {
      t.test(`times out behind ${hold.label}: nothing emptied, then or later, ${TRIES} of ${TRIES}`, async (t) => {
        const db = scratchPool(t, { ...scratch, url }, { max: 1, queryTimeoutMillis: 150 });
        const other = scratchPool(t, { ...scratch, url }, { max: 1 });
        const records: TryRecord[] = [];
        const others: string[] = [];
        for (let i = 1; i <= TRIES; i++) {
          await seedPair(scratch);
          await holder.hold(hold.table, hold);
          const outcome = await settle(db.truncate([...PAIR]));
          t.match(outcome, { ok: false, error: { code: 'ERR_QUERY_TIMEOUT' } }, `try ${i}: QueryTimeoutError`);
          const unrelated = await settle(other.truncate('bystander', { lockTimeoutMillis: 1_000 }));
          others.push(outcomeLabel(unrelated));
          if (!outcome.ok && !outcomeUnknown(outcome.error)) {
            t.same(outcomeLabel(unrelated), 'ok', `try ${i}: a truncate of another table is not held up by the one that timed out`);
          }
          await holder.release();
          // A statement the server still runs after its cancel (MariaDB: Killed) ends once the holder is gone.
          await until(async () => (await busySessions(scratch, [holder.id])).length === 0, 5_000);
          records.push(await leftAsItWas(t, scratch, db, watch, `try ${i}`, outcome, { bystanderEmptied: unrelated.ok }));
        }
        summarise(t, records);
        t.comment(`truncates of another table while the holder held: ${JSON.stringify(tally(others))}`);
      });
    }

    t.test(
      `the truncate ends on the server after its timeout, before its cancel lands: the caller is told the truth, ${TRIES} of ${TRIES}`,
      async (t) => {
        const proxy = await FaultProxy.start(scratch.url);
        t.teardown(() => proxy.close());
        const db = scratchPool(t, { ...scratch, url: proxy.route(url) }, { max: 1, queryTimeoutMillis: 150 });
        const records: TryRecord[] = [];
        for (let i = 1; i <= TRIES; i++) {
          await seedPair(scratch);
          await db.query('SELECT 1');
          await holder.hold('p');
          proxy.holdNew();
          const outcome = await settle(db.truncate([...PAIR]));
          // The cancel is held at the proxy; the truncate goes on once p is let go, and may end before the cancel lands.
          await until(() => proxy.held > 0, 5_000);
          await holder.release();
          await holdsWithin(async () => (await busySessions(scratch, [holder.id])).length === 0, 2_000);
          proxy.releaseHeld();
          await until(() => proxy.open <= db.stats().size, 5_000);
          const counts = await pairCounts(scratch);
          const emptied = counts.p === 0 && counts.c === 0;
          records.push({ outcome: outcomeLabel(outcome), changed: emptied ? 'p,c' : '' });
          if (outcome.ok) t.ok(emptied, `try ${i}: it resolved, and p and c are empty`);
          else
            t.ok(
              !emptied || outcomeUnknown(outcome.error),
              `try ${i}: it rejected, so p and c hold their rows, unless the error says the outcome is unknown`,
            );
          watch.check(t, `try ${i}`);
        }
        summarise(t, records);
      },
    );
  });
}

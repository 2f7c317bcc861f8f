import t from 'tap';
import type { Dialect } from '../../lib/index.js';
import { HOLDS, leftAsItWas, summarise, type TryRecord, pairScene } from '../helpers/failed-truncate.js';
import { settle, untypedBecause } from '../helpers/outcomes.js';
import { PAIR, seedPair } from '../helpers/pair-tables.js';
import { scratchPool, until } from '../helpers/pools.js';
import { killSql, waitUntilStuck } from '../helpers/server-view.js';
import { dialectSql } from '../helpers/servers.js';
import { racyTries } from '../helpers/env.js';

const TRIES = racyTries(30);

/**
 * Issue case 3 and its PostgreSQL analogue: the server kills a truncate's
 * session (KILL / pg_terminate_backend) while it waits for a lock another
 * session holds. The truncate rejects with a typed error whose cause is the
 * driver's, nothing escapes as an unhandled rejection, and nothing is emptied.
 */
export function killedTruncateSuite(dialect: Dialect): void {
  t.test(`${dialect}: a truncate whose session is killed`, async (t) => {
    const { scratch, holder, watch, url } = await pairScene(t, dialect, 'killed_truncate');

    for (const hold of HOLDS) {
      t.test(`killed while it waits behind ${hold.label}: typed error, nothing emptied, ${TRIES} of ${TRIES}`, async (t) => {
        const db = scratchPool(t, { ...scratch, url }, { max: 1 });
        const records: TryRecord[] = [];
        for (let i = 1; i <= TRIES; i++) {
          await seedPair(scratch);
          const id = await db.withConnection((conn) => conn.sessionId);
          await holder.hold(hold.table, hold);
          const truncating = settle(db.truncate([...PAIR]));
          await waitUntilStuck(scratch, id);
          await scratch.admin(killSql(dialect, id, 'session'));
          const outcome = await truncating;
          await holder.release();
          // A killed statement the server still runs (MariaDB: Killed, in an InnoDB wait) goes on once the holder is gone.
          await until(async () => (await scratch.admin(dialectSql[dialect].listsSession(id))).length === 0, 5_000);
          t.notOk(outcome.ok, `try ${i}: the truncate rejected`);
          t.equal(outcome.ok ? undefined : untypedBecause(outcome.error, { needsCause: true }), undefined, `try ${i}: a typed error`);
          records.push(await leftAsItWas(t, scratch, db, watch, `try ${i}`, outcome));
        }
        summarise(t, records);
      });
    }
  });
}

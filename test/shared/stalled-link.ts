import t, { type Test } from 'tap';
import { createPool, type Dialect, type Pool } from '../../lib/index.js';
import { allowFileMillis } from '../helpers/file-timeout.js';
import { TableHolder } from '../helpers/gates.js';
import { outcomeLabel, settle, tally, untypedBecause, type Settled } from '../helpers/outcomes.js';
import { createPair, seedPair } from '../helpers/pair-tables.js';
import { sleep, within } from '../helpers/pools.js';
import { watchProcess, type ProcessWatch } from '../helpers/process-watch.js';
import { FaultProxy } from '../helpers/proxy.js';
import { clientPort, labelledUrl, waitUntilStuck } from '../helpers/server-view.js';
import { createScratch, type Scratch } from '../helpers/servers.js';
import { racyTries } from '../helpers/env.js';

/**
 * Each try stalls a link past a statement's bound and the cancel's grace
 * together, and a call that hangs costs the whole wait below: five tries show
 * a failure that comes every time.
 */
const TRIES = racyTries(5);
const STALL_MILLIS = 1_500;
/** How long a try waits for the call to settle once the link is back: several times what it needs. */
const SETTLE_LIMIT_MILLIS = 5_000;

/**
 * Found by the chaos suite (MySQL): the link of a session stalls while a
 * bounded statement runs; the statement times out on the client, the cancel
 * cannot be confirmed, and after the grace the session is given up. A
 * statement sent on it meanwhile (UNLOCK TABLES after a LOCK TABLES that timed
 * out, ROLLBACK after a statement inside a transaction that timed out) never
 * settles: the call hangs for ever, even once the link is back, and with a
 * pool of one every other caller times out waiting for the session.
 * - seed 31, family link: one truncateAll with lockTimeoutMillis while a row of p is held FOR UPDATE;
 * - seed 41, family mixed: one transaction whose last statement's link stalls.
 */
export function stalledLinkSuite(dialect: Dialect): void {
  allowFileMillis(180_000);
  t.test(`${dialect}: a call whose link stalls settles once the link is back`, async (t) => {
    const scratch = await createScratch(dialect, 'stalled_link');
    t.teardown(() => scratch.drop());
    await createPair(scratch);
    await scratch.admin(`CREATE TABLE ledger (note VARCHAR(40) NOT NULL)`);
    const holder = await TableHolder.open(scratch);
    t.teardown(() => holder.close());
    const proxy = await FaultProxy.start(scratch.url);
    t.teardown(() => proxy.close());
    const watch = watchProcess(t);
    const stall = async (id: number) => {
      const port = await clientPort(scratch, id);
      return port !== undefined && proxy.stallLink(port);
    };

    t.test(`truncateAll with lockTimeoutMillis, stalled while a row of p is held: a typed error, ${TRIES} of ${TRIES}`, (t) =>
      tries(t, scratch, proxy, watch, async (db, i) => {
        await seedPair(scratch);
        const id = await db.withConnection((conn) => conn.sessionId);
        await holder.hold('p', { forUpdate: true });
        const emptying = settle(db.truncateAll({ lockTimeoutMillis: 300 }));
        await waitUntilStuck(scratch, id);
        t.ok(await stall(id), `try ${i}: the session's link stalled at the proxy`);
        await sleep(STALL_MILLIS);
        proxy.restore();
        await holder.release();
        return emptying;
      }),
    );

    t.test(`a transaction whose statement times out on a stalled link: a typed error, ${TRIES} of ${TRIES}`, (t) =>
      tries(t, scratch, proxy, watch, async (db, i) => {
        const outcome = settle(
          db.transaction(async (tx) => {
            await tx.query(`INSERT INTO ledger (note) VALUES ('stalled-${i}')`);
            t.ok(await stall(tx.sessionId), `try ${i}: the session's link stalled at the proxy`);
            await tx.query('SELECT 1', [], { timeoutMillis: 300 });
          }),
        );
        await sleep(STALL_MILLIS);
        proxy.restore();
        return outcome;
      }),
    );
  });
}

/**
 * TRIES tries of `run`, each on a pool of its own: a pool whose call never
 * settles keeps its only session and could not be closed. Each call must
 * settle once the link is back, and reject, if it does, with a typed error.
 */
async function tries(
  t: Test,
  scratch: Scratch,
  proxy: FaultProxy,
  watch: ProcessWatch,
  run: (db: Pool, i: number) => Promise<Settled<unknown>>,
): Promise<void> {
  const seen: string[] = [];
  for (let i = 1; i <= TRIES; i++) {
    const db = createPool({ url: proxy.route(labelledUrl(scratch)), max: 1 });
    const outcome = await within(run(db, i), STALL_MILLIS + SETTLE_LIMIT_MILLIS, undefined);
    t.ok(outcome !== undefined, `try ${i}: the call settled once the link was back`);
    seen.push(outcome === undefined ? 'never settled' : outcomeLabel(outcome));
    if (outcome !== undefined && !outcome.ok) t.equal(untypedBecause(outcome.error), undefined, `try ${i}: a typed error`);
    if (outcome !== undefined) await db.close();
    watch.check(t, `try ${i}`);
  }
  t.comment(`outcomes: ${JSON.stringify(tally(seen))}`);
}

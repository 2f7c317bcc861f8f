import t, { type Test } from 'tap';
import type { Dialect, Pool } from '../../lib/index.js';
import { Gate, TableHolder, createGates, throughGate } from '../helpers/gates.js';
import { outcomeLabel, settle, tally } from '../helpers/outcomes.js';
import { PAIR, createPair, pairCounts, seedPair } from '../helpers/pair-tables.js';
import { holdsWithin, scratchPool, until } from '../helpers/pools.js';
import { watchProcess, type ProcessWatch } from '../helpers/process-watch.js';
import { FaultProxy } from '../helpers/proxy.js';
import { labelledUrl, runningTagged, truncatingSessions } from '../helpers/server-view.js';
import { createScratch, type Scratch } from '../helpers/servers.js';
import { racyTries } from '../helpers/env.js';

const TRIES = racyTries(30);

/**
 * How long a try waits to see the next caller's statement running before it
 * lets the held cancel through. The old code sends that statement within
 * milliseconds; code that keeps the session until its cancel is settled never
 * sends it, and then this is the whole wait. A wait, never an assertion.
 */
const NEXT_STATEMENT_WAIT_MILLIS = 200;

/** The caller that borrows the session next: what it runs, how to see it running, and how to let it finish. */
interface NextCaller {
  /** Sets up what will keep it waiting on the server. */
  shut(): Promise<void>;
  start(i: number): Promise<unknown>;
  running(i: number): Promise<boolean>;
  /** Lets it finish: it waits on the server until then, so the cancel finds it running. */
  release(): Promise<void>;
  /** What it must have done once it succeeded. */
  check(t: Test, i: number): Promise<void>;
}

/**
 * Issue case 1: a cancel that arrives late lands on the next caller's
 * statement. The race is made certain rather than hoped for: the first
 * statement waits on a gate and times out; the proxy holds every new
 * connection, so the cancel sent from a side connection waits there; the gate
 * opens and the first statement ends on the server; the next caller's
 * statement waits on the server too; only then does the cancel go through.
 */
export function lateCancelSuite(dialect: Dialect): void {
  t.test(`${dialect}: a late cancel never reaches the next caller`, async (t) => {
    const scratch = await createScratch(dialect, 'late_cancel');
    t.teardown(() => scratch.drop());
    await createGates(scratch);
    await createPair(scratch);
    const watch = watchProcess(t);
    const [first, second] = [await Gate.open(scratch, 1), await Gate.open(scratch, 2)];
    const holder = await TableHolder.open(scratch);
    t.teardown(async () => {
      await first.close();
      await second.close();
      await holder.close();
    });

    t.test(`max 1: the next statement, with no timeout, succeeds ${TRIES} of ${TRIES}`, (t) =>
      tries(t, scratch, first, watch, (db) => ({
        shut: () => second.shut(),
        start: (i) => db.query(throughGate(2, `op:next-${i}`)),
        running: async (i) => (await runningTagged(scratch, `op:next-${i}`)).length > 0,
        release: () => second.release(),
        check: async () => undefined,
      })),
    );

    t.test(`max 1: the next caller's truncate succeeds and empties its tables, ${TRIES} of ${TRIES}`, (t) =>
      tries(t, scratch, first, watch, (db) => ({
        shut: async () => {
          await seedPair(scratch);
          await holder.hold('p');
        },
        start: () => db.truncate([...PAIR]),
        running: async () => (await truncatingSessions(scratch, [holder.id])).length > 0,
        release: () => holder.release(),
        check: async (t, i) => {
          t.same(await pairCounts(scratch), { p: 0, c: 0, bystander: 2 }, `try ${i}: p and c were emptied`);
        },
      })),
    );
  });
}

/** TRIES tries on a pool of one session behind a proxy of its own, the next caller made for that pool. */
async function tries(t: Test, scratch: Scratch, gate: Gate, watch: ProcessWatch, nextFor: (db: Pool) => NextCaller): Promise<void> {
  const proxy = await FaultProxy.start(scratch.url);
  t.teardown(() => proxy.close());
  const db = scratchPool(t, { ...scratch, url: proxy.route(labelledUrl(scratch)) }, { max: 1, acquireTimeoutMillis: 30_000 });
  const next = nextFor(db);
  const seen: string[] = [];
  for (let i = 1; i <= TRIES; i++) {
    const outcome = await lateCancelTry(t, db, proxy, gate, next, i);
    seen.push(outcomeLabel(outcome));
    t.same(outcomeLabel(outcome), 'ok', `try ${i}: the next caller succeeded`);
    if (outcome.ok) await next.check(t, i);
    watch.check(t, `try ${i}`);
  }
  t.comment(`next caller's outcomes over ${TRIES} tries: ${JSON.stringify(tally(seen))}`);
  t.equal(Number((await db.query('SELECT 1 AS one')).rows[0]!.one), 1, 'the pool serves a plain query at the end');
}

/** One try: the first statement times out, its cancel is held, the next caller runs, then the cancel goes through. */
async function lateCancelTry(t: Test, db: Pool, proxy: FaultProxy, gate: Gate, next: NextCaller, i: number) {
  // The session is open before new connections are held; only the side connection will be.
  await db.query('SELECT 1');
  await gate.shut();
  await next.shut();
  proxy.holdNew();
  const timedOut = await settle(db.query(throughGate(gate.id, `op:first-${i}`), [], { timeoutMillis: 50 }));
  t.match(timedOut, { ok: false, error: { code: 'ERR_QUERY_TIMEOUT' } }, `try ${i}: the first statement timed out`);
  // The cancel is on its way and held: the race is set.
  await until(() => proxy.held > 0, 5_000);
  const outcome = settle(next.start(i));
  await gate.release();
  await holdsWithin(() => next.running(i), NEXT_STATEMENT_WAIT_MILLIS);
  proxy.releaseHeld();
  // The cancel lands, or finds nothing to cancel, before the next caller may go on.
  await until(() => proxy.open <= db.stats().size, 5_000);
  await next.release();
  return outcome;
}

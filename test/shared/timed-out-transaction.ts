import t, { type Test } from 'tap';
import type { Dialect, Pool } from '../../lib/index.js';
import { Gate, createGates, throughGate } from '../helpers/gates.js';
import { waitsForLock } from '../helpers/holder.js';
import { outcomeLabel, outcomeUnknown, settle, tally, type Settled } from '../helpers/outcomes.js';
import { holdsWithin, scratchPool, until } from '../helpers/pools.js';
import { watchProcess, type ProcessWatch } from '../helpers/process-watch.js';
import { FaultProxy } from '../helpers/proxy.js';
import { labelledUrl, poolSessions } from '../helpers/server-view.js';
import { createScratch, dialectSql, type Scratch } from '../helpers/servers.js';
import { racyTries } from '../helpers/env.js';

const TRIES = racyTries(30);

/**
 * PostgreSQL: a deferred constraint trigger that waits at gate 1 for rows
 * whose note starts with 'gated', so a COMMIT takes as long as the test keeps the gate shut.
 */
const GATED_COMMIT = [
  `CREATE FUNCTION wait_at_gate() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF NEW.note LIKE 'gated%' THEN PERFORM id FROM gates WHERE id = 1 FOR UPDATE; END IF;
     RETURN NULL;
   END $$`,
  `CREATE CONSTRAINT TRIGGER ledger_gate AFTER INSERT ON ledger
     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wait_at_gate()`,
];

/**
 * Issue case 2 and its neighbours: after a timeout inside a transaction,
 * COMMIT included, the next borrower of the session starts clean, and a
 * caller told of a timed-out COMMIT is never told less than the truth.
 */
export function timedOutTransactionSuite(dialect: Dialect): void {
  const q = dialectSql[dialect];

  t.test(`${dialect}: a timed-out transaction never poisons the next one`, async (t) => {
    const scratch = await createScratch(dialect, 'timed_out_tx');
    t.teardown(() => scratch.drop());
    await createGates(scratch);
    await scratch.admin(`CREATE TABLE ledger (id ${q.serialKey}, note VARCHAR(40) NOT NULL)`);
    if (dialect === 'postgres') for (const statement of GATED_COMMIT) await scratch.admin(statement);
    const gate = await Gate.open(scratch, 1);
    t.teardown(() => gate.close());
    const watch = watchProcess(t);

    t.test(`a statement times out inside a transaction: the next transaction commits, ${TRIES} of ${TRIES}`, async (t) => {
      const db = scratchPool(t, { ...scratch, url: labelledUrl(scratch) }, { max: 1 });
      const next: string[] = [];
      for (let i = 1; i <= TRIES; i++) {
        await gate.shut();
        const failed = await settle(
          db.transaction(async (tx) => {
            await tx.query(`INSERT INTO ledger (note) VALUES ('timed-out-${i}')`);
            await tx.query(throughGate(1, `op:tx-${i}`), [], { timeoutMillis: 50 });
          }),
        );
        t.match(failed, { ok: false, error: { code: 'ERR_QUERY_TIMEOUT' } }, `try ${i}: the transaction rejected with the timeout`);
        await gate.release();
        next.push(await nextTransaction(t, db, scratch, `after-statement-${i}`, watch));
      }
      t.comment(`next transaction's outcomes: ${JSON.stringify(tally(next))}`);
      t.same(await notes(scratch, 'timed-out-%'), [], 'no timed-out transaction committed anything');
    });

    if (dialect !== 'postgres') return;

    t.test(`COMMIT times out and its cancel lands on it: the next transaction commits, ${TRIES} of ${TRIES}`, async (t) => {
      const db = scratchPool(t, { ...scratch, url: labelledUrl(scratch) }, { max: 1, queryTimeoutMillis: 300 });
      const first: string[] = [];
      const next: string[] = [];
      for (let i = 1; i <= TRIES; i++) {
        await gate.shut();
        let sessionId = 0;
        const committing = settle(
          db.transaction(async (tx) => {
            sessionId = tx.sessionId;
            await tx.query(`INSERT INTO ledger (note) VALUES ('gated-${i}')`);
          }),
        );
        const outcome = await committing;
        first.push(outcomeLabel(outcome));
        t.match(outcome, { ok: false, error: { code: 'ERR_QUERY_TIMEOUT' } }, `try ${i}: the caller was told its COMMIT timed out`);
        // The gate stays shut until the cancel has ended the COMMIT, so it cannot have committed; code that
        // does not cancel a COMMIT leaves it waiting, and it commits once the gate opens: the check below allows for both.
        await holdsWithin(async () => (await scratch.admin(waitsForLock(scratch, sessionId))).length === 0, 2_000);
        await gate.release();
        await agreesWithServer(t, scratch, outcome, `gated-${i}`, `try ${i}`);
        next.push(await nextTransaction(t, db, scratch, `after-cancelled-commit-${i}`, watch));
      }
      t.comment(`timed-out COMMITs: ${JSON.stringify(tally(first))}; next transactions: ${JSON.stringify(tally(next))}`);
    });

    t.test(`COMMIT times out but completes before its cancel arrives: the caller is told so, ${TRIES} of ${TRIES}`, async (t) => {
      const proxy = await FaultProxy.start(scratch.url);
      t.teardown(() => proxy.close());
      const db = scratchPool(t, { ...scratch, url: proxy.route(labelledUrl(scratch)) }, { max: 1, queryTimeoutMillis: 300 });
      const first: string[] = [];
      const next: string[] = [];
      for (let i = 1; i <= TRIES; i++) {
        await db.query('SELECT 1');
        await gate.shut();
        proxy.holdNew();
        const outcome = await settle(db.transaction((tx) => tx.query(`INSERT INTO ledger (note) VALUES ('gated-late-${i}')`)));
        first.push(outcomeLabel(outcome));
        // The cancel is held at the proxy; the COMMIT goes through first.
        await until(() => proxy.held > 0, 5_000);
        await gate.release();
        await until(async () => (await notes(scratch, `gated-late-${i}`)).length === 1, 5_000);
        proxy.releaseHeld();
        await until(() => proxy.open <= db.stats().size, 5_000);
        await agreesWithServer(t, scratch, outcome, `gated-late-${i}`, `try ${i}`);
        next.push(await nextTransaction(t, db, scratch, `after-late-commit-${i}`, watch));
      }
      t.comment(`COMMITs that timed out and committed: ${JSON.stringify(tally(first))}; next transactions: ${JSON.stringify(tally(next))}`);
    });
  });
}

/**
 * What the caller heard agrees with what the server holds: a transaction
 * reported as failed committed nothing, unless its error says it cannot know
 * (`outcome: 'unknown'`) or that it committed.
 */
async function agreesWithServer(t: Test, scratch: Scratch, outcome: Settled<unknown>, note: string, what: string): Promise<void> {
  const committed = (await notes(scratch, note)).length === 1;
  if (outcome.ok) {
    t.ok(committed, `${what}: the transaction resolved and its row is there`);
    return;
  }
  const says = (outcome.error as { outcome?: unknown }).outcome;
  const allowed = outcomeUnknown(outcome.error) || says === 'committed';
  t.ok(!committed || allowed, `${what}: the row ${committed ? 'was committed' : 'is absent'}, and the error says outcome ${String(says)}`);
}

/** An unrelated transaction on the same (only) session: it must commit, and leave no transaction open. */
async function nextTransaction(t: Test, db: Pool, scratch: Scratch, note: string, watch: ProcessWatch): Promise<string> {
  const i = note.slice(note.lastIndexOf('-') + 1);
  const outcome = await settle(db.transaction((tx) => tx.query(`INSERT INTO ledger (note) VALUES ('${note}')`)));
  t.same(outcomeLabel(outcome), 'ok', `try ${i}: the next, unrelated transaction resolved`);
  t.same(await notes(scratch, note), [note], `try ${i}: its row was committed`);
  t.same(
    (await poolSessions(scratch)).filter((s) => s.inTransaction),
    [],
    `try ${i}: no session of the pool sits in a transaction`,
  );
  watch.check(t, `try ${i}`);
  return outcomeLabel(outcome);
}

async function notes(scratch: Scratch, pattern: string): Promise<string[]> {
  const placeholder = scratch.dialect === 'mysql' ? '?' : '$1';
  const rows = await scratch.admin(`SELECT note FROM ledger WHERE note LIKE ${placeholder} ORDER BY id`, [pattern]);
  return rows.map((row) => String(row.note));
}

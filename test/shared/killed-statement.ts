import t from 'tap';
import type { Dialect, Pool } from '../../lib/index.js';
import { Gate, createGates, throughGate } from '../helpers/gates.js';
import { notACancelAnswer, outcomeLabel, settle, tally, untypedBecause } from '../helpers/outcomes.js';
import { scratchPool, until } from '../helpers/pools.js';
import { watchProcess } from '../helpers/process-watch.js';
import { killSql, labelledUrl, runningTagged, type KillMode } from '../helpers/server-view.js';
import { createScratch } from '../helpers/servers.js';
import { racyTries } from '../helpers/env.js';

const TRIES = racyTries(30);

/** The ways a caller's statement reaches a session: one-shot, pinned, inside a transaction. */
const CALLS: Readonly<Record<string, (db: Pool, text: string) => Promise<unknown>>> = {
  'a one-shot query': (db, text) => db.query(text),
  'a query on a pinned handle': (db, text) => db.withConnection((conn) => conn.query(text)),
  'a query inside a transaction': (db, text) => db.transaction((tx) => tx.query(text)),
};

/** What each kind of kill may reach the caller as: undefined when the error is one of those. */
const MODES: readonly { mode: KillMode; label: string; expected: string; wrong: (error: unknown) => string | undefined }[] = [
  {
    mode: 'session',
    label: 'its session is killed (KILL / pg_terminate_backend)',
    expected: "a typed error with the driver's as cause",
    wrong: (error) => untypedBecause(error, { needsCause: true }),
  },
  {
    mode: 'statement',
    label: 'its statement is cancelled from outside (KILL QUERY / pg_cancel_backend)',
    expected: "the server's own cancel error",
    wrong: notACancelAnswer,
  },
];

/**
 * Found by the chaos suite (seed 7, families kill, cancel), shrunk to one
 * tagged statement: a server kill reached the caller as the driver's own error
 * (MySQL PROTOCOL_CONNECTION_LOST, PostgreSQL 57P01), not as a SqlpinError with a
 * code and the driver's error as cause. An outside cancel is a server error like
 * any other and stays the server's own (1317, 57014): the session is sound after it.
 */
export function killedStatementSuite(dialect: Dialect): void {
  t.test(`${dialect}: a statement killed or cancelled by the server`, async (t) => {
    const scratch = await createScratch(dialect, 'killed_statement');
    t.teardown(() => scratch.drop());
    await createGates(scratch);
    const gate = await Gate.open(scratch, 1);
    t.teardown(() => gate.close());
    const watch = watchProcess(t);

    for (const { mode, label, expected, wrong } of MODES) {
      for (const [call, run] of Object.entries(CALLS)) {
        t.test(`${call}, when ${label}: ${expected}, ${TRIES} of ${TRIES}`, async (t) => {
          const db = scratchPool(t, { ...scratch, url: labelledUrl(scratch) }, { max: 1 });
          const seen: string[] = [];
          for (let i = 1; i <= TRIES; i++) {
            await gate.shut();
            const tag = `op:${mode}-${i}`;
            const outcome = settle(run(db, throughGate(1, tag)));
            let id: number | undefined;
            await until(async () => {
              [id] = await runningTagged(scratch, tag);
              return id !== undefined;
            }, 5_000);
            await scratch.admin(killSql(dialect, id!, mode));
            const settled = await outcome;
            await gate.release();
            seen.push(outcomeLabel(settled));
            t.notOk(settled.ok, `try ${i}: the call rejected`);
            if (!settled.ok) t.equal(wrong(settled.error), undefined, `try ${i}: ${expected}`);
            t.equal(Number((await db.query('SELECT 1 AS one')).rows[0]!.one), 1, `try ${i}: the pool serves a plain query`);
            watch.check(t, `try ${i}`);
          }
          t.comment(`outcomes: ${JSON.stringify(tally(seen))}`);
        });
      }
    }
  });
}

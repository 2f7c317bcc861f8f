import type { Pool } from '../../lib/index.js';
import { notACancelAnswer, outcomeUnknown, settle, untypedBecause } from '../helpers/outcomes.js';
import { describeReason } from '../helpers/process-watch.js';
import { poolSessions } from '../helpers/server-view.js';
import { emptiedCounts, type OpRun, type StruckKind } from './operations.js';
import { sessionState, type World } from './world.js';

/**
 * What each invariant is about, so a run can be told to set one aside
 * (CHAOS_IGNORE) and look past a failure that is already known.
 * - process: an unhandled rejection
 * - bystander: an operation with no fault aimed at it failed, or a statement of it was cut short
 * - typed: a rejection that is not a SqlpinError with a code (and, for a kill or a cut link, the driver's error as cause);
 *   an outside cancel may also be the server's own cancel error, as any server error is
 * - explained: a typed rejection its fault does not explain (a timeout that is not ERR_QUERY_TIMEOUT…)
 * - ledger: a transaction's rows disagree with what its caller was told
 * - tables: a truncate's tables disagree with what its caller was told, right after or a little later
 * - state: an idle session with a transaction open or a setting left over
 * - hang: an operation or a statement that does not end
 * - recovery: the pool does not serve a plain query at the end
 */
export type Category = 'process' | 'bystander' | 'typed' | 'explained' | 'ledger' | 'tables' | 'state' | 'hang' | 'recovery';
export const CATEGORIES: readonly Category[] = [
  'process',
  'bystander',
  'typed',
  'explained',
  'ledger',
  'tables',
  'state',
  'hang',
  'recovery',
];

export interface Violation {
  readonly category: Category;
  readonly message: string;
}

/** The codes a fault explains; null: any sqlpin code (the contract names none for a lost session yet). */
const EXPLAINS: Readonly<Record<StruckKind, readonly string[] | null>> = {
  timeout: ['ERR_QUERY_TIMEOUT'],
  hold: ['ERR_LOCK_TIMEOUT', 'ERR_QUERY_TIMEOUT'],
  abort: ['ERR_ABORTED'],
  kill: null,
  cancel: null,
  cut: null,
  stall: null,
};

/** Faults whose error comes from the server or the driver: its error must be the cause. */
const CAUSED: readonly StruckKind[] = ['kill', 'cancel', 'cut'];

/** An operation's outcome against the faults that struck it. */
export function judgeOutcome(run: OpRun): Violation[] {
  const outcome = run.outcome!;
  const struck = run.fault.struck;
  if (struck.size === 0) {
    const failed: Violation[] = outcome.ok
      ? []
      : [{ category: 'bystander', message: `${describeRun(run)} failed: ${describeReason(outcome.error)}` }];
    return [...failed, ...run.oddities.map((odd): Violation => ({ category: 'bystander', message: `${describeRun(run)}: ${odd}` }))];
  }
  const fault = run.faultSpec;
  if (outcome.ok) {
    return fault?.kind === 'abort' && fault.before
      ? [{ category: 'explained', message: `${describeRun(run)}: its signal was aborted before the call, yet it ran and resolved` }]
      : [];
  }
  if (!struck.has('cancel') && cancelledBy(outcome.error)) {
    return [
      {
        category: 'bystander',
        message: `${describeRun(run)}: a cancel it did not have aimed at it reached it: ${describeReason(outcome.error)}`,
      },
    ];
  }
  // An outside cancel is a server error like any other: sqlpin passes it through as the driver's own.
  if (struck.has('cancel') && notACancelAnswer(outcome.error) === undefined) return [];
  const untyped = untypedBecause(outcome.error, { needsCause: [...struck].some((kind) => CAUSED.includes(kind)) });
  if (untyped !== undefined) return [{ category: 'typed', message: `${describeRun(run)}: ${untyped}` }];
  if (!explained(struck, outcome.error))
    return [{ category: 'explained', message: `${describeRun(run)}: ${describeReason(outcome.error)}` }];
  return abortedAsPromised(run, outcome.error)
    ? []
    : [
        {
          category: 'explained',
          message: `${describeRun(run)}: an abort must reject with name AbortError and the signal's reason as cause: ${describeReason(outcome.error)}`,
        },
      ];
}

/** The v0.3 contract's abort: `name: 'AbortError'`, `code: 'ERR_ABORTED'`, `cause: signal.reason`. */
function abortedAsPromised(run: OpRun, error: unknown): boolean {
  const { name, code, cause } = error as { name?: unknown; code?: unknown; cause?: unknown };
  if (code !== 'ERR_ABORTED') return true;
  return name === 'AbortError' && cause === run.controller.signal.reason;
}

/** Server errors that a cancel (KILL QUERY, pg_cancel_backend) produces, anywhere in the cause chain. */
const CANCELLED = new Set<unknown>(['57014', 'ER_QUERY_INTERRUPTED', 1317]);

function cancelledBy(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const { code, errno } = e as { code?: unknown; errno?: unknown };
    if (CANCELLED.has(code) || CANCELLED.has(errno)) return true;
  }
  return false;
}

function explained(struck: ReadonlySet<StruckKind>, error: unknown): boolean {
  const codeOf = (e: unknown) => (e as { code?: unknown } | undefined)?.code;
  const codes = [codeOf(error)];
  // A transaction reports a failure inside it as the cause of ERR_TRANSACTION_ABORTED.
  if (codes[0] === 'ERR_TRANSACTION_ABORTED') codes.push(codeOf((error as Error).cause));
  return [...struck].some((kind) => {
    const allowed = EXPLAINS[kind];
    return allowed === null || codes.some((code) => allowed.includes(code as string));
  });
}

/** Every transaction's rows agree with what its caller was told; rows of a savepoint that threw never appear. */
export async function judgeLedger(world: World, runs: readonly OpRun[]): Promise<Violation[]> {
  const ids = runs.filter((run) => run.transactions.length > 0).map((run) => run.index);
  if (ids.length === 0) return [];
  const rows = await world.scratch.admin(`SELECT note FROM ledger WHERE op IN (${ids.join(', ')})`);
  const present = new Set(rows.map((row) => String(row.note)));
  const violations: Violation[] = [];
  for (const run of runs) {
    for (const tx of run.transactions) {
      const outcome = tx.outcome;
      const seen = tx.notes.filter((note) => present.has(note));
      if (outcome?.ok && seen.length !== tx.notes.length) {
        violations.push({
          category: 'ledger',
          message: `${describeRun(run)}: a transaction resolved but only ${seen.length} of its ${tx.notes.length} rows are there`,
        });
      }
      if (outcome !== undefined && !outcome.ok && !outcomeUnknown(outcome.error) && seen.length > 0) {
        violations.push({
          category: 'ledger',
          message: `${describeRun(run)}: a transaction rejected (${describeReason(outcome.error)}) but its rows ${seen.join(', ')} were committed`,
        });
      }
      const leaked = tx.never.filter((note) => present.has(note));
      if (leaked.length > 0)
        violations.push({
          category: 'ledger',
          message: `${describeRun(run)}: rows of a savepoint that threw were committed: ${leaked.join(', ')}`,
        });
    }
  }
  return violations;
}

/** A truncate's tables, against what it was told: emptied if it resolved, as they were if it rejected (unless unknown). */
export function judgeTables(
  run: OpRun,
  before: Readonly<Record<string, number>>,
  now: Readonly<Record<string, number>>,
  when: 'right after' | 'later',
): Violation[] {
  const outcome = run.outcome!;
  if (!outcome.ok && outcomeUnknown(outcome.error)) return [];
  const expected = outcome.ok ? emptiedCounts(run.op, before) : before;
  if (JSON.stringify(expected) === JSON.stringify(now)) return [];
  const told = outcome.ok ? 'it resolved' : `it rejected (${describeReason(outcome.error)})`;
  return [
    {
      category: 'tables',
      message: `${describeRun(run)}: ${when}, ${told}, rows ${JSON.stringify(now)}; expected ${JSON.stringify(expected)}`,
    },
  ];
}

/**
 * Every session of the pool, borrowed all at once, shows the settings a fresh
 * session shows and no transaction; the admin's view finds no idle session in
 * a transaction. The borrowers are bystanders too: if one fails, that is a
 * fault reaching someone it was not aimed at.
 */
export async function judgeIdleSessions(world: World, db: Pool, max: number): Promise<Violation[]> {
  let arrived = 0;
  let open!: () => void;
  const all = new Promise<void>((resolve) => (open = resolve));
  const states = await settle(
    Promise.all(
      Array.from({ length: max }, () =>
        db.withConnection(async (conn) => {
          if (++arrived === max) open();
          await all;
          return { id: conn.sessionId, state: await sessionState(conn) };
        }),
      ),
    ),
  );
  if (!states.ok)
    return [{ category: 'bystander', message: `borrowing every session to check it failed: ${describeReason(states.error)}` }];
  const violations: Violation[] = states.value
    .filter(({ state }) => JSON.stringify(state) !== JSON.stringify(world.baseline))
    .map(({ id, state }) => ({
      category: 'state',
      message: `session ${id} came back with ${JSON.stringify(state)}; a fresh one shows ${JSON.stringify(world.baseline)}`,
    }));
  for (const session of await poolSessions(world.scratch, [world.holder.id])) {
    if (world.opened.has(session.id) && !session.busy && session.inTransaction) {
      violations.push({ category: 'state', message: `session ${session.id} sits idle in a transaction: ${JSON.stringify(session)}` });
    }
  }
  return violations;
}

/** One line for an operation: its number, what it does, and what its fault did. */
export function describeRun(run: OpRun): string {
  const { fault, ...op } = run.op;
  const faultText = fault === undefined ? 'no fault' : `fault ${JSON.stringify(fault)} → ${run.fault.details.join('; ') || 'not struck'}`;
  return `${run.tag} ${JSON.stringify(op)} [${faultText}]`;
}

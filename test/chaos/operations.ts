import type { Connection, Dialect, Pool, QueryOptions } from '../../lib/index.js';
import { settle, type Settled } from '../helpers/outcomes.js';
import type { Fault, Op, Transaction, Unit } from './scenario.js';

/** How long a pause runs when a kill, a link fault or an abort must find it running. */
export const TARGET_PAUSE_MILLIS = 250;
/** The bound put on a pause whose link is stalled, so that it ends. */
export const STALLED_PAUSE_TIMEOUT_MILLIS = 300;

/** A transaction the harness ran: the ledger notes it leaves if it commits, and those it must never leave. */
export interface TxRecord {
  readonly notes: readonly string[];
  readonly never: readonly string[];
  outcome?: Settled<unknown>;
}

/** The faults that can strike an operation ('cut' and 'stall' are the link's). */
export type StruckKind = 'timeout' | 'kill' | 'cancel' | 'cut' | 'stall' | 'hold' | 'abort';

/** What the fault did: which faults struck the operation, and what happened, missed attempts included. */
export interface FaultState {
  readonly struck: Set<StruckKind>;
  readonly details: string[];
}

/** One operation in flight: its tag, the sessions it was seen on, its transactions, and how it ended. */
export class OpRun {
  readonly index: number;
  readonly op: Op;
  /** In every statement it sends, as a comment the process list shows: `/* op:7 *\/`. */
  readonly tag: string;
  readonly sessions = new Set<number>();
  readonly transactions: TxRecord[] = [];
  /** Statements that answered, but not as they should: a pause cut short, another statement's answer. */
  readonly oddities: string[] = [];
  readonly fault: FaultState = { struck: new Set(), details: [] };
  readonly controller = new AbortController();
  outcome: Settled<unknown> | undefined;

  constructor(index: number, op: Op) {
    this.index = index;
    this.op = op;
    this.tag = `op:${index}`;
  }

  get faultSpec(): Fault | undefined {
    return this.op.fault;
  }

  /** The signal to pass, when the fault is an abort. */
  get signal(): AbortSignal | undefined {
    return this.op.fault?.kind === 'abort' ? this.controller.signal : undefined;
  }
}

/** Thrown inside a savepoint on purpose; the transaction around it catches it and goes on. */
class Deliberate extends Error {}

/** Runs one operation on the pool and keeps its outcome. */
export async function runOp(db: Pool, run: OpRun): Promise<void> {
  run.outcome = await settle(start(db, run));
}

function start(db: Pool, run: OpRun): Promise<unknown> {
  const { op } = run;
  switch (op.kind) {
    case 'pause':
      return pause(db, run, op.millis);
    case 'transaction':
      return recordTransaction(run, `${run.index}`, op, (body) => db.transaction(body, signalOf(run)));
    case 'pinned':
      return db.withConnection(async (conn) => {
        run.sessions.add(conn.sessionId);
        const results = await Promise.allSettled(op.units.map((unit, i) => runUnit(db, conn, run, unit, `${run.index}.${i}`)));
        const failed = results.find((result) => result.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      }, signalOf(run));
    case 'truncate':
    case 'truncateAll':
      return emptyTables(db, run, op);
  }
}

function runUnit(db: Pool, conn: Connection, run: OpRun, unit: Unit, path: string): Promise<unknown> {
  switch (unit.kind) {
    case 'pause':
      return pause(conn, run, unit.millis);
    case 'reenter':
      // db.query from inside the callback: it runs on the pinned session.
      return pause(db, run, unit.millis);
    case 'transaction':
      return recordTransaction(run, path, unit, (body) => conn.transaction(body, signalOf(run)));
  }
}

/** A pause tagged with its operation; a fault on the operation bounds it, or lengthens it so the fault can find it. */
async function pause(on: Pool | Connection, run: OpRun, millis: number): Promise<void> {
  const fault = run.faultSpec;
  const length = fault === undefined || fault.kind === 'timeout' ? millis : Math.max(millis, TARGET_PAUSE_MILLIS);
  const options: QueryOptions = {};
  if (fault?.kind === 'timeout') options.timeoutMillis = fault.timeoutMillis;
  if (fault?.kind === 'link' && fault.mode === 'stall') options.timeoutMillis = STALLED_PAUSE_TIMEOUT_MILLIS;
  const { rows } = await on.query(pauseText(on.dialect, run, length), [], { ...options, ...signalOf(run) });
  const row = rows[0] ?? {};
  if (Number(row.op) !== run.index) run.oddities.push(`a pause of ${run.tag} answered ${JSON.stringify(row)}`);
  // MySQL's SLEEP answers 1 instead of failing when KILL QUERY interrupts it.
  else if (Number(row.slept) === 1) run.oddities.push(`a pause of ${run.tag} was interrupted (SLEEP answered 1)`);
}

export function pauseText(dialect: Dialect, run: OpRun, millis: number): string {
  const seconds = (millis / 1000).toFixed(3);
  const sleep = dialect === 'mysql' ? `SLEEP(${seconds})` : `pg_sleep(${seconds})`;
  return `/* ${run.tag} */ SELECT ${sleep} AS slept, ${run.index} AS op`;
}

function insertText(run: OpRun, note: string): string {
  return `/* ${run.tag} */ INSERT INTO ledger (op, note) VALUES (${run.index}, '${note}')`;
}

/**
 * A transaction with inserts, then its savepoints all begun at once (they
 * queue: one unit at a time), then a tagged pause. Savepoints that throw on
 * purpose are caught and their rows must never be seen.
 */
async function recordTransaction(
  run: OpRun,
  path: string,
  spec: Transaction,
  open: (body: (tx: Connection) => Promise<void>) => Promise<void>,
): Promise<void> {
  const outer = Array.from({ length: spec.inserts }, (_, k) => `${path}.${k}`);
  const inner = spec.savepoints.map((savepoint, s) => Array.from({ length: savepoint.inserts }, (_, k) => `${path}.s${s}.${k}`));
  const record: TxRecord = {
    notes: [...outer, ...inner.filter((_, s) => !spec.savepoints[s]!.throws).flat()],
    never: inner.filter((_, s) => spec.savepoints[s]!.throws).flat(),
  };
  run.transactions.push(record);
  record.outcome = await settle(
    open(async (tx) => {
      for (const note of outer) await tx.query(insertText(run, note));
      await Promise.all(
        spec.savepoints.map((savepoint, s) =>
          tx
            .transaction(async (sp) => {
              for (const note of inner[s]!) await sp.query(insertText(run, note));
              if (savepoint.throws) throw new Deliberate('a savepoint that throws on purpose');
            })
            .catch((error: unknown) => {
              if (!(error instanceof Deliberate)) throw error;
            }),
        ),
      );
      await pause(tx, run, spec.pauseMillis);
    }),
  );
  if (!record.outcome.ok) throw record.outcome.error;
}

/** truncate or truncateAll, from the pool or inside a pinned callback (whose session the harness then knows). */
function emptyTables(db: Pool, run: OpRun, op: Extract<Op, { kind: 'truncate' | 'truncateAll' }>): Promise<void> {
  const lockTimeoutMillis = op.fault?.kind === 'hold' ? op.fault.lockTimeoutMillis : 0;
  const empty = (on: Pool | Connection) =>
    op.kind === 'truncate'
      ? on.truncate([...op.tables], { cascade: op.cascade, lockTimeoutMillis, ...signalOf(run) })
      : on.truncateAll({ except: ['ledger'], strategy: op.strategy, lockTimeoutMillis, ...signalOf(run) });
  if (op.via === 'pool') return empty(db);
  return db.withConnection(async (conn) => {
    run.sessions.add(conn.sessionId);
    await empty(conn);
  }, signalOf(run));
}

/** The operation's signal as a call's option, none when no abort is aimed at it. */
function signalOf(run: OpRun): { signal?: AbortSignal } {
  return run.signal === undefined ? {} : { signal: run.signal };
}

/** The rows a successful truncate leaves in p, c and bystander, from the rows before. */
export function emptiedCounts(op: Op, before: Readonly<Record<string, number>>): Record<string, number> {
  if (op.kind === 'truncateAll') return { p: 0, c: 0, bystander: 0 };
  if (op.kind !== 'truncate') return { ...before };
  const emptied = op.cascade ? ['p', 'c'] : op.tables;
  return Object.fromEntries(Object.entries(before).map(([table, rows]) => [table, emptied.includes(table as 'p') ? 0 : rows]));
}

import type { AbortSignalLike } from './signal.js';
import {
  NO_FRAME,
  type DialectInfo,
  type TruncateConfig,
  type TruncateFrame,
  type TruncateStrategy,
  type TruncateTarget,
} from './driver.js';
import { ConnectionLostError, InvalidArgumentError, TruncateInTransactionError } from './errors.js';
import { describe, parseTableRef, parseTableRefs, type TableName, type TableRef } from './identifiers.js';
import { BOOLEAN, MILLIS, readOptions, SIGNAL, type OptionsOwner } from './options.js';
import type { Pin } from './pin.js';
import { outcomeOf, rollBack, transact, withOutcome } from './transaction.js';
import { PLAIN_TRANSACTION } from './transaction-options.js';

export type { TruncateStrategy } from './driver.js';

/** Options of `truncate`. */
export interface TruncateOptions {
  /** Also empty every table that references the named ones, transitively. Default false. */
  cascade?: boolean;
  /** Reset AUTO_INCREMENT / sequences of every table emptied. Default true. */
  restartIdentity?: boolean;
  /**
   * Longest wait for the table locks: past it the call rejects with
   * `LockTimeoutError` naming the sessions that hold them, and nothing is
   * emptied. Default 0: wait as long as the server does. MySQL locks the
   * tables first, which needs the LOCK TABLES privilege.
   */
  lockTimeoutMillis?: number;
  /** How each table is emptied; changes the speed, never the result. Default 'truncate'. */
  strategy?: TruncateStrategy;
  /** Cancels the call when it aborts, with nothing emptied; already aborted, nothing is sent. */
  signal?: AbortSignalLike;
}

/** Options of `truncateAll`. */
export interface TruncateAllOptions extends Omit<TruncateOptions, 'strategy'> {
  /** The database (MySQL) or schema (PostgreSQL) to empty. Default: the current one. */
  schema?: string;
  /**
   * Tables to keep, each of which must exist. With `schema` given, an
   * unqualified name is looked up in that schema; otherwise as the server resolves it.
   */
  except?: readonly TableRef[];
  /** How each table is emptied; changes the speed, never the result. Default 'auto'. */
  strategy?: TruncateStrategy;
}

/** The arguments of `truncate` as callers give them. */
export interface TruncateRequest {
  tables: TableRef | readonly TableRef[];
  options?: TruncateOptions;
}

/** @internal A truncate whose arguments are all valid: names checked, options defaulted. */
export interface PreparedTruncate {
  readonly target: TruncateTarget;
  readonly options: TruncateConfig;
  readonly signal: AbortSignalLike | undefined;
}

const STRATEGIES: readonly TruncateStrategy[] = ['truncate', 'delete', 'auto'];

const TRUNCATE_OPTIONS = {
  cascade: BOOLEAN,
  restartIdentity: BOOLEAN,
  lockTimeoutMillis: MILLIS,
  strategy: { kind: 'choice', choices: STRATEGIES },
  signal: SIGNAL,
} as const;

const TRUNCATE_ALL_OPTIONS = { ...TRUNCATE_OPTIONS, schema: { kind: 'any' }, except: { kind: 'any' } } as const;

/**
 * `truncateAll`'s default. 'auto' leaves exactly what TRUNCATE leaves (the
 * tests compare them table by table) and is never slower in bench W5; see the
 * README, "Resetting between tests".
 */
const TRUNCATE_ALL_STRATEGY: TruncateStrategy = 'auto';

/**
 * The transaction the core opens and closes around a truncate of its own (see
 * `TruncateFrame`). It notes whether the dialect took the closing COMMIT, so
 * that the core knows, after a fault, whether a COMMIT was sent.
 */
class OwnTransaction implements TruncateFrame {
  readonly opening = 'BEGIN;\n';
  #closingTaken = false;

  get closing(): string {
    this.#closingTaken = true;
    return ';\nCOMMIT';
  }

  get closingTaken(): boolean {
    return this.#closingTaken;
  }
}

function owner(method: string): OptionsOwner {
  return { prefix: `${method} option`, fail: (message) => new InvalidArgumentError(message) };
}

/**
 * @internal
 * Validates every argument before a session is borrowed or SQL is sent.
 * Returns undefined for an empty list: there is nothing to do.
 */
export function prepareTruncate(dialect: DialectInfo, tables: unknown, options: unknown): PreparedTruncate | undefined {
  const given = readOptions(options, TRUNCATE_OPTIONS, owner('truncate'));
  const names = parseTableRefs(tables as TableRef | readonly TableRef[], dialect.identifierRules);
  const signal = given.signal;
  return names.length === 0 ? undefined : { target: { kind: 'tables', tables: names }, options: truncateConfig(given, 'truncate'), signal };
}

/** @internal Validates `truncateAll`'s options before a session is borrowed or SQL is sent. */
export function prepareTruncateAll(dialect: DialectInfo, options: unknown): PreparedTruncate {
  const given = readOptions(options, TRUNCATE_ALL_OPTIONS, owner('truncateAll'));
  let schema: string | undefined;
  if (given.schema !== undefined) {
    if (typeof given.schema !== 'string')
      throw new InvalidArgumentError(`truncateAll option schema is a string, not ${describe(given.schema)}`);
    // Checked as the schema part of a name: the same rules, quoting and limits apply.
    schema = parseTableRef({ schema: given.schema, name: 'x' }, dialect.identifierRules).schema;
  }
  let except: TableName[] = [];
  if (given.except !== undefined) {
    if (!Array.isArray(given.except))
      throw new InvalidArgumentError(`truncateAll option except is an array of tables, not ${describe(given.except)}`);
    except = parseTableRefs(given.except as readonly TableRef[], dialect.identifierRules).map((table) =>
      table.schema === undefined && schema !== undefined ? { schema, name: table.name } : table,
    );
  }
  const target: TruncateTarget = schema === undefined ? { kind: 'all', except } : { kind: 'all', schema, except };
  return { target, options: truncateConfig(given, TRUNCATE_ALL_STRATEGY), signal: given.signal };
}

/** The options with their defaults filled in; `strategy` is the call's own default (`truncate`'s or `truncateAll`'s). */
export function truncateConfig(
  given: {
    readonly cascade?: boolean | undefined;
    readonly restartIdentity?: boolean | undefined;
    readonly lockTimeoutMillis?: number | undefined;
    readonly strategy?: TruncateStrategy | undefined;
  },
  strategy: TruncateStrategy,
): TruncateConfig {
  return {
    cascade: given.cascade ?? false,
    restartIdentity: given.restartIdentity ?? true,
    strategy: given.strategy ?? strategy,
    lockTimeoutMillis: given.lockTimeoutMillis ?? 0,
  };
}

/**
 * @internal
 * Runs a prepared truncate as one unit on a pinned session: no sibling work
 * runs while it holds session state changed (FK checks off). Where TRUNCATE
 * commits implicitly it is refused inside any transaction; elsewhere it runs
 * in a transaction of its own, or a savepoint of the caller's, so a failure
 * changes nothing. Its statements are cut when the signal aborts.
 */
export function runTruncate<H>(pin: Pin<H>, { target, options, signal }: PreparedTruncate): Promise<void> {
  const { dialect, session } = pin;
  return pin.unit(async (unit) => {
    const empty = (frame: TruncateFrame) => session.driver.truncate(session.within(unit.signal), target, options, frame);
    const inTransaction = unit.depth > 0 || (await session.inTransactionNow());
    if (dialect.truncateCommitsImplicitly) {
      if (inTransaction) throw new TruncateInTransactionError();
      return settledFirst(pin, () => empty(NO_FRAME));
    }
    if (inTransaction) return transact(pin, unit.depth, () => settledFirst(pin, () => empty(NO_FRAME)), PLAIN_TRANSACTION);
    return inOwnTransaction(pin, empty);
  }, signal);
}

/**
 * Runs a truncate whose statements may be cut; the caller hears of a cut only
 * once the cut statement has ended, or its session was given up: a rejection
 * never comes while a statement that empties tables may still run.
 */
async function settledFirst<H>(pin: Pin<H>, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const fate = pin.session.fateOf(error);
    if (fate !== undefined) await fate;
    const running = pin.session.whenIdle();
    if (running !== undefined) await running;
    throw error;
  }
}

/**
 * The truncate's own transaction, begun and committed inside the dialect's
 * first and last messages (`OwnTransaction`). Whatever the replies say is
 * still open is closed here: committed after a truncate that ended early,
 * rolled back after one that failed. After a fault, a truncate whose COMMIT
 * took effect all the same resolves (it did what was asked); one that cannot
 * be known rejects with `outcome: 'unknown'`; any other has emptied nothing.
 */
async function inOwnTransaction<H>(pin: Pin<H>, empty: (frame: TruncateFrame) => Promise<void>): Promise<void> {
  const { session } = pin;
  const frame = new OwnTransaction();
  try {
    await empty(frame);
  } catch (error) {
    if (error instanceof ConnectionLostError) throw frame.closingTaken ? withOutcome(error, 'unknown') : error;
    // A statement that was cut may still run: what it leaves is known once it has ended.
    const fate = session.fateOf(error);
    const end = fate === undefined ? undefined : await fate;
    if (end === 'ended' && !session.inTransaction()) return;
    if (session.inTransaction()) await rollBack(pin, undefined);
    throw end === undefined || end === 'ended' || !frame.closingTaken ? error : withOutcome(error, outcomeOf(end));
  }
  if (session.inTransaction()) await session.query('COMMIT');
}

import {
  NO_FRAME,
  type DialectInfo,
  type TruncateConfig,
  type TruncateFrame,
  type TruncateStrategy,
  type TruncateTarget,
} from './driver.js';
import { InvalidArgumentError, TruncateInTransactionError } from './errors.js';
import { describe, parseTableRef, parseTableRefs, type TableName, type TableRef } from './identifiers.js';
import { BOOLEAN, MILLIS, readOptions, type OptionsOwner } from './options.js';
import type { Pin } from './pin.js';
import { rollBack, transact } from './transaction.js';

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
   * emptied. Default 0: wait as long as the server does.
   */
  lockTimeoutMillis?: number;
  /** How each table is emptied; changes the speed, never the result. Default 'truncate'. */
  strategy?: TruncateStrategy;
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

/** A truncate whose arguments are all valid: names checked, options defaulted. */
export interface PreparedTruncate {
  readonly target: TruncateTarget;
  readonly options: TruncateConfig;
}

const STRATEGIES: readonly TruncateStrategy[] = ['truncate', 'delete', 'auto'];

const TRUNCATE_OPTIONS = {
  cascade: BOOLEAN,
  restartIdentity: BOOLEAN,
  lockTimeoutMillis: MILLIS,
  strategy: { kind: 'choice', choices: STRATEGIES },
} as const;

const TRUNCATE_ALL_OPTIONS = { ...TRUNCATE_OPTIONS, schema: { kind: 'any' }, except: { kind: 'any' } } as const;

/**
 * `truncateAll`'s default. 'auto' leaves exactly what TRUNCATE leaves (the
 * tests compare them table by table) and is never slower in bench W5; see the
 * README, "Resetting between tests".
 */
const TRUNCATE_ALL_STRATEGY: TruncateStrategy = 'auto';

/** The transaction the core opens and closes around a truncate of its own; see `TruncateFrame`. */
const OWN_TRANSACTION: TruncateFrame = { opening: 'BEGIN;\n', closing: ';\nCOMMIT' };

function owner(method: string): OptionsOwner {
  return { prefix: `${method} option`, fail: (message) => new InvalidArgumentError(message) };
}

/**
 * Validates every argument before a session is borrowed or SQL is sent.
 * Returns undefined for an empty list: there is nothing to do.
 */
export function prepareTruncate(dialect: DialectInfo, tables: unknown, options: unknown): PreparedTruncate | undefined {
  const config = truncateConfig(readOptions(options, TRUNCATE_OPTIONS, owner('truncate')), 'truncate');
  const names = parseTableRefs(tables as TableRef | readonly TableRef[], dialect.identifierRules);
  return names.length === 0 ? undefined : { target: { kind: 'tables', tables: names }, options: config };
}

/** Validates `truncateAll`'s options before a session is borrowed or SQL is sent. */
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
  return { target, options: truncateConfig(given, TRUNCATE_ALL_STRATEGY) };
}

function truncateConfig(
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
 * Runs a prepared truncate as one unit on a pinned session: no sibling work
 * runs while it holds session state changed (FK checks off). Where TRUNCATE
 * commits implicitly it is refused inside any transaction; elsewhere it runs
 * in a transaction of its own, or a savepoint of the caller's, so a failure
 * changes nothing.
 */
export function runTruncate<H>(pin: Pin<H>, { target, options }: PreparedTruncate): Promise<void> {
  const { dialect, session } = pin;
  const empty = (frame: TruncateFrame) => session.driver.truncate(session, target, options, frame);
  return pin.unit(async (unit) => {
    const inTransaction = unit.depth > 0 || session.inTransaction();
    if (dialect.truncateCommitsImplicitly) {
      if (inTransaction) throw new TruncateInTransactionError();
      return empty(NO_FRAME);
    }
    if (inTransaction) return transact(pin, unit.depth, () => empty(NO_FRAME));
    return inOwnTransaction(pin, () => empty(OWN_TRANSACTION));
  });
}

/**
 * The truncate's own transaction, begun and committed inside the dialect's
 * first and last messages (`OWN_TRANSACTION`). Whatever the replies say is
 * still open is closed here: committed after a truncate that ended early,
 * rolled back after one that failed.
 */
async function inOwnTransaction<H>(pin: Pin<H>, body: () => Promise<void>): Promise<void> {
  const { session } = pin;
  try {
    await body();
  } catch (error) {
    // A statement that timed out may still run: what it leaves open is known once it has ended.
    const settling = session.whenIdle();
    if (settling !== undefined) await settling;
    if (session.inTransaction()) await rollBack(pin, undefined);
    throw error;
  }
  if (session.inTransaction()) await session.query('COMMIT');
}

import { LONGEST_TIMER_MILLIS } from './config.js';
import type { Adapter, TruncateConfig, TruncateStrategy, TruncateTarget } from './driver.js';
import { InvalidArgumentError, TruncateInTransactionError } from './errors.js';
import { describe, parseTableRef, parseTableRefs, type TableName, type TableRef } from './identifiers.js';
import type { Pin } from './pin.js';
import { transact } from './transaction.js';

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

/**
 * `truncateAll`'s default. 'auto' leaves exactly what TRUNCATE leaves (the
 * tests compare them table by table) and is never slower in bench W5; see the
 * README, "Resetting between tests".
 */
const TRUNCATE_ALL_STRATEGY: TruncateStrategy = 'auto';

/**
 * Validates every argument before a session is borrowed or SQL is sent.
 * Returns undefined for an empty list: there is nothing to do.
 */
export function prepareTruncate(adapter: Adapter, tables: unknown, options: unknown): PreparedTruncate | undefined {
  const parsedOptions = parseOptions('truncate', options, [], 'truncate');
  const names = parseTableRefs(tables as TableRef | readonly TableRef[], adapter.identifierRules);
  return names.length === 0 ? undefined : { target: { kind: 'tables', tables: names }, options: parsedOptions.config };
}

/** Validates `truncateAll`'s options before a session is borrowed or SQL is sent. */
export function prepareTruncateAll(adapter: Adapter, options: unknown): PreparedTruncate {
  const { config, given } = parseOptions('truncateAll', options, ['schema', 'except'], TRUNCATE_ALL_STRATEGY);
  let schema: string | undefined;
  if (given.schema !== undefined) {
    if (typeof given.schema !== 'string')
      throw new InvalidArgumentError(`truncateAll option schema is a string, not ${describe(given.schema)}`);
    // Checked as the schema part of a name: the same rules, quoting and limits apply.
    schema = parseTableRef({ schema: given.schema, name: 'x' }, adapter.identifierRules).schema;
  }
  let except: TableName[] = [];
  if (given.except !== undefined) {
    if (!Array.isArray(given.except))
      throw new InvalidArgumentError(`truncateAll option except is an array of tables, not ${describe(given.except)}`);
    except = parseTableRefs(given.except as readonly TableRef[], adapter.identifierRules).map((table) =>
      table.schema === undefined && schema !== undefined ? { schema, name: table.name } : table,
    );
  }
  const target: TruncateTarget = schema === undefined ? { kind: 'all', except } : { kind: 'all', schema, except };
  return { target, options: config };
}

/**
 * Runs a prepared truncate as one unit on a pinned session: no sibling work
 * runs while it holds session state changed (FK checks off). Where TRUNCATE
 * commits implicitly it is refused inside any transaction; elsewhere it runs
 * in a transaction of its own (begun and committed by the adapter with its own
 * statements, to save round trips), or a savepoint of the caller's, so a
 * failure changes nothing.
 */
export function runTruncate<H>(pin: Pin<H>, { target, options }: PreparedTruncate): Promise<void> {
  const { adapter, session } = pin;
  return pin.unit(false, async (unit) => {
    if (!adapter.truncateCommitsImplicitly)
      return transact(pin, unit.depth, (begins) => adapter.truncate(session, target, options, begins), true);
    if (unit.depth > 0 || session.inTransaction()) throw new TruncateInTransactionError();
    return adapter.truncate(session, target, options, false);
  });
}

function parseOptions(
  method: string,
  options: unknown,
  extraKeys: readonly string[],
  defaultStrategy: TruncateStrategy,
): { config: TruncateConfig; given: Record<string, unknown> } {
  if (options === undefined)
    return { config: { cascade: false, restartIdentity: true, strategy: defaultStrategy, lockTimeoutMillis: 0 }, given: {} };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${method} options are an object, not ${describe(options)}`);
  }
  const given = options as Record<string, unknown>;
  const known = ['cascade', 'restartIdentity', 'strategy', 'lockTimeoutMillis', ...extraKeys];
  const unknown = Object.keys(given).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown ${method} option ${unknown.map((key) => JSON.stringify(key)).join(', ')}`);
  const strategy = given.strategy === undefined ? defaultStrategy : given.strategy;
  if (!STRATEGIES.includes(strategy as TruncateStrategy)) {
    throw new InvalidArgumentError(
      `${method} option strategy is one of ${STRATEGIES.map((s) => `'${s}'`).join(', ')}, not ${describe(strategy)}`,
    );
  }
  return {
    config: {
      cascade: flag(method, given, 'cascade', false),
      restartIdentity: flag(method, given, 'restartIdentity', true),
      strategy: strategy as TruncateStrategy,
      lockTimeoutMillis: millis(method, given, 'lockTimeoutMillis'),
    },
    given,
  };
}

function millis(method: string, given: Record<string, unknown>, key: string): number {
  const value = given[key];
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > LONGEST_TIMER_MILLIS) {
    throw new InvalidArgumentError(
      `${method} option ${key} must be a whole number from 0 to ${LONGEST_TIMER_MILLIS}, not ${describe(value)}`,
    );
  }
  return value;
}

function flag(method: string, given: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = given[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${method} option ${key} must be true or false, not ${describe(value)}`);
  return value;
}

import { LONGEST_TIMER_MILLIS } from './config.js';
import type { Adapter, TruncateConfig } from './driver.js';
import { InvalidArgumentError, TruncateInTransactionError } from './errors.js';
import { describe, parseTableRefs, type TableName, type TableRef } from './identifiers.js';
import type { Pin } from './pin.js';
import { transact } from './transaction.js';

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
}

/** The arguments of `truncate` as callers give them. */
export interface TruncateRequest {
  tables: TableRef | readonly TableRef[];
  options?: TruncateOptions;
}

/** A truncate whose arguments are all valid: names checked, options defaulted. */
export interface PreparedTruncate {
  readonly tables: readonly TableName[];
  readonly options: TruncateConfig;
}

/**
 * Validates every argument before a session is borrowed or SQL is sent.
 * Returns undefined for an empty list: there is nothing to do.
 */
export function prepareTruncate(adapter: Adapter, tables: unknown, options: unknown): PreparedTruncate | undefined {
  const parsedOptions = parseTruncateOptions(options);
  const names = parseTableRefs(tables as TableRef | readonly TableRef[], adapter.identifierRules);
  return names.length === 0 ? undefined : { tables: names, options: parsedOptions };
}

/**
 * Runs a prepared truncate as one unit on a pinned session: no sibling work
 * runs while it holds session state changed (FK checks off). Where TRUNCATE
 * commits implicitly it is refused inside any transaction; elsewhere it runs
 * in a transaction of its own, or a savepoint of the caller's, so a failure
 * changes nothing.
 */
export function runTruncate<H>(pin: Pin<H>, { tables, options }: PreparedTruncate): Promise<void> {
  const { adapter, session } = pin;
  return pin.unit(false, async (unit) => {
    if (!adapter.truncateCommitsImplicitly) return transact(pin, unit.depth, () => adapter.truncate(session, tables, options));
    if (unit.depth > 0 || session.inTransaction()) throw new TruncateInTransactionError();
    return adapter.truncate(session, tables, options);
  });
}

function parseTruncateOptions(options: unknown): TruncateConfig {
  if (options === undefined) return { cascade: false, restartIdentity: true, lockTimeoutMillis: 0 };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`truncate options are an object, not ${describe(options)}`);
  }
  const given = options as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => !TRUNCATE_KEYS.has(key));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown truncate option ${unknown.map((key) => JSON.stringify(key)).join(', ')}`);
  return {
    cascade: flag(given, 'cascade', false),
    restartIdentity: flag(given, 'restartIdentity', true),
    lockTimeoutMillis: millis(given, 'lockTimeoutMillis'),
  };
}

const TRUNCATE_KEYS = new Set(['cascade', 'restartIdentity', 'lockTimeoutMillis']);

function millis(given: Record<string, unknown>, key: string): number {
  const value = given[key];
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > LONGEST_TIMER_MILLIS) {
    throw new InvalidArgumentError(
      `truncate option ${key} must be a whole number from 0 to ${LONGEST_TIMER_MILLIS}, not ${describe(value)}`,
    );
  }
  return value;
}

function flag(given: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = given[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`truncate option ${key} must be true or false, not ${describe(value)}`);
  return value;
}

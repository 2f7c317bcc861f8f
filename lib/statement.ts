import { LONGEST_TIMER_MILLIS } from './config.js';
import type { Adapter } from './driver.js';
import { InvalidArgumentError } from './errors.js';
import { describe } from './identifiers.js';
import { SqlQuery, compileSql } from './sql.js';

/** A query as `query()` accepts it: driver-native text with parameters, or a portable `sql` query. */
export type QueryInput = string | SqlQuery;

/** Options of one `query` call. */
export interface QueryOptions {
  /** Bound of this statement, overriding the pool's `queryTimeoutMillis`; 0 for none. */
  timeoutMillis?: number;
}

/** One statement, ready for a session. */
export interface Statement {
  readonly text: string;
  readonly params?: readonly unknown[];
  /** Undefined: the pool's `queryTimeoutMillis`. */
  readonly timeoutMillis?: number;
}

/**
 * True for the common call: driver-native text, with or without a parameter
 * array, and no options. It is sent as given, with nothing to compile or copy.
 */
export function isPlainText(query: unknown, params: unknown, options: unknown): query is string {
  return typeof query === 'string' && options === undefined && (params === undefined || Array.isArray(params));
}

/**
 * Checks `query()` arguments and turns them into text and parameters for one
 * dialect. Options come third, or second where no parameter array is given.
 */
export function toStatement(adapter: Adapter, query: unknown, params: unknown, options?: unknown): Statement {
  if (options === undefined && params !== undefined && params !== null && typeof params === 'object' && !Array.isArray(params)) {
    return toStatement(adapter, query, undefined, params);
  }
  const timeoutMillis = options === undefined ? undefined : parseQueryOptions(options);
  const statement = compile(adapter, query, params);
  return timeoutMillis === undefined ? statement : { ...statement, timeoutMillis };
}

function compile(adapter: Adapter, query: unknown, params: unknown): Statement {
  if (typeof query === 'string') {
    if (params !== undefined && !Array.isArray(params)) {
      throw new InvalidArgumentError(`query parameters are an array, not ${describe(params)}`);
    }
    return params === undefined ? { text: query } : { text: query, params };
  }
  if (query instanceof SqlQuery) {
    if (params !== undefined) throw new InvalidArgumentError('a sql`` query carries its own values; pass no parameter array');
    return compileSql(query, adapter.placeholder);
  }
  throw new InvalidArgumentError(`a query is a string or a sql\`\` query, not ${describe(query)}`);
}

function parseQueryOptions(options: unknown): number | undefined {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`query options are an object, not ${describe(options)}`);
  }
  const given = options as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => key !== 'timeoutMillis');
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown query option ${unknown.map((key) => JSON.stringify(key)).join(', ')}`);
  const value = given.timeoutMillis;
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > LONGEST_TIMER_MILLIS) {
    throw new InvalidArgumentError(`timeoutMillis must be a whole number from 0 to ${LONGEST_TIMER_MILLIS}, not ${describe(value)}`);
  }
  return value;
}

import type { AbortSignalLike } from './signal.js';
import type { DialectInfo } from './driver.js';
import { InvalidArgumentError } from './errors.js';
import { describe } from './identifiers.js';
import { checkSignal } from './bound.js';
import { MILLIS, readOptions, SIGNAL, type OptionsOwner } from './options.js';
import { SqlQuery, compileSql } from './sql.js';

/** A query as `query()` accepts it: driver-native text with parameters, or a portable `sql` query. */
export type QueryInput = string | SqlQuery;

/** Options of one `query` call. */
export interface QueryOptions {
  /** Bound of this statement, overriding the pool's `queryTimeoutMillis`; 0 for none. */
  timeoutMillis?: number;
  /** Cancels the statement (on the server, as for a timeout) when it aborts; already aborted, nothing is sent. */
  signal?: AbortSignalLike;
}

/** One statement, ready for a session. */
export interface Statement {
  readonly text: string;
  readonly params?: readonly unknown[];
  /** Undefined: the pool's `queryTimeoutMillis`. */
  readonly timeoutMillis?: number | undefined;
  readonly signal?: AbortSignalLike | undefined;
}

const QUERY_OPTIONS = { timeoutMillis: MILLIS, signal: SIGNAL } as const;
const QUERY_OPTION: OptionsOwner = { prefix: 'query option', fail: (message) => new InvalidArgumentError(message) };

/**
 * The one reader of `query()` arguments, for every entry point: text and
 * parameters for the dialect, and the call's options. Options come third, or
 * second where no parameter array is given. Plain text is sent as given.
 */
export function parseQuery(dialect: DialectInfo, query: unknown, params: unknown, options: unknown): Statement {
  if (options === undefined) {
    if (typeof query === 'string' && (params === undefined || Array.isArray(params)))
      return params === undefined ? { text: query } : { text: query, params };
    if (params !== null && typeof params === 'object' && !Array.isArray(params)) return parseQuery(dialect, query, undefined, params);
  }
  const { timeoutMillis, signal } = readOptions(options, QUERY_OPTIONS, QUERY_OPTION);
  const statement = compile(dialect, query, params);
  checkSignal(signal);
  return timeoutMillis === undefined && signal === undefined ? statement : { ...statement, timeoutMillis, signal };
}

function compile(dialect: DialectInfo, query: unknown, params: unknown): Statement {
  if (typeof query === 'string') {
    if (params !== undefined && !Array.isArray(params)) {
      throw new InvalidArgumentError(`query parameters are an array, not ${describe(params)}`);
    }
    return params === undefined ? { text: query } : { text: query, params };
  }
  if (query instanceof SqlQuery) {
    if (params !== undefined) throw new InvalidArgumentError('a sql`` query carries its own values; pass no parameter array');
    return compileSql(query, dialect);
  }
  throw new InvalidArgumentError(`a query is a string or a sql\`\` query, not ${describe(query)}`);
}

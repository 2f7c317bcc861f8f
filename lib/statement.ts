import type { Adapter } from './driver.js';
import { InvalidArgumentError } from './errors.js';
import { describe } from './identifiers.js';
import { SqlQuery, compileSql } from './sql.js';

/** A query as `query()` accepts it: driver-native text with parameters, or a portable `sql` query. */
export type QueryInput = string | SqlQuery;

/** Checks `query()` arguments and turns them into text and parameters for one dialect. */
export function toStatement(adapter: Adapter, query: unknown, params: unknown): { text: string; params?: readonly unknown[] } {
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

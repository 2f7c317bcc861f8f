import type { DialectInfo, QueryResult } from './driver.js';
import { parseQuery, type QueryInput, type QueryOptions, type Statement } from './statement.js';

/**
 * What `Pool` and `Connection` share: `query`, its arguments read once, then
 * run the way each class runs a statement (any session, or the pinned one).
 */
export abstract class Queryable {
  /**
   * Runs one statement. Plain text uses the driver's placeholders (`?` / `$1`); `sql` is portable.
   * Options (`{ timeoutMillis, signal }`) come last: third, or second after a `sql` query.
   */
  query<Row = Record<string, unknown>>(
    query: QueryInput,
    params?: readonly unknown[] | QueryOptions,
    options?: QueryOptions,
  ): Promise<QueryResult<Row>> {
    // Not async: the session's own promise is handed back rather than wrapped in another; a bad call still rejects.
    try {
      return this.runStatement<Row>(parseQuery(this.dialectInfo(), query, params, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** @internal The dialect the arguments are read for; throws where the handle may no longer be used. */
  protected abstract dialectInfo(): DialectInfo;

  /** @internal Runs a statement whose arguments were read. */
  protected abstract runStatement<Row>(statement: Statement): Promise<QueryResult<Row>>;
}

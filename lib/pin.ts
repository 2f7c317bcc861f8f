import type { Adapter, AdapterSession, ErrorReporter, QueryResult } from './driver.js';
import { toStatement } from './statement.js';

/**
 * One borrowed session for the span of one `withConnection` callback. The pool
 * keeps it in async context so nested calls reuse it; `live` turns false when
 * the callback settles, which revokes its handle and ends the pin.
 */
export class Pin {
  live = true;
  /** Open transaction levels: 0 outside, 1 in BEGIN, 2+ in savepoints. */
  depth = 0;
  /** The server session's id; behind a transaction pooler, that of the transaction the pin runs in. */
  id: number;
  readonly session: AdapterSession;
  readonly adapter: Adapter;
  readonly report: ErrorReporter;

  constructor(session: AdapterSession, adapter: Adapter, report: ErrorReporter) {
    this.session = session;
    this.id = session.id;
    this.adapter = adapter;
    this.report = report;
  }

  query<Row>(query: unknown, params: unknown): Promise<QueryResult<Row>> {
    const statement = toStatement(this.adapter, query, params);
    return this.session.query<Row>(statement.text, statement.params);
  }
}

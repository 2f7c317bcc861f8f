import type { Adapter, AdapterSession, Dialect, ErrorReporter, QueryResult } from '../adapters/adapter.js';
import { ConnectionReleasedError } from './errors.js';
import { toStatement, type QueryInput } from './statement.js';
import { runTransaction } from './transaction.js';
import { prepareTruncate, runTruncate, type TruncateRequest } from './truncate.js';

/**
 * One borrowed session for the span of one `withConnection` callback. The pool
 * keeps it in async context so nested calls reuse it; `live` turns false when
 * the callback settles, which revokes the handle and ends the pin.
 */
export class Pin {
  live = true;
  /** Open transaction levels: 0 outside, 1 in BEGIN, 2+ in savepoints. */
  depth = 0;
  readonly session: AdapterSession;
  readonly adapter: Adapter;
  readonly report: ErrorReporter;
  readonly handle: Connection;

  constructor(session: AdapterSession, adapter: Adapter, report: ErrorReporter) {
    this.session = session;
    this.adapter = adapter;
    this.report = report;
    this.handle = new Connection(this);
  }

  query<Row>(query: unknown, params: unknown): Promise<QueryResult<Row>> {
    const statement = toStatement(this.adapter, query, params);
    return this.session.query<Row>(statement.text, statement.params);
  }
}

/**
 * The handle a `withConnection` or `transaction` callback receives: every
 * query through it runs on the same server session. It has no `release()`;
 * after the callback settles every method throws `ConnectionReleasedError`.
 */
export class Connection {
  readonly #pin: Pin;

  constructor(pin: Pin) {
    this.#pin = pin;
  }

  /** CONNECTION_ID() on MySQL, pg_backend_pid() on PostgreSQL. */
  get sessionId(): number {
    return this.#live().session.id;
  }

  get dialect(): Dialect {
    return this.#pin.adapter.dialect;
  }

  /** Runs one statement on this session. */
  query<Row = Record<string, unknown>>(query: QueryInput, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    // Not async: the session's own promise is handed back rather than wrapped in another
    // (a wrapper costs a promise and two extra ticks per query); a bad call still rejects.
    try {
      return this.#live().query<Row>(query, params);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `truncate` on this session; see `Pool.truncate`. */
  async truncate(tables: TruncateRequest['tables'], options?: TruncateRequest['options']): Promise<void> {
    const pin = this.#live();
    const prepared = prepareTruncate(pin.adapter, tables, options);
    if (prepared !== undefined) await runTruncate(pin, prepared);
  }

  /** BEGIN..COMMIT on this session, ROLLBACK on throw; nested calls become savepoints. */
  async transaction<T>(fn: (tx: Connection) => Promise<T> | T): Promise<T> {
    return runTransaction(this.#live(), fn);
  }

  #live(): Pin {
    if (!this.#pin.live) throw new ConnectionReleasedError();
    return this.#pin;
  }
}

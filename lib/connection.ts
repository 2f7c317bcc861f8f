import type { Dialect, QueryResult } from './driver.js';
import { ConnectionReleasedError, InvalidArgumentError } from './errors.js';
import { describe } from './identifiers.js';
import type { Pin } from './pin.js';
import type { QueryInput, QueryOptions } from './statement.js';
import { runTransaction } from './transaction.js';
import { prepareTruncate, prepareTruncateAll, runTruncate, type TruncateAllOptions, type TruncateRequest } from './truncate.js';

/**
 * The handle a `withConnection` or `transaction` callback receives: every
 * query through it runs on the same server session. It has no `release()`;
 * after the callback settles every method throws `ConnectionReleasedError`.
 */
export class Connection {
  readonly #pin: Pin<Connection>;

  /** @internal The pool hands out handles; there is no public way to make one. */
  constructor(pin: Pin<Connection>) {
    this.#pin = pin;
  }

  /** CONNECTION_ID() on MySQL, pg_backend_pid() on PostgreSQL; behind a transaction pooler, the backend of this callback's transaction. */
  get sessionId(): number {
    return this.#live().id;
  }

  get dialect(): Dialect {
    return this.#pin.adapter.dialect;
  }

  /** Runs one statement on this session; see `Pool.query`. */
  query<Row = Record<string, unknown>>(
    query: QueryInput,
    params?: readonly unknown[] | QueryOptions,
    options?: QueryOptions,
  ): Promise<QueryResult<Row>> {
    // Not async: the session's own promise is handed back rather than wrapped in another
    // (a wrapper costs a promise and two extra ticks per query); a bad call still rejects.
    try {
      return this.#live().query<Row>(query, params, options);
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

  /** `truncateAll` on this session; see `Pool.truncateAll`. */
  async truncateAll(options?: TruncateAllOptions): Promise<void> {
    const pin = this.#live();
    await runTruncate(pin, prepareTruncateAll(pin.adapter, options));
  }

  /** BEGIN..COMMIT on this session, ROLLBACK on throw; nested calls become savepoints. */
  async transaction<T>(fn: (tx: Connection) => Promise<T> | T): Promise<T> {
    const pin = this.#live();
    if (typeof fn !== 'function') throw new InvalidArgumentError(`transaction takes a function, not ${describe(fn)}`);
    return runTransaction(pin, () => fn(this));
  }

  #live(): Pin<Connection> {
    if (!this.#pin.live) throw new ConnectionReleasedError();
    return this.#pin;
  }
}

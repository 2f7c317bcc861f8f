import type { Dialect, DialectInfo, QueryResult } from './driver.js';
import { ConnectionReleasedError, InvalidArgumentError } from './errors.js';
import { describe } from './identifiers.js';
import type { Pin } from './pin.js';
import { Queryable } from './queryable.js';
import type { Statement } from './statement.js';
import { retried, runTransaction } from './transaction.js';
import { prepareTransaction, type TransactionOptions } from './transaction-options.js';
import { prepareTruncate, prepareTruncateAll, runTruncate, type TruncateAllOptions, type TruncateRequest } from './truncate.js';

/** Proves a handle is made by sqlpin: users get handles from callbacks, never from `new`. */
const MADE_BY_SQLPIN = Symbol('sqlpin connection');

/**
 * The handle a `withConnection` or `transaction` callback receives: every
 * query through it runs on the same server session. It has no `release()`;
 * after the callback settles every method throws `ConnectionReleasedError`.
 */
export class Connection extends Queryable {
  readonly #pin: Pin<Connection>;

  private constructor(token: symbol, pin: Pin<Connection>) {
    super();
    if (token !== MADE_BY_SQLPIN)
      throw new InvalidArgumentError('a Connection comes from withConnection or transaction; it cannot be made with new');
    this.#pin = pin;
  }

  /** @internal The handle of a pin. */
  static of(pin: Pin<Connection>): Connection {
    return new Connection(MADE_BY_SQLPIN, pin);
  }

  /** CONNECTION_ID() on MySQL, pg_backend_pid() on PostgreSQL; behind a transaction pooler, the backend of this callback's transaction. */
  get sessionId(): number {
    return this.#live().id;
  }

  get dialect(): Dialect {
    return this.#pin.dialect.name;
  }

  /** @internal `query` reads its arguments for the pinned session's dialect, once the handle is known to be live. */
  protected dialectInfo(): DialectInfo {
    return this.#live().dialect;
  }

  /** @internal `query` runs on the pinned session. */
  protected runStatement<Row>(statement: Statement): Promise<QueryResult<Row>> {
    return this.#pin.query<Row>(statement);
  }

  /** `truncate` on this session; see `Pool.truncate`. */
  async truncate(tables: TruncateRequest['tables'], options?: TruncateRequest['options']): Promise<void> {
    const pin = this.#live();
    const prepared = prepareTruncate(pin.dialect, tables, options);
    if (prepared !== undefined) await runTruncate(pin, prepared);
  }

  /** `truncateAll` on this session; see `Pool.truncateAll`. */
  async truncateAll(options?: TruncateAllOptions): Promise<void> {
    const pin = this.#live();
    await runTruncate(pin, prepareTruncateAll(pin.dialect, options));
  }

  /** BEGIN..COMMIT on this session, ROLLBACK on throw; nested calls become savepoints. See `Pool.transaction`. */
  async transaction<T>(fn: (tx: Connection) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    const pin = this.#live();
    if (typeof fn !== 'function') throw new InvalidArgumentError(`transaction takes a function, not ${describe(fn)}`);
    const config = prepareTransaction(options);
    return retried(
      pin.dialect,
      config,
      () => pin.session,
      () => runTransaction(pin, () => fn(this), config),
    );
  }

  #live(): Pin<Connection> {
    if (!this.#pin.admits()) throw new ConnectionReleasedError();
    return this.#pin;
  }
}

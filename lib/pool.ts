import type { AbortSignalLike } from './signal.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { parsePoolOptions, type PoolConfig, type PoolOptions } from './config.js';
import { Connection } from './connection.js';
import { DIALECTS } from './dialects.js';
import type { Dialect, DialectInfo, Driver, QueryResult } from './driver.js';
import { checkSignal } from './bound.js';
import { InvalidArgumentError, PoolClosedError } from './errors.js';
import { describe } from './identifiers.js';
import { readOptions, SIGNAL, type OptionsOwner } from './options.js';
import { Pin, type PinContext } from './pin.js';
import { pinByTransaction } from './pooler.js';
import { SessionPool } from './session-pool.js';
import type { ManagedSession } from './session.js';
import { Queryable } from './queryable.js';
import type { Statement } from './statement.js';
import { retried } from './transaction.js';
import { prepareTransaction, PLAIN_TRANSACTION, type TransactionMode, type TransactionOptions } from './transaction-options.js';
import {
  prepareTruncate,
  prepareTruncateAll,
  runTruncate,
  type PreparedTruncate,
  type TruncateAllOptions,
  type TruncateRequest,
} from './truncate.js';

/** Counts of the pool's sessions, as `stats()` returns them. */
export interface PoolStats {
  /** Sessions open or being opened. */
  readonly size: number;
  /** Idle sessions ready to hand out. */
  readonly available: number;
  /** Sessions lent to callers. */
  readonly borrowed: number;
  /** Callers waiting for a session. */
  readonly pending: number;
  readonly min: number;
  readonly max: number;
  /** sqlpin's own read-only statements run again after a deadlock (Galera), since the pool opened. */
  readonly retriedReads: number;
}

/** Options of `withConnection`. */
export interface WithConnectionOptions {
  /** Cancels the statement running on the pinned session (on the server) when it aborts; later ones are refused. */
  signal?: AbortSignalLike;
}

const WITH_CONNECTION_OPTIONS = { signal: SIGNAL } as const;
const WITH_CONNECTION: OptionsOwner = { prefix: 'withConnection option', fail: (message) => new InvalidArgumentError(message) };

/** Proves a pool is made by sqlpin: users call `createPool`. */
const MADE_BY_SQLPIN = Symbol('sqlpin pool');

/**
 * A pool of server sessions for one database. Create it with `createPool`.
 * Every method that needs a session borrows it through `#borrow`, and inside
 * a pinned callback every method reuses that callback's session.
 */
export class Pool extends Queryable {
  readonly dialect: Dialect;
  readonly #info: DialectInfo;
  readonly #config: PoolConfig;
  readonly #sessions: SessionPool;
  readonly #pins = new AsyncLocalStorage<PinContext<Connection>>();

  private constructor(token: symbol, config: PoolConfig, driver?: Promise<Driver>) {
    super();
    if (token !== MADE_BY_SQLPIN) throw new InvalidArgumentError('a Pool is made with createPool(options), not with new');
    this.#config = config;
    this.dialect = config.dialect;
    this.#info = DIALECTS[config.dialect];
    this.#sessions = new SessionPool(config, this.#info, driver);
  }

  /** @internal `createPool`; tests pass a driver of their own. */
  static open(config: PoolConfig, driver?: Promise<Driver>): Pool {
    return new Pool(MADE_BY_SQLPIN, config, driver);
  }

  /** @internal */
  protected dialectInfo(): DialectInfo {
    return this.#info;
  }

  /** @internal `query` runs on the callback's pinned session inside one, else on any session. */
  protected runStatement<Row>(statement: Statement): Promise<QueryResult<Row>> {
    const pinned = this.#pins.getStore();
    if (pinned?.pin.admits()) return pinned.pin.query<Row>(statement);
    const { text, params: values, timeoutMillis, signal } = statement;
    if (timeoutMillis === undefined && signal === undefined)
      return this.#borrow({ session: (session) => session.query<Row>(text, values) });
    return this.#borrow({ session: (session) => session.query<Row>(text, values, { timeoutMillis, signal }) }, signal);
  }

  /**
   * Pins one session for the whole callback: every query through `conn`, and
   * every `db.*` call made inside the callback, runs on it. The session goes
   * back (or is destroyed) when the callback settles, and `conn` is revoked.
   */
  withConnection<T>(fn: (conn: Connection) => Promise<T> | T, options?: WithConnectionOptions): Promise<T> {
    try {
      if (typeof fn !== 'function') throw new InvalidArgumentError(`withConnection takes a function, not ${describe(fn)}`);
      const { signal } = readOptions(options, WITH_CONNECTION_OPTIONS, WITH_CONNECTION);
      checkSignal(signal);
      const current = this.#pins.getStore();
      if (current?.pin.admits()) return new Promise<T>((resolve) => resolve(fn(current.pin.handle)));
      const pinned = this.#pinned(fn, signal, PLAIN_TRANSACTION.mode);
      if (signal === undefined) return pinned;
      // A signal that aborted during the callback makes the call reject, whatever the callback returned.
      return pinned.then((result) => {
        checkSignal(signal);
        return result;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * BEGIN..COMMIT on one session, ROLLBACK on throw; inside another
   * transaction it nests as a SAVEPOINT. With `retries`, the callback runs
   * again when the server rolls the transaction back over a conflict it says
   * to retry: it must be safe to run more than once.
   */
  async transaction<T>(fn: (tx: Connection) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError(`transaction takes a function, not ${describe(fn)}`);
    const config = prepareTransaction(options);
    checkSignal(config.signal);
    // Behind a transaction pooler a fresh pin is already a transaction, with the same commit and rollback.
    if (this.#config.pooler !== undefined && !this.#pins.getStore()?.pin.admits()) {
      return retried(
        this.#info,
        config,
        () => undefined,
        () => this.#pinned(fn, config.signal, config.mode),
      );
    }
    // Not through withConnection: a transaction whose COMMIT took effect resolves, even if its signal aborted meanwhile.
    const current = this.#pins.getStore();
    if (current?.pin.admits()) return current.pin.handle.transaction(fn, options);
    return this.#pinned((conn) => conn.transaction(fn, options), config.signal, PLAIN_TRANSACTION.mode);
  }

  /**
   * Empties tables that foreign keys may reference, on one pinned session.
   * Every name is validated and resolved before anything is emptied.
   */
  async truncate(tables: TruncateRequest['tables'], options?: TruncateRequest['options']): Promise<void> {
    return this.#truncate(prepareTruncate(this.#info, tables, options));
  }

  /**
   * Empties every base table of the current database / schema (or `schema`)
   * but those in `except`, with the guarantees of `truncate`: the reset
   * between tests. An `except` name that does not exist is `TableNotFoundError`.
   */
  async truncateAll(options?: TruncateAllOptions): Promise<void> {
    return this.#truncate(prepareTruncateAll(this.#info, options));
  }

  async #truncate(prepared: PreparedTruncate | undefined): Promise<void> {
    const pin = this.#pins.getStore()?.pin;
    if (pin?.admits()) return prepared === undefined ? undefined : runTruncate(pin, prepared);
    // Nothing to empty is still new work: a closed pool says so, as for any other call.
    if (this.#sessions.closed) throw new PoolClosedError();
    if (prepared === undefined) return;
    return this.#borrow({ pin: (fresh) => runTruncate(fresh, prepared) }, prepared.signal);
  }

  /** Counts of sessions and waiting callers. */
  stats(): PoolStats {
    return { ...this.#sessions.stats(), min: this.#config.min, max: this.#config.max };
  }

  /** Refuses new work, waits for borrowed sessions to come back, then closes every session. Idempotent. */
  close(): Promise<void> {
    return this.#sessions.close();
  }

  /** A pinned callback on a session of its own; behind a transaction pooler, inside the transaction that pins it. */
  #pinned<T>(fn: (conn: Connection) => Promise<T> | T, signal: AbortSignalLike | undefined, mode: TransactionMode): Promise<T> {
    const pin = (pin: Pin<Connection>) => {
      const run = () => this.#pins.run({ pin, scope: pin.root }, () => fn(pin.handle));
      return this.#config.pooler === undefined ? run() : pinByTransaction(pin, pin.session.driver.transactionPin!, mode, run);
    };
    return this.#borrow({ pin }, signal);
  }

  /**
   * The one place that borrows a session: lend, run, and give back in one
   * `finally`. Giving back never throws, so the work's own error is what the caller sees.
   * Pinned work gets a pin around the session, ended in the same `finally` (one
   * async frame for both, as every withConnection takes this path): the pin
   * ends, and its running unit finishes, before the session goes back. Its
   * result is the call's: a truncate or transaction whose COMMIT took effect
   * resolves, even if its signal aborted meanwhile (withConnection adds its own rule).
   */
  async #borrow<T>(work: Work<T>, signal?: AbortSignalLike): Promise<T> {
    const request = this.#sessions.request(signal);
    const taken = await request.slot;
    const slot = this.#sessions.admit(taken) ?? (await this.#sessions.replace(taken, request));
    let pin: Pin<Connection> | undefined;
    try {
      if ('session' in work) return await work.session(slot.session);
      pin = new Pin(slot.session, this.#info, this.#config.report, this.#pins, Connection.of, signal);
      return await work.pin(pin);
    } finally {
      if (pin !== undefined) {
        pin.live = false;
        // A unit the callback left running still owns the session: it goes back only after.
        const running = pin.root.idle();
        if (running !== undefined) await running;
      }
      // Usually nothing to wait for: the session went straight back.
      const cleaning = this.#sessions.giveBack(slot);
      if (cleaning !== undefined) await cleaning;
    }
  }
}

/** What a borrow runs: a statement on the bare session, or work on a pin around it. */
type Work<T> =
  | { readonly session: (session: ManagedSession) => Promise<T> | T }
  | { readonly pin: (pin: Pin<Connection>) => Promise<T> | T };

/**
 * Creates a pool. Options are validated at once (`ConfigError`); no session
 * is opened until one is needed, or `min` asks for it.
 */
export function createPool(options: PoolOptions): Pool {
  return Pool.open(parsePoolOptions(options));
}

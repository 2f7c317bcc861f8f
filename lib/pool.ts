import { AsyncLocalStorage } from 'node:async_hooks';
import genericPool from 'generic-pool';
import { parsePoolOptions, type PoolConfig, type PoolOptions } from './config.js';
import { Connection } from './connection.js';
import { loadAdapter } from './dialects.js';
import type { Adapter, AdapterSession, Dialect, ErrorReporter, QueryResult } from './driver.js';
import { ConnectionError, InvalidArgumentError, PoolClosedError, PoolTimeoutError } from './errors.js';
import { describe } from './identifiers.js';
import { Lifetimes } from './lifetime.js';
import { Pin, type PinContext } from './pin.js';
import { pinByTransaction } from './pooler.js';
import { isPlainText, toStatement, type QueryInput, type QueryOptions } from './statement.js';
import { publishPoolEvent, type PoolEvent } from './tracing.js';
import {
  prepareTruncate,
  prepareTruncateAll,
  runTruncate,
  type PreparedTruncate,
  type TruncateAllOptions,
  type TruncateRequest,
} from './truncate.js';

/** What generic-pool holds: an open session, or the failure of one attempt to open one. */
interface Slot {
  readonly session?: AdapterSession;
  readonly failure?: unknown;
  /**
   * For a failure, its place among failed opens: a waiter fails with one that
   * happened while it waited, and retries past one that sat idle before it came.
   */
  readonly failureNumber?: number;
  /** Set just before the pool drops the session: how and why it leaves, for `sqlpin:pool`. */
  ending?: Ending;
}

type Ending = Required<Pick<PoolEvent, 'event' | 'reason'>>;
const IDLE: Ending = { event: 'close', reason: 'idle timeout' };
const POOL_CLOSED: Ending = { event: 'close', reason: 'pool closed' };
const RETIRED: Ending = { event: 'close', reason: 'maxLifetimeMillis or maxUses reached' };
const UNUSABLE: Ending = { event: 'destroy', reason: 'unusable: a fatal error, killed by the server, or its state unknown' };

/** The one field of generic-pool's own that sqlpin touches: its options, read by `acquire` when it queues a request. */
interface GenericPoolInternals {
  readonly _config: { acquireTimeoutMillis: number | undefined };
}

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

/**
 * A pool of server sessions for one database. Create it with `createPool`.
 * Every method that needs a session borrows it through `withConnection`, and
 * inside a pinned callback every method reuses that callback's session.
 */
export class Pool {
  readonly dialect: Dialect;
  /** Set once the adapter has loaded; until then calls wait for `#loading`. */
  #adapter: Adapter | undefined;
  readonly #loading: Promise<Adapter>;
  readonly #sessions: genericPool.Pool<Slot>;
  readonly #pins = new AsyncLocalStorage<PinContext<Connection>>();
  readonly #config: PoolConfig;
  readonly #report: ErrorReporter;
  readonly #lifetimes: Lifetimes;
  #failures = 0;
  #lastFailure: Slot | undefined;
  #closed: Promise<void> | undefined;

  /** @internal Use `createPool`; tests inject an adapter here. */
  constructor(config: PoolConfig, adapter: Promise<Adapter>) {
    this.#config = config;
    this.dialect = config.dialect;
    this.#report = config.report;
    this.#lifetimes = new Lifetimes(config.maxLifetimeMillis, config.maxUses);
    this.#loading = adapter;
    // A failed load (a driver not installed) reaches every caller that awaits `#loading`.
    adapter.then(
      (loaded) => {
        this.#adapter = loaded;
      },
      () => undefined,
    );
    this.#sessions = genericPool.createPool<Slot>(
      {
        create: () => this.#open(),
        destroy: async (slot) => {
          const { session } = slot;
          if (session === undefined) return;
          await session.close();
          const { event, reason } = slot.ending ?? (this.#closed === undefined ? IDLE : POOL_CLOSED);
          publishPoolEvent(() => ({ event, reason, dialect: this.dialect, sessionId: session.id }));
        },
      },
      {
        min: config.min,
        max: config.max,
        // No acquireTimeoutMillis here: generic-pool would arm a timer on every acquire, even one
        // served at once; `#wait` sets it for a caller that must wait. `create` never rejects, so
        // generic-pool cannot loop on failed opens either way.
        fifo: config.order === 'fifo',
        // Idle sessions above `min` are closed; `min` is kept.
        softIdleTimeoutMillis: config.idleTimeoutMillis === 0 ? -1 : config.idleTimeoutMillis,
        idleTimeoutMillis: Number.POSITIVE_INFINITY,
        evictionRunIntervalMillis: config.idleTimeoutMillis === 0 ? 0 : Math.min(config.idleTimeoutMillis, 1_000),
        numTestsPerEvictionRun: config.max,
      },
    );
    this.#sessions.on('factoryDestroyError', this.#report);
  }

  /**
   * Runs one statement on any session. Plain text uses the driver's placeholders (`?` / `$1`); `sql` is portable.
   * Options (`{ timeoutMillis }`) come last: third, or second after a `sql` query.
   */
  query<Row = Record<string, unknown>>(
    query: QueryInput,
    params?: readonly unknown[] | QueryOptions,
    options?: QueryOptions,
  ): Promise<QueryResult<Row>> {
    // Not async, like Connection.query: the inner promise is handed back as is; a bad call still rejects.
    try {
      const pinned = this.#pins.getStore();
      if (pinned?.pin.live) return pinned.pin.query<Row>(query, params, options);
      const adapter = this.#adapter;
      if (adapter === undefined) return this.#loading.then(() => this.query<Row>(query, params, options));
      // The common call: acquire, send the text as given, give back.
      if (isPlainText(query, params, options)) {
        return this.#borrow((session) => session.query<Row>(query, params as readonly unknown[] | undefined));
      }
      const { text, params: values, timeoutMillis } = toStatement(adapter, query, params, options);
      return this.#borrow((session) => session.query<Row>(text, values, timeoutMillis));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Pins one session for the whole callback: every query through `conn`, and
   * every `db.*` call made inside the callback, runs on it. The session goes
   * back (or is destroyed) when the callback settles, and `conn` is revoked.
   */
  withConnection<T>(fn: (conn: Connection) => Promise<T> | T): Promise<T> {
    // Not async, like query: the borrow's promise is handed back rather than wrapped; a bad call still rejects.
    if (typeof fn !== 'function') return Promise.reject(new InvalidArgumentError(`withConnection takes a function, not ${describe(fn)}`));
    const current = this.#pins.getStore();
    if (current?.pin.live) return new Promise<T>((resolve) => resolve(fn(current.pin.handle)));
    return this.#borrow((_session, adapter, pinned) => {
      const pin = pinned!;
      const run = () => this.#pins.run({ pin, scope: pin.root }, () => fn(pin.handle));
      return this.#config.pooler === undefined ? run() : pinByTransaction(pin, adapter.transactionPin!, run);
    }, true);
  }

  /** BEGIN..COMMIT on one session, ROLLBACK on throw; inside another transaction it nests as a SAVEPOINT. */
  async transaction<T>(fn: (tx: Connection) => Promise<T> | T): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError(`transaction takes a function, not ${describe(fn)}`);
    // Behind a transaction pooler a fresh pin is already a transaction, with the same commit and rollback.
    if (this.#config.pooler !== undefined && !this.#pins.getStore()?.pin.live) return this.withConnection(fn);
    return this.withConnection((conn) => conn.transaction(fn));
  }

  /**
   * Empties tables that foreign keys may reference, on one pinned session.
   * Every name is validated and resolved before anything is emptied.
   */
  async truncate(tables: TruncateRequest['tables'], options?: TruncateRequest['options']): Promise<void> {
    const pin = this.#pins.getStore()?.pin;
    return this.#truncate(pin, prepareTruncate(pin?.adapter ?? this.#adapter ?? (await this.#loading), tables, options));
  }

  /**
   * Empties every base table of the current database / schema (or `schema`)
   * but those in `except`, with the guarantees of `truncate`: the reset
   * between tests. An `except` name that does not exist is `TableNotFoundError`.
   */
  async truncateAll(options?: TruncateAllOptions): Promise<void> {
    const pin = this.#pins.getStore()?.pin;
    return this.#truncate(pin, prepareTruncateAll(pin?.adapter ?? this.#adapter ?? (await this.#loading), options));
  }

  async #truncate(pin: Pin<Connection> | undefined, prepared: PreparedTruncate | undefined): Promise<void> {
    // Nothing to empty is still new work: a closed pool says so, as for any other call.
    if (this.#closed !== undefined && !pin?.live) throw new PoolClosedError();
    if (prepared === undefined) return;
    if (pin?.live) return runTruncate(pin, prepared);
    return this.#borrow((session, adapter) => runTruncate(this.#pin(session, adapter), prepared));
  }

  /** Counts of sessions and waiting callers. */
  stats(): PoolStats {
    const sessions = this.#sessions;
    return {
      size: sessions.size,
      available: sessions.available,
      borrowed: sessions.borrowed,
      pending: sessions.pending,
      min: sessions.min,
      max: sessions.max,
      retriedReads: this.#adapter?.retriedReads ?? 0,
    };
  }

  /** Refuses new work, waits for borrowed sessions to come back, then closes every session. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#sessions.drain().then(() => this.#sessions.clear());
    return this.#closed;
  }

  #pin(session: AdapterSession, adapter: Adapter): Pin<Connection> {
    return new Pin(session, adapter, this.#report, this.#pins, handleFor);
  }

  /**
   * The one place that borrows a session: acquire, run, and give back in one
   * `finally`. Giving back never throws, so the work's own error is what the caller sees.
   * `pinned` work gets a pin, ended in the same `finally` (one async frame for both, not two).
   */
  async #borrow<T>(
    work: (session: AdapterSession, adapter: Adapter, pin: Pin<Connection> | undefined) => Promise<T> | T,
    pinned = false,
  ): Promise<T> {
    // Only slots already idle when this caller came are skipped, and generic-pool
    // hands those over at once: each retry would restart the acquire timeout.
    const failuresBefore = this.#failures;
    let slot = await this.#take();
    if (!this.#lendable(slot)) slot = await this.#replace(slot, failuresBefore);
    let pin: Pin<Connection> | undefined;
    try {
      // A session exists only once the adapter that opened it has loaded.
      if (pinned) pin = this.#pin(slot.session!, this.#adapter!);
      return await work(slot.session!, this.#adapter!, pin);
    } finally {
      if (pin !== undefined) {
        pin.live = false;
        // A unit the callback left running still owns the session: it goes back only after.
        const running = pin.root.idle();
        if (running !== undefined) await running;
      }
      // Usually nothing to wait for: the session went straight back.
      const cleaning = this.#giveBack(slot);
      if (cleaning !== undefined) await cleaning;
    }
  }

  /**
   * One slot from generic-pool. An idle one is handed over at once, so only a
   * caller that must wait gets a timer (`#wait`). The common case returns
   * generic-pool's own promise, wrapped in nothing.
   */
  #take(): Promise<Slot> {
    if (this.#closed !== undefined) return Promise.reject(new PoolClosedError());
    if (this.#adapter === undefined) return this.#loading.then(() => this.#take());
    // generic-pool hands its idle slots to the queued requests in order before acquire returns: with more
    // idle slots than requests already queued (usually: some idle, none queued), one goes to this request.
    const sessions = this.#sessions;
    return sessions.available > sessions.pending ? sessions.acquire() : this.#wait();
  }

  /**
   * Waits for a slot, at most `acquireTimeoutMillis`: then `PoolTimeoutError`,
   * with the last failure to open a session as its cause. generic-pool arms the
   * timer, so a request that timed out leaves its queue (no open is made for a
   * caller who left) and a slot that comes later goes back to the idle ones.
   * It reads the timeout when it queues a request, so it is set for this one only.
   */
  #wait(): Promise<Slot> {
    const options = (this.#sessions as unknown as GenericPoolInternals)._config;
    let waiting: Promise<Slot>;
    options.acquireTimeoutMillis = this.#config.acquireTimeoutMillis;
    try {
      waiting = this.#sessions.acquire();
    } finally {
      options.acquireTimeoutMillis = undefined;
    }
    return waiting.catch(() => {
      // generic-pool rejects a request only when it timed out, or when the pool is draining: closed.
      throw this.#closed === undefined
        ? new PoolTimeoutError(this.#config.acquireTimeoutMillis, this.#lastFailure?.failure)
        : new PoolClosedError();
    });
  }

  /** A live session within its lifetime: what a caller may be lent. */
  #lendable(slot: Slot): boolean {
    return slot.session?.isReusable() === true && !this.#lifetimes.expired(slot.session);
  }

  /**
   * Drops a slot that cannot be lent and takes the next one. An open that failed
   * while the caller waited reaches it as `ConnectionError` at once; a failure
   * older than the caller, or a session that died while idle, is dropped and the next one taken.
   */
  async #replace(slot: Slot, failuresBefore: number): Promise<Slot> {
    for (;;) {
      slot.ending = slot.session?.isReusable() ? RETIRED : UNUSABLE;
      await this.#sessions.destroy(slot);
      if (slot.session === undefined && slot.failureNumber! > failuresBefore) {
        throw new ConnectionError(`could not open a ${this.dialect} session: ${messageOf(slot.failure)}`, slot.failure);
      }
      slot = await this.#take();
      if (this.#lendable(slot)) return slot;
    }
  }

  /**
   * The one place that decides release or destroy. A session goes back only
   * if it is reusable, out of any transaction, and (with `resetOnRelease`)
   * freshly reset; any doubt destroys it, and so does the end of its lifetime.
   * Returns a promise only when there is something to wait for; it never rejects.
   */
  #giveBack(slot: Slot): Promise<void> | undefined {
    const session = slot.session!;
    // A statement that timed out may still run: the session goes to no one else before it
    // ends, and the caller, already told of the timeout, does not wait for it.
    const settling = session.settling();
    if (settling !== undefined) {
      void settling.then(() => this.#giveBack(slot));
      return undefined;
    }
    // Judged between borrows, never during one: a session past its lifetime or uses is closed
    // politely here, and closing it ends anything it still held.
    if (this.#lifetimes.returned(session)) {
      slot.ending = session.isReusable() ? RETIRED : UNUSABLE;
      return this.#sessions.destroy(slot).catch(this.#report);
    }
    if (session.isReusable() && (session.inTransaction() || this.#config.resetOnRelease)) return this.#cleanThenGiveBack(slot);
    this.#putBack(slot);
    return undefined;
  }

  /** Rolls back a transaction left open, and resets the session if asked; a failure condemns the session. */
  async #cleanThenGiveBack(slot: Slot): Promise<void> {
    const session = slot.session!;
    try {
      if (session.isReusable() && session.inTransaction()) await session.query('ROLLBACK');
      if (session.isReusable() && this.#config.resetOnRelease) await session.reset();
    } catch (error) {
      session.condemn();
      this.#report(error);
    }
    this.#putBack(slot);
  }

  /** Release or destroy, as the session's own word says now; generic-pool's refusal (a slot not on loan) is reported. */
  #putBack(slot: Slot): void {
    if (!slot.session!.isReusable()) slot.ending = UNUSABLE;
    (slot.ending === undefined ? this.#sessions.release(slot) : this.#sessions.destroy(slot)).catch(this.#report);
  }

  /** generic-pool's create: never rejects, because a rejection makes it retry in a tight loop while anyone waits. */
  async #open(): Promise<Slot> {
    try {
      const session = await (this.#adapter ?? (await this.#loading)).connect();
      this.#lifetimes.opened(session);
      publishPoolEvent(() => ({ event: 'open', dialect: this.dialect, sessionId: session.id }));
      return { session };
    } catch (failure) {
      this.#lastFailure = { failure, failureNumber: ++this.#failures };
      return this.#lastFailure;
    }
  }
}

/**
 * Creates a pool. Options are validated at once (`ConfigError`); no session
 * is opened until one is needed, or `min` asks for it.
 */
export function createPool(options: PoolOptions): Pool {
  const config = parsePoolOptions(options);
  return new Pool(config, loadAdapter(config));
}

function handleFor(pin: Pin<Connection>): Connection {
  return new Connection(pin);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

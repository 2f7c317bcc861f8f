import type { AbortSignalLike } from './signal.js';
import genericPool from 'generic-pool';
import type { PoolConfig } from './config.js';
import { loadDriver } from './dialects.js';
import type { DialectInfo, Driver } from './driver.js';
import { AbortError, ConnectionError, PoolClosedError, PoolTimeoutError } from './errors.js';
import { Lifetimes } from './lifetime.js';
import { giveBack, RETIRED, UNUSABLE, type Ending, type ReleaseTarget } from './release.js';
import { ManagedSession, type SessionContext } from './session.js';
import { publishPoolEvent } from './tracing.js';

/** What generic-pool holds: an open session, or the failure of one attempt to open one. */
export type Slot = Lent | FailedOpen;

/** A slot with a session, as lent to a caller. */
export interface Lent {
  readonly session: ManagedSession;
  /** Set just before the pool drops the session: how and why it leaves, for `sqlpin:pool`. */
  ending?: Ending;
}

/**
 * A failed open stays a slot, because generic-pool retries a rejected create
 * in a tight loop while anyone waits. Its number tells a caller whether it
 * failed while that caller waited (then the caller hears of it at once) or
 * before (then it is dropped and the next slot taken).
 */
interface FailedOpen {
  readonly session?: undefined;
  readonly failure: unknown;
  readonly failureNumber: number;
  ending?: Ending;
}

/** One caller's request for a session; see `SessionPool.request`. */
export interface LendRequest {
  readonly slot: Promise<Slot>;
  /** Failed opens counted before the request: one after it failed while the caller waited. */
  readonly failuresBefore: number;
  readonly signal: AbortSignalLike | undefined;
}

const IDLE: Ending = { event: 'close', reason: 'idle timeout' };
const POOL_CLOSED: Ending = { event: 'close', reason: 'pool closed' };

/**
 * The pool's sessions, on generic-pool through its public API only: it keeps
 * idle slots, opens them (never more than `max`) and evicts idle ones. This
 * adds what generic-pool lacks: an acquire timeout armed only for a caller
 * that must wait, opens that fail fast instead of in a loop, and the lifetimes.
 */
export class SessionPool implements ReleaseTarget {
  readonly config: PoolConfig;
  readonly lifetimes: Lifetimes;
  readonly #slots: genericPool.Pool<Slot>;
  readonly #context: Omit<SessionContext<never>, 'driver'>;
  /** Set once the driver has loaded; until then callers wait for `#loading`. */
  #driver: Driver | undefined;
  readonly #loading: Promise<Driver>;
  #failures = 0;
  #lastFailure: unknown;
  /** Requests whose caller timed out, still queued in generic-pool until a slot comes. */
  #abandoned = 0;
  #retriedReads = 0;
  #closed: Promise<void> | undefined;

  constructor(config: PoolConfig, dialect: DialectInfo, driver?: Promise<Driver>) {
    this.config = config;
    this.lifetimes = new Lifetimes(config.maxLifetimeMillis, config.maxUses);
    this.#context = {
      dialect: dialect.name,
      report: config.report,
      queryTimeoutMillis: config.queryTimeoutMillis,
      isRetryable: dialect.isRetryable,
      retriedRead: () => this.#retriedReads++,
    };
    this.#loading = driver ?? loadDriver(dialect, driverSettings(config));
    // A failed load (a driver not installed) reaches every caller that awaits `#loading`.
    this.#loading.then(
      (loaded) => (this.#driver = loaded),
      () => undefined,
    );
    this.#slots = genericPool.createPool<Slot>(
      { create: () => this.#open(), destroy: (slot) => this.#close(slot) },
      {
        min: config.min,
        max: config.max,
        fifo: config.order === 'fifo',
        // Idle sessions above `min` are closed; `min` is kept.
        softIdleTimeoutMillis: config.idleTimeoutMillis === 0 ? -1 : config.idleTimeoutMillis,
        idleTimeoutMillis: Number.POSITIVE_INFINITY,
        evictionRunIntervalMillis: config.idleTimeoutMillis === 0 ? 0 : Math.min(config.idleTimeoutMillis, 1_000),
        numTestsPerEvictionRun: config.max,
      },
    );
    this.#slots.on('factoryDestroyError', config.report);
  }

  /** The driver, once loaded: a session exists only after it has. */
  get driver(): Driver {
    return this.#driver!;
  }

  /**
   * Asks for a session to lend. The caller awaits `slot` (generic-pool's own
   * promise in the common case: every call takes this path, so nothing is
   * chained to it) and passes what came to `admit`, then, if that refuses it,
   * to `replace`. A caller whose signal aborts while it waits leaves with `AbortError`.
   */
  request(signal?: AbortSignalLike): LendRequest {
    // Counted before taking: a failure from here on is one the caller waited through.
    const failuresBefore = this.#failures;
    return { failuresBefore, slot: this.#take(signal), signal };
  }

  /** The slot as lent, when it can be: a live session within its lifetime. */
  admit(slot: Slot): Lent | undefined {
    if (slot.session?.isReusable() !== true || this.lifetimes.expired(slot.session)) return undefined;
    if (this.config.allowExitOnIdle) slot.session.connection.holdProcess(true);
    return slot as Lent;
  }

  /**
   * Drops a slot `admit` refused and takes the next, until one can be lent;
   * an open that failed while the caller waited is `ConnectionError` (see `FailedOpen`).
   */
  async replace(slot: Slot, request: LendRequest): Promise<Lent> {
    for (;;) {
      await this.destroy(slot, slot.session?.isReusable() ? RETIRED : UNUSABLE);
      if (slot.session === undefined && slot.failureNumber > request.failuresBefore) {
        throw new ConnectionError(`could not open a ${this.#context.dialect} session: ${messageOf(slot.failure)}`, slot.failure);
      }
      slot = await this.#take(request.signal);
      const lent = this.admit(slot);
      if (lent !== undefined) return lent;
    }
  }

  /** Gives a lent session back, or destroys it; see `giveBack`. Never rejects. */
  giveBack(slot: Lent): Promise<void> | undefined {
    return giveBack(this, slot);
  }

  release(slot: Lent): void {
    if (this.config.allowExitOnIdle) slot.session.connection.holdProcess(false);
    this.#slots.release(slot).catch(this.config.report);
  }

  destroy(slot: Slot, ending: Ending): Promise<void> {
    slot.ending = ending;
    return this.#slots.destroy(slot).catch(this.config.report);
  }

  stats(): { size: number; available: number; borrowed: number; pending: number; retriedReads: number } {
    const slots = this.#slots;
    return {
      size: slots.size,
      available: slots.available,
      borrowed: slots.borrowed,
      pending: slots.pending - this.#abandoned,
      retriedReads: this.#retriedReads,
    };
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Refuses new work, waits for lent sessions to come back, then closes every session. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#slots.drain().then(() => this.#slots.clear());
    return this.#closed;
  }

  /**
   * One slot from generic-pool. It hands an idle slot over before `acquire`
   * returns, leaving its queue as long as it was: only a caller that joined
   * the queue waits, and only that one gets a timer.
   */
  #take(signal: AbortSignalLike | undefined): Promise<Slot> {
    if (this.#closed !== undefined) return Promise.reject(new PoolClosedError());
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    if (this.#driver === undefined) return this.#loading.then(() => this.#take(signal));
    const slots = this.#slots;
    const queued = slots.pending;
    const taking = slots.acquire();
    return slots.pending > queued ? this.#wait(taking, signal) : taking;
  }

  /**
   * Waits at most `acquireTimeoutMillis` for the slot: then `PoolTimeoutError`,
   * with the last failure to open a session as its cause (or `AbortError`
   * when the caller's signal aborts first). The request stays in generic-pool's
   * queue; the slot it gets later goes straight back, as it came, for the next
   * caller (a failed open included, judged by its number).
   */
  #wait(taking: Promise<Slot>, signal: AbortSignalLike | undefined): Promise<Slot> {
    const timeoutMillis = this.config.acquireTimeoutMillis;
    return new Promise((resolve, reject) => {
      let gone = false;
      const leave = (error: Error) => {
        if (gone) return;
        gone = true;
        this.#abandoned += 1;
        stop();
        reject(this.#closed === undefined ? error : new PoolClosedError());
      };
      const onAbort = () => leave(new AbortError(signal!.reason));
      const timer = setTimeout(() => leave(new PoolTimeoutError(timeoutMillis, this.#lastFailure)), timeoutMillis);
      const stop = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      taking.then(
        (slot) => {
          if (!gone) {
            stop();
            resolve(slot);
            return;
          }
          this.#abandoned -= 1;
          this.#slots.release(slot).catch(this.config.report);
        },
        () => {
          // generic-pool rejects a queued request only when it drains: the pool was closed.
          stop();
          if (!gone) reject(new PoolClosedError());
        },
      );
    });
  }

  /** generic-pool's create: never rejects (see `FailedOpen`). */
  async #open(): Promise<Slot> {
    try {
      const driver = this.#driver ?? (await this.#loading);
      const session: ManagedSession = new ManagedSession(await driver.connect(), { ...this.#context, driver });
      this.lifetimes.opened(session);
      if (this.config.allowExitOnIdle) session.connection.holdProcess(false);
      publishPoolEvent(() => ({ event: 'open', dialect: this.#context.dialect, sessionId: session.id }));
      return { session };
    } catch (failure) {
      this.#lastFailure = failure;
      return { failure, failureNumber: ++this.#failures };
    }
  }

  /** generic-pool's destroy. */
  async #close(slot: Slot): Promise<void> {
    const { session } = slot;
    if (session === undefined) return;
    await session.close();
    const { event, reason } = slot.ending ?? (this.#closed === undefined ? IDLE : POOL_CLOSED);
    publishPoolEvent(() => ({ event, reason, dialect: this.#context.dialect, sessionId: session.id }));
  }
}

function driverSettings(config: PoolConfig) {
  return {
    ...(config.url === undefined ? { connection: config.connection ?? {} } : { url: config.url }),
    connectTimeoutMillis: config.acquireTimeoutMillis,
    ...(config.pooler === undefined ? {} : { pooler: config.pooler }),
    report: config.report,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

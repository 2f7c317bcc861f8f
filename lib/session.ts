import type { AbortSignalLike } from './signal.js';
import { bounded, checkSignal, eitherSignal, type Bound, type Fate, type Limits, type Overdue } from './bound.js';
import {
  AS_IS,
  type AsideQuery,
  type Dialect,
  type Driver,
  type DriverConnection,
  type ErrorReporter,
  type QueryResult,
  type Reply,
  type Session,
  type TransactionStatus,
} from './driver.js';
import { AbortError, ConnectionLostError, type QueryTimeoutError } from './errors.js';
import { retryReads } from './retry.js';
import { queryChannel, traceQuery } from './tracing.js';

/** What every session of one pool shares. */
export interface SessionContext<C extends DriverConnection> {
  readonly dialect: Dialect;
  readonly driver: Driver<C>;
  readonly report: ErrorReporter;
  /** Bound of every statement whose call gives none; 0 for none. */
  readonly queryTimeoutMillis: number;
  /** Whether an error is a conflict the server says to retry after: sqlpin's own reads are then run again. */
  isRetryable(error: unknown): boolean;
  /** Counts each such read run again. */
  retriedRead(): void;
}

/**
 * Where the session's transaction is, as the core must know it before it
 * commits or rolls back a level. `failure` is what put it there: the first
 * failure of a `failed` one, or the server's error that ended an `idle` one
 * (a MySQL deadlock rolls the whole transaction back).
 */
export interface TransactionState {
  readonly status: TransactionStatus;
  readonly failure?: unknown;
}

/** A statement waiting for the session. */
interface Pending {
  readonly text: string;
  readonly params: readonly unknown[] | undefined;
  readonly bound: Bound;
  resolve(result: QueryResult<unknown>): void;
  reject(error: unknown): void;
}

/**
 * One server session's life, written once for every dialect around a driver
 * connection's verbs: one statement on the wire at a time, timeouts, aborts and
 * their cancel, the transaction state the replies report, tracing, and whether
 * the session may be reused. A statement that was cut (timed out or aborted)
 * holds the session until it has ended and its cancel was taken (see
 * `bounded`): nothing else is sent on it before, so no cancel ever lands on
 * another statement. A fault of the link reaches the caller as
 * `ConnectionLostError`, the driver's error as its cause.
 */
export class ManagedSession<C extends DriverConnection = DriverConnection> implements Session<C> {
  readonly id: number;
  readonly connection: C;
  readonly #context: SessionContext<C>;
  readonly #waiting: Pending[] = [];
  #busy = false;
  #idle: (() => void) | undefined;
  #reusable = true;
  /** The status the last reply that carried one reported. */
  #known: TransactionStatus = 'idle';
  /** The last reply carried no status (a MySQL error packet): `#known` may be out of date. */
  #stale = false;
  #lastError: unknown;
  /** The first error since the last success: what aborted a failed transaction. */
  #failure: unknown;
  /** A statement was cut inside the open transaction: it must not commit. */
  #abortedBy: QueryTimeoutError | AbortError | undefined;
  /** The error after which the server was found to have ended the transaction itself. */
  #endedBy: unknown;
  /** What became of each statement cut, by the error its caller got. */
  readonly #fates = new WeakMap<object, Promise<Fate>>();
  readonly #overdue: Overdue;
  #abandoned = false;
  #lostReported = false;

  constructor(connection: C, context: SessionContext<C>) {
    this.id = connection.id;
    this.connection = connection;
    this.#context = context;
    connection.onLost((error) => {
      this.#reusable = false;
      // A link closed politely carries no error; one fault may raise several (a FATAL, then the closed socket).
      if (error === undefined || this.#lostReported) return;
      this.#lostReported = true;
      context.report(error);
    });
    this.#overdue = {
      cancel: async () => {
        const { text, params } = context.driver.cancel(this.id);
        await context.driver.aside((query) => query(text, params));
      },
      abandon: (reason) => this.#abandon(reason),
    };
  }

  /** The driver that opened the session. */
  get driver(): Driver<C> {
    return this.#context.driver;
  }

  query<Row>(text: string, params?: readonly unknown[], bound?: Limits): Promise<QueryResult<Row>> {
    const timeoutMillis = bound?.timeoutMillis ?? this.#context.queryTimeoutMillis;
    const signal = bound?.finish === true ? undefined : bound?.signal;
    if (!queryChannel.hasSubscribers) return this.#enqueue<Row>(text, params, timeoutMillis, signal);
    return traceQuery(this.#context.dialect, text, this.id, () => this.#enqueue<Row>(text, params, timeoutMillis, signal));
  }

  /** This session with `signal` applied to every statement sent through it (the session itself when there is none). */
  within(signal: AbortSignalLike | undefined): Session<C> {
    if (signal === undefined) return this;
    return {
      id: this.id,
      connection: this.connection,
      query: (text, params, bound) =>
        this.query(text, params, bound?.finish === true ? bound : { ...bound, signal: eitherSignal(signal, bound?.signal) }),
      inTransaction: () => this.inTransaction(),
      isReusable: () => this.isReusable(),
      condemn: () => this.condemn(),
      aside: (work) => this.aside(work),
      retryReads: (reads) => this.retryReads(reads),
    };
  }

  /** What became of a statement that was cut, by the error its caller got; undefined for any other error. */
  fateOf(error: unknown): Promise<Fate> | undefined {
    return error !== null && typeof error === 'object' ? this.#fates.get(error) : undefined;
  }

  inTransaction(): boolean {
    return this.#known !== 'idle';
  }

  /**
   * Whether a transaction is open, as the server would answer now: the last
   * reply's word, or, where it carried none (a MySQL error packet: a failed
   * COMMIT ended the transaction, a failed statement did not), the probe's.
   */
  async inTransactionNow(): Promise<boolean> {
    return (await this.transactionState()).status !== 'idle';
  }

  /**
   * The server's account of the transaction. It costs a round trip only when
   * the last reply carried no status (MySQL's error packets carry none).
   */
  async transactionState(): Promise<TransactionState> {
    // A statement still settling (one that was cut) will change what the replies say.
    const busy = this.whenIdle();
    if (busy !== undefined) await busy;
    if (this.#stale && this.#reusable) {
      const wasOpen = this.inTransaction();
      const lastError = this.#lastError;
      await this.query(this.#context.driver.statusProbe);
      if (wasOpen && !this.inTransaction()) this.#endedBy = lastError;
    }
    if (this.#known === 'idle') return { status: 'idle', failure: this.#endedBy };
    if (this.#known === 'failed' || this.#abortedBy !== undefined) return { status: 'failed', failure: this.#abortedBy ?? this.#failure };
    return { status: 'open' };
  }

  /** Resolves once no statement runs or waits, a cut one's cancel included; undefined when none does, the common case. */
  whenIdle(): Promise<void> | undefined {
    if (!this.#busy) return undefined;
    return new Promise((resolve) => {
      const previous = this.#idle;
      this.#idle = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Wipes all session state, as a fresh login would have it. Called on an idle session. */
  async reset(): Promise<void> {
    await this.connection.reset();
    this.#known = 'idle';
    this.#stale = false;
    this.#failure = undefined;
    this.#abortedBy = undefined;
    this.#endedBy = undefined;
  }

  isReusable(): boolean {
    return this.#reusable;
  }

  condemn(): void {
    this.#reusable = false;
  }

  aside<T>(work: (query: AsideQuery) => Promise<T>): Promise<T> {
    return this.#context.driver.aside(work);
  }

  retryReads<T>(reads: () => Promise<T>): Promise<T> {
    const context = this.#context;
    return retryReads(reads, (error) => context.isRetryable(error) && this.#reusable && !this.inTransaction(), context.retriedRead);
  }

  /** Closes the session; never rejects. A polite close that does not end within the grace destroys the link. */
  close(): Promise<void> {
    if (!this.#reusable) {
      this.connection.destroy();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const grace = setTimeout(() => {
        this.connection.destroy();
        resolve();
      }, CLOSE_GRACE_MILLIS);
      const done = () => {
        clearTimeout(grace);
        resolve();
      };
      this.connection.end().then(done, done);
    });
  }

  /**
   * The common call (the session idle, no bound) sends at once and allocates
   * nothing of its own: the reply handlers are bound once per session.
   */
  #enqueue<Row>(
    text: string,
    params: readonly unknown[] | undefined,
    timeoutMillis: number,
    signal: AbortSignalLike | undefined,
  ): Promise<QueryResult<Row>> {
    if (!this.#busy && timeoutMillis === 0 && signal === undefined) {
      this.#busy = true;
      return this.connection.send(text, params, this.#reply) as Promise<QueryResult<Row>>;
    }
    return new Promise((resolve, reject) => {
      checkSignal(signal);
      const call: Pending = { text, params, bound: { timeoutMillis, signal }, resolve: resolve as Pending['resolve'], reject };
      if (!this.#busy) this.#send(call);
      else {
        this.#waiting.push(call);
        signal?.addEventListener('abort', () => this.#withdraw(call), { once: true });
      }
    });
  }

  /** A waiting statement whose signal aborted leaves the queue unsent. */
  #withdraw(call: Pending): void {
    const at = this.#waiting.indexOf(call);
    if (at < 0) return;
    this.#waiting.splice(at, 1);
    call.reject(new AbortError(call.bound.signal!.reason));
  }

  /** Sends a statement that waited, or one with a bound. */
  #send(call: Pending): void {
    this.#busy = true;
    const { timeoutMillis, signal } = call.bound;
    if (timeoutMillis === 0 && signal === undefined) {
      this.connection.send(call.text, call.params, this.#reply).then(call.resolve, call.reject);
      return;
    }
    bounded(this.connection.send(call.text, call.params, AS_IS), call.bound, this.#overdue, {
      ended: (result) => call.resolve(this.#reply.ended(result)),
      failed: (error) => {
        const failure = this.#noteFailure(error);
        this.#next();
        call.reject(failure);
      },
      cut: (error, fate) => {
        if (this.inTransaction()) this.#abortedBy ??= error;
        this.#fates.set(error, fate);
        call.reject(error);
        // The session stays busy, its statement's outcome still noted, until the statement has settled.
        void fate.then(() => this.#next());
      },
      late: { ended: this.#noteSuccess, failed: this.#noteFailure },
    });
  }

  /**
   * A reply: its transaction status is noted, and the session takes its next
   * statement before the caller hears the outcome, so that a caller who gives
   * the session back at once finds it idle.
   */
  readonly #reply: Reply<QueryResult<unknown>> = {
    ended: (result) => {
      this.#noteSuccess();
      this.#next();
      return result;
    },
    failed: (error) => {
      const failure = this.#noteFailure(error);
      this.#next();
      return failure;
    },
  };

  readonly #noteSuccess = (): void => {
    this.#noteStatus();
    if (this.#known !== 'failed') this.#failure = undefined;
    if (this.#known !== 'idle') this.#endedBy = undefined;
  };

  /** Notes a failed statement; returns what its caller hears: the server's error, or `ConnectionLostError` for a fault of the link. */
  readonly #noteFailure = (error: unknown): unknown => {
    const lost = this.connection.isFatal(error);
    if (lost) this.#reusable = false;
    this.#lastError = error;
    this.#failure ??= error;
    this.#noteStatus();
    return lost ? new ConnectionLostError(error) : error;
  };

  #noteStatus(): void {
    const status = this.connection.status();
    this.#stale = status === undefined;
    if (status === undefined) return;
    this.#known = status;
    // Out of any transaction, nothing is left to refuse a commit of.
    if (status === 'idle') this.#abortedBy = undefined;
  }

  #next(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) {
      this.#send(next);
      return;
    }
    this.#busy = false;
    const idle = this.#idle;
    this.#idle = undefined;
    idle?.();
  }

  /** Gives the session up for a reason that must be seen; once. */
  #abandon(reason: unknown): void {
    if (this.#abandoned) return;
    this.#abandoned = true;
    this.#reusable = false;
    this.connection.destroy();
    this.#context.report(reason);
  }
}

/** How long a polite close (COM_QUIT / Terminate) may take before the link is destroyed. */
const CLOSE_GRACE_MILLIS = 1_000;

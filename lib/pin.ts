import type { AbortSignalLike } from './signal.js';
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { DialectInfo, ErrorReporter, QueryResult } from './driver.js';
import { ConnectionReleasedError } from './errors.js';
import { checkSignal, eitherSignal } from './bound.js';
import type { ManagedSession } from './session.js';
import type { Statement } from './statement.js';

/** What the async context holds inside a pinned callback: the pin, and the unit the code runs in. */
export interface PinContext<Handle> {
  readonly pin: Pin<Handle>;
  readonly scope: Scope;
}

/** Work waiting for its turn in a scope: a unit takes the scope, a query is only sent. */
interface Waiting {
  readonly unit: boolean;
  start(): void;
}

/**
 * Where work on a pin is issued from: the pinned callback itself (the root),
 * or a running unit (a transaction, a savepoint, a truncate). A scope runs one
 * child unit at a time; work given to it meanwhile waits, in order. A single
 * query needs no turn of its own once it is sent, because the session answers
 * statements in the order they were sent.
 */
export class Scope {
  readonly parent: Scope | undefined;
  /** Transaction levels sqlpin opened around this scope: 0 none, 1 BEGIN, 2+ savepoints. */
  readonly depth: number;
  /** Cancels the work of this scope and of those inside it: its own call's signal, or an enclosing one's. */
  readonly signal: AbortSignalLike | undefined;
  /** Set once the unit settled: later work issued from it belongs to its parent. */
  ended = false;
  #busy = false;
  #idle: (() => void) | undefined;
  /** Made on first use: most scopes never queue anything. */
  #waiting: Waiting[] | undefined;

  constructor(parent: Scope | undefined, depth: number, signal: AbortSignalLike | undefined) {
    this.parent = parent;
    this.depth = depth;
    this.signal = eitherSignal(parent?.signal, signal);
  }

  /** The innermost scope that is still running: the unit itself, or the nearest ancestor. */
  live(): Scope {
    let scope: Scope = this;
    while (scope.ended && scope.parent !== undefined) scope = scope.parent;
    return scope;
  }

  /** Whether a child unit runs: work given now must wait for it. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Sends a query after the running child unit and everything queued before it. */
  send<T>(send: () => Promise<T>): Promise<T> {
    if (!this.#busy) return send();
    return new Promise<T>((resolve, reject) => {
      this.#enqueue({ unit: false, start: () => attempt(send).then(resolve, reject) });
    });
  }

  /** Runs a child unit alone: after every unit and query queued before it, and before any queued after it. */
  take<T>(run: () => Promise<T>): Promise<T> {
    if (!this.#busy) {
      this.#busy = true;
      return this.#settle(run);
    }
    return new Promise<T>((resolve, reject) => {
      this.#enqueue({ unit: true, start: () => this.#settle(run).then(resolve, reject) });
    });
  }

  /** Resolves once no child unit runs or waits; undefined when none does already, the common case. */
  idle(): Promise<void> | undefined {
    if (!this.#busy) return undefined;
    return new Promise((resolve) => (this.#idle = resolve));
  }

  #enqueue(waiting: Waiting): void {
    this.#waiting ??= [];
    this.#waiting.push(waiting);
  }

  async #settle<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } finally {
      this.#busy = false;
      this.#next();
    }
  }

  #next(): void {
    while (!this.#busy) {
      const waiting = this.#waiting?.shift();
      if (waiting === undefined) {
        this.#idle?.();
        this.#idle = undefined;
        return;
      }
      if (waiting.unit) this.#busy = true;
      waiting.start();
    }
  }
}

/**
 * One borrowed session for the span of one `withConnection` callback. The pool
 * keeps it in async context so nested calls reuse it; `live` turns false when
 * the callback settles, which revokes its handle and ends the pin. Work on it
 * runs in units, one at a time per scope (see `Scope`).
 */
export class Pin<Handle = unknown> {
  live = true;
  /** The server session's id; behind a transaction pooler, that of the transaction the pin runs in. */
  id: number;
  readonly session: ManagedSession;
  readonly dialect: DialectInfo;
  readonly report: ErrorReporter;
  readonly root: Scope;
  /** The handle the pinned callback was given: nested `withConnection` calls get the same one. */
  readonly handle: Handle;
  readonly #context: AsyncLocalStorage<PinContext<Handle>>;
  #savepoints = 0;

  constructor(
    session: ManagedSession,
    dialect: DialectInfo,
    report: ErrorReporter,
    context: AsyncLocalStorage<PinContext<Handle>>,
    handle: (pin: Pin<Handle>) => Handle,
    signal?: AbortSignalLike,
  ) {
    this.root = new Scope(undefined, 0, signal);
    this.session = session;
    this.id = session.id;
    this.dialect = dialect;
    this.report = report;
    this.#context = context;
    this.handle = handle(this);
  }

  /**
   * Whether the calling code may use the pin: while its callback runs, and
   * after, from inside a unit the callback left running, which still owns the
   * session (it goes back only once that unit has finished).
   */
  admits(): boolean {
    if (this.live) return true;
    const store = this.#context.getStore();
    return store?.pin === this && store.scope.live() !== this.root;
  }

  /** The scope the calling code runs in: its unit if it runs inside one of this pin's, else the root. */
  current(): Scope {
    // No unit runs unless the root runs one: then every scope of this pin has ended but the root.
    if (!this.root.busy) return this.root;
    const store = this.#context.getStore();
    return store?.pin === this ? store.scope.live() : this.root;
  }

  /** Runs one statement, in turn with the units of the scope it was issued from, cut when its scope's signal aborts. */
  query<Row>({ text, params, timeoutMillis, signal }: Statement): Promise<QueryResult<Row>> {
    const scope = this.current();
    const cutBy = eitherSignal(scope.signal, signal);
    const bound = timeoutMillis === undefined && cutBy === undefined ? undefined : { timeoutMillis, signal: cutBy };
    if (!scope.busy) return this.session.query<Row>(text, params, bound);
    return scope.send(() => this.#checked().query<Row>(text, params, bound));
  }

  /** Runs `body` as a unit that adds no transaction level: a truncate. */
  unit<T>(body: (unit: Scope) => Promise<T>, signal?: AbortSignalLike): Promise<T> {
    return this.#run(0, body, signal);
  }

  /** Runs `body` as a unit one transaction level deeper: a transaction, or a savepoint inside one. */
  transactionUnit<T>(body: (unit: Scope) => Promise<T>, signal?: AbortSignalLike): Promise<T> {
    return this.#run(1, body, signal);
  }

  /**
   * Runs `body` alone among the units of the scope it was issued from, with its
   * own work (issued from inside `body`) running at once.
   */
  #run<T>(levels: number, body: (unit: Scope) => Promise<T>, signal: AbortSignalLike | undefined): Promise<T> {
    const parent = this.current();
    return parent.take(() => {
      this.#checked();
      const unit = new Scope(parent, parent.depth + levels, signal);
      checkSignal(unit.signal);
      return this.#context
        .run({ pin: this, scope: unit }, () => body(unit))
        .finally(() => {
          unit.ended = true;
        });
    });
  }

  /** A savepoint name never used before on this session while it is pinned. */
  nextSavepoint(): string {
    this.#savepoints += 1;
    return `sqlpin_savepoint_${this.#savepoints}`;
  }

  /** Work that waited past the end of the pin must not run on a session that went back to the pool. */
  #checked(): ManagedSession {
    if (!this.admits()) throw new ConnectionReleasedError();
    return this.session;
  }
}

/** Calls `send` now, so queued statements keep their order, and turns a throw into a rejection. */
function attempt<T>(send: () => Promise<T>): Promise<T> {
  try {
    return send();
  } catch (error) {
    return Promise.reject(error);
  }
}

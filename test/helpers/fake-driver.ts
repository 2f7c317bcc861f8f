import { parsePoolOptions } from '../../lib/config.js';
import type {
  AsideQuery,
  Driver,
  DriverConnection,
  QueryResult,
  Reply,
  Session,
  TransactionStatus,
  TruncateConfig,
  TruncateFrame,
  TruncateTarget,
} from '../../lib/driver.js';
import { Pool, type PoolOptions } from '../../lib/index.js';

/** How a fake connection answers one statement: a result, a rejection, or a promise the test settles. */
export type Responder = (text: string, connection: FakeConnection) => Promise<QueryResult<never>> | undefined;

const EMPTY: QueryResult<never> = { rows: [], rowCount: 0 };

/**
 * An in-memory connection for pool-mechanics tests: it records every text,
 * follows BEGIN / COMMIT / ROLLBACK (and a statement that fails inside a
 * transaction, which fails it, as PostgreSQL does) to report a transaction
 * status, and answers what the test's responder says (an empty result
 * otherwise). It runs no SQL: database behaviour is tested on the real servers.
 */
export class FakeConnection implements DriverConnection {
  readonly id: number;
  readonly statements: string[] = [];
  #status: TransactionStatus = 'idle';
  /** Set to make `status()` report nothing after the next failure, as MySQL's error packets do. */
  statusAfterError: 'kept' | 'unknown' = 'kept';
  #statusKnown = true;
  closed = false;
  destroyed = false;
  resets = 0;
  failReset: unknown;
  #onLost: ((error: unknown) => void) | undefined;
  readonly #driver: FakeDriver;

  constructor(id: number, driver: FakeDriver) {
    this.id = id;
    this.#driver = driver;
  }

  send<T>(text: string, _params: readonly unknown[] | undefined, reply: Reply<T>): Promise<T> {
    if (this.closed) return Promise.reject(reply.failed(Object.assign(new Error(`fake connection ${this.id} is closed`), { fatal: true })));
    this.statements.push(text);
    this.#driver.log.push(`${this.id}: ${text}`);
    const answer = this.#driver.respond(text, this) ?? Promise.resolve(EMPTY);
    return answer.then(
      (result) => {
        this.#follow(text);
        return reply.ended(result);
      },
      (error: unknown) => {
        this.#fail(text);
        this.#statusKnown = this.statusAfterError === 'kept';
        throw reply.failed(error);
      },
    );
  }

  /**
   * The status after a text failed: its statements take effect up to the
   * first one that can fail (all but BEGIN), which fails an open transaction
   * (PostgreSQL); a failed COMMIT ends the transaction.
   */
  #fail(text: string): void {
    for (const statement of text.split(';\n')) {
      if (/^(BEGIN|START TRANSACTION)\b/.test(statement)) {
        this.#status = 'open';
        continue;
      }
      if (/^COMMIT$/.test(statement)) this.#status = 'idle';
      else if (this.#status !== 'idle') this.#status = 'failed';
      return;
    }
  }

  /** The status as the statements sent so far leave it. */
  #follow(text: string): void {
    this.#statusKnown = true;
    for (const statement of text.split(';\n')) {
      if (/^(BEGIN|START TRANSACTION)\b/.test(statement)) this.#status = 'open';
      if (/^(COMMIT|ROLLBACK)$/.test(statement)) this.#status = 'idle';
      if (/^ROLLBACK TO SAVEPOINT\b/.test(statement) && this.#status === 'failed') this.#status = 'open';
    }
  }

  status(): TransactionStatus | undefined {
    return this.#statusKnown ? this.#status : undefined;
  }

  /** Makes the next `status()` say what the server would (a deadlock that ended the transaction, say). */
  setStatus(status: TransactionStatus): void {
    this.#status = status;
  }

  isFatal(error: unknown): boolean {
    return (error as { fatal?: unknown } | null)?.fatal === true;
  }

  async reset(): Promise<void> {
    if (this.failReset !== undefined) throw this.failReset;
    this.resets += 1;
    this.#status = 'idle';
  }

  async end(): Promise<void> {
    this.closed = true;
  }

  destroy(): void {
    this.closed = true;
    this.destroyed = true;
  }

  /** Whether the link keeps the process alive, as the pool last said. */
  holding = true;

  holdProcess(hold: boolean): void {
    this.holding = hold;
  }

  onLost(listener: (error: unknown) => void): void {
    this.#onLost = listener;
  }

  /** The server killed the idle connection. */
  lose(error: unknown): void {
    this.closed = true;
    this.#onLost?.(error);
  }
}

/** A driver whose connections are `FakeConnection`s; `connect` does what `connectWith` says (open one, by default). */
export class FakeDriver implements Driver<FakeConnection> {
  readonly sessions: FakeConnection[] = [];
  /** Every text of every connection, as `id: text`, in the order sent; side connections log as `aside: text`. */
  readonly log: string[] = [];
  /** The frame each truncate was given. */
  readonly frames: TruncateFrame[] = [];
  readonly statusProbe = 'PROBE';
  connects = 0;
  respond: Responder = () => undefined;
  connectWith: (attempt: number) => Promise<void> = () => Promise.resolve();
  /** What a side connection's statement does (a cancel, by default answered at once). */
  asideWith: (text: string) => Promise<void> = () => Promise.resolve();

  async connect(): Promise<FakeConnection> {
    this.connects += 1;
    await this.connectWith(this.connects);
    const connection = new FakeConnection(this.sessions.length + 1, this);
    this.sessions.push(connection);
    return connection;
  }

  aside<T>(work: (query: AsideQuery) => Promise<T>): Promise<T> {
    return work(async (text) => {
      this.log.push(`aside: ${text}`);
      await this.asideWith(text);
      return [];
    });
  }

  cancel(id: number): { text: string; params: readonly unknown[] } {
    return { text: `CANCEL ${id}`, params: [] };
  }

  async truncate(session: Session<FakeConnection>, target: TruncateTarget, _options: TruncateConfig, frame: TruncateFrame): Promise<void> {
    this.frames.push(frame);
    const tables = target.kind === 'tables' ? target.tables : [];
    await session.query(`${frame.opening}TRUNCATE ${tables.map((table) => table.name).join(', ')}${frame.closing}`);
  }
}

/** A pool on a fake driver, the way `createPool` builds one on a real driver. */
export function fakePool(driver: FakeDriver, options: Omit<PoolOptions, 'url' | 'dialect' | 'connection'> = {}): Pool {
  return Pool.open(parsePoolOptions({ dialect: 'postgres', ...options }), Promise.resolve(driver));
}

/** A promise and the function that resolves it. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

import { parsePoolOptions } from '../../lib/config.js';
import type { Adapter, AdapterSession, QueryResult, TransactionState, TruncateConfig, TruncateTarget } from '../../lib/driver.js';
import { Pool, type PoolOptions } from '../../lib/index.js';

/** How a fake session answers one statement: a result, a rejection, or a promise the test settles. */
export type Responder = (text: string, session: FakeSession) => Promise<QueryResult<never>> | undefined;

const EMPTY: QueryResult<never> = { rows: [], rowCount: 0 };

/**
 * An in-memory session for pool-mechanics tests: it records every statement,
 * follows BEGIN / COMMIT / ROLLBACK to know whether a transaction is open, and
 * answers what the test's responder says (an empty result otherwise). It runs
 * no SQL: database behaviour is tested on the real servers.
 */
export class FakeSession implements AdapterSession {
  readonly id: number;
  readonly statements: string[] = [];
  #inTransaction = false;
  #reusable = true;
  closed = false;
  resets = 0;
  failReset: unknown;
  readonly #adapter: FakeAdapter;

  constructor(id: number, adapter: FakeAdapter) {
    this.id = id;
    this.#adapter = adapter;
  }

  query<Row>(text: string): Promise<QueryResult<Row>> {
    if (this.closed) return Promise.reject(new Error(`fake session ${this.id} is closed`));
    this.statements.push(text);
    this.#adapter.log.push(`${this.id}: ${text}`);
    if (text === 'BEGIN') this.#inTransaction = true;
    if (text === 'COMMIT' || text === 'ROLLBACK') this.#inTransaction = false;
    return (this.#adapter.respond(text, this) ?? Promise.resolve(EMPTY)) as Promise<QueryResult<Row>>;
  }

  settling(): Promise<void> | undefined {
    return undefined;
  }

  inTransaction(): boolean {
    return this.#inTransaction;
  }

  transactionState(): Promise<TransactionState> {
    return Promise.resolve({ status: this.#inTransaction ? 'open' : 'idle' });
  }

  async reset(): Promise<void> {
    if (this.failReset !== undefined) throw this.failReset;
    this.resets += 1;
    this.#inTransaction = false;
  }

  isReusable(): boolean {
    return this.#reusable && !this.closed;
  }

  condemn(): void {
    this.#reusable = false;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** An adapter whose sessions are `FakeSession`s; `connect` does what `connectWith` says (open one, by default). */
export class FakeAdapter implements Adapter {
  readonly dialect = 'postgres';
  readonly identifierRules = { maxLength: 63, unit: 'bytes' } as const;
  readonly truncateCommitsImplicitly = false;
  readonly sessions: FakeSession[] = [];
  /** Every statement of every session, as `id: text`, in the order sent. */
  readonly log: string[] = [];
  /** What each truncate was told: whether it opens the transaction itself. */
  readonly truncateBegins: boolean[] = [];
  connects = 0;
  respond: Responder = () => undefined;
  connectWith: (attempt: number) => Promise<void> = () => Promise.resolve();

  placeholder(index: number): string {
    return `$${index}`;
  }

  quote(part: string): string {
    return `"${part.replaceAll('"', '""')}"`;
  }

  async connect(): Promise<AdapterSession> {
    this.connects += 1;
    await this.connectWith(this.connects);
    const session = new FakeSession(this.sessions.length + 1, this);
    this.sessions.push(session);
    return session;
  }

  async truncate(session: AdapterSession, target: TruncateTarget, _options: TruncateConfig, begins: boolean): Promise<void> {
    this.truncateBegins.push(begins);
    // Opens the transaction when told to and leaves it for the core to commit, as an adapter may.
    if (begins) await session.query('BEGIN');
    const tables = target.kind === 'tables' ? target.tables : [];
    await session.query(`TRUNCATE ${tables.map((table) => table.name).join(', ')}`);
  }
}

/** A pool on a fake adapter, the way `createPool` builds one on a real adapter. */
export function fakePool(adapter: FakeAdapter, options: Omit<PoolOptions, 'url' | 'dialect' | 'connection'> = {}): Pool {
  return new Pool(parsePoolOptions({ dialect: 'postgres', ...options }), Promise.resolve(adapter));
}

/** A promise and the function that resolves it. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * The single seam between the dialect-free core and a database driver, owned
 * by the core. A dialect supplies two things: `DialectInfo`, facts that need no
 * driver (quoting, placeholders, URL schemes, error classes), loaded with the
 * core; and a `Driver`, verbs over raw connections, loaded lazily so that a
 * service installs only the driver of its own dialect. What every session
 * must do around those verbs (timeouts, cancels, settling, transaction state,
 * tracing, reuse) the core writes once, in `session.ts`.
 */
import type { Limits } from './bound.js';
import type { IdentifierRules, TableName } from './identifiers.js';
import type { TransactionMode } from './transaction-options.js';

/** The two SQL dialects sqlpin speaks. */
export type Dialect = 'mysql' | 'postgres';

/** What every query resolves to, on both dialects. */
export interface QueryResult<Row = Record<string, unknown>> {
  /** Rows of a result set; empty for statements that return none. */
  readonly rows: Row[];
  /** Rows returned (SELECT) or affected (INSERT / UPDATE / DELETE). */
  readonly rowCount: number;
  /**
   * MySQL, for a statement that returns no rows: the AUTO_INCREMENT value it
   * generated (LAST_INSERT_ID() of that statement, 0 when none), a number, or
   * a string past Number.MAX_SAFE_INTEGER. PostgreSQL has none: use RETURNING.
   */
  readonly insertId?: number | string;
  /** MySQL, for a statement that returns no rows: the rows it affected, as the server counts them. */
  readonly affectedRows?: number;
}

/** Where the server says a session's transaction is: none, open, or failed (only a rollback is accepted). */
export type TransactionStatus = 'idle' | 'open' | 'failed';

/** The proxies a dialect can run behind; a transaction pooler (PgBouncer) exists for PostgreSQL only. */
export type Pooler = 'transaction';

/** Facts of a dialect that need no driver: the core reads them synchronously. */
export interface DialectInfo {
  readonly name: Dialect;
  /** URL schemes (with their colon) that select this dialect. */
  readonly schemes: readonly string[];
  /** The npm package of the driver, named when it is not installed. */
  readonly driverPackage: string;
  readonly identifierRules: IdentifierRules;
  readonly poolers: readonly Pooler[];
  /**
   * True where TRUNCATE commits the open transaction (MySQL): truncate is then
   * refused inside one. Otherwise it runs inside a transaction of its own, or
   * a savepoint of the caller's.
   */
  readonly truncateCommitsImplicitly: boolean;
  /** The text of the n-th (1-based) parameter placeholder. */
  placeholder(index: number): string;
  /** Quotes one validated identifier part, doubling embedded quote characters. */
  quote(part: string): string;
  /** The statements that begin a transaction in `mode` (just BEGIN when it asks nothing). */
  beginTransaction(mode: TransactionMode): readonly string[];
  /** A URL of one of `schemes` as the driver reads it. */
  driverUrl(url: string): string;
  /**
   * An error the server marks as safe to retry: the work was rolled back
   * because of a conflict with other sessions (a deadlock, a serialization
   * failure), not because of the work itself.
   */
  isRetryable(error: unknown): boolean;
  /** Imports the driver part. */
  loadDriver(): Promise<DriverFactory>;
}

/** Builds a driver from the pool's validated connection settings. */
export type DriverFactory = (settings: DriverSettings) => Driver;

export interface DriverSettings {
  /** A connection URL as the driver reads it, or undefined when `connection` is given. */
  readonly url?: string;
  /** Driver-native options, passed through untouched. */
  readonly connection?: Readonly<Record<string, unknown>>;
  /** Upper bound for opening one session, so a stalled connect cannot hold a pool slot forever. */
  readonly connectTimeoutMillis: number;
  /** A transaction-pooling proxy stands in front of the server: no named prepared statements. */
  readonly pooler?: Pooler;
  readonly report: ErrorReporter;
}

/**
 * One raw server connection as a driver opened it: verbs only. It has no
 * timeouts, no queue and no idea of reuse; `ManagedSession` adds those.
 */
export interface DriverConnection {
  /** CONNECTION_ID() on MySQL, pg_backend_pid() on PostgreSQL. */
  readonly id: number;
  /**
   * Sends one text (on PostgreSQL several statements may share it; the last
   * answers). Settles once the server is ready for the next text, so that
   * `status()` is up to date; rejects with the driver's own error; never throws.
   */
  send<T>(text: string, params: readonly unknown[] | undefined, reply: Reply<T>): Promise<T>;
  /** The transaction status the server's last reply reported; undefined where that reply carried none (MySQL error packets). */
  status(): TransactionStatus | undefined;
  /** Whether the link is unusable after this error from `send` (socket faults, FATAL). */
  isFatal(error: unknown): boolean;
  /** Wipes all session state, as a fresh login would have it, and applies the login setup again. */
  reset(): Promise<void>;
  /** Closes politely; resolves once closed. The core bounds it and then calls `destroy`. */
  end(): Promise<void>;
  /** Closes the link at once. */
  destroy(): void;
  /** Whether the open link keeps the Node process alive; an idle one need not (`allowExitOnIdle`). */
  holdProcess(hold: boolean): void;
  /** Called once if the link dies outside a statement (an idle session killed by the server). */
  onLost(listener: (error: unknown) => void): void;
}

/**
 * What the core does with a reply before its caller hears of it, called by
 * `send` as the reply arrives: a session notes the status and takes its next
 * statement in the same turn, with no promise of its own per statement.
 */
export interface Reply<T> {
  /** The statement ended; returns what `send` resolves with. */
  ended(result: QueryResult<unknown>): T;
  /** The statement failed with the driver's error; returns what `send` rejects with. */
  failed(error: unknown): unknown;
}

/** A reply passed on as the driver gave it. */
export const AS_IS: Reply<QueryResult<unknown>> = { ended: (result) => result, failed: (error) => error };

/** Runs statements on a short-lived connection of its own, closed right after. */
export type AsideQuery = (text: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** Verbs of one driver, for the pool's sessions. */
export interface Driver<C extends DriverConnection = DriverConnection> {
  /** Opens a connection; one whose setup fails after it opened is closed before the error is thrown. */
  connect(): Promise<C>;
  /** Runs `work` on a connection of its own, closed after: cancels and lock look-ups come from outside a session. */
  aside<T>(work: (query: AsideQuery) => Promise<T>): Promise<T>;
  /** The statement, sent aside, that cancels what session `id` runs now; its reply means the server has taken the cancel. */
  cancel(id: number): { readonly text: string; readonly params: readonly unknown[] };
  /** A statement that changes nothing and whose reply carries the transaction status. */
  readonly statusProbe: string;
  /** How to pin a server session behind a transaction pooler, where the dialect has such poolers. */
  readonly transactionPin?: TransactionPin;
  /**
   * Empties validated tables on one pinned session, with the dialect's rules.
   * Its statements go inside `frame`: the core's transaction control, which
   * the dialect only places (see `TruncateFrame`).
   */
  truncate(session: Session<C>, target: TruncateTarget, options: TruncateConfig, frame: TruncateFrame): Promise<void>;
}

/** What a dialect's code may do with one of the core's sessions. */
export interface Session<C extends DriverConnection = DriverConnection> {
  readonly id: number;
  /** The driver's own connection, for facts it keeps of its session (server version, parameters). */
  readonly connection: C;
  /**
   * Runs one text, bounded by `timeoutMillis` (the pool's `queryTimeoutMillis`
   * when left out; 0 for none) and cut when `signal` aborts.
   */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[], bound?: Limits): Promise<QueryResult<Row>>;
  /** Whether the server's last word says a transaction is open (a raw BEGIN included). */
  inTransaction(): boolean;
  /** False once the session saw a fatal error, was killed, or was condemned. */
  isReusable(): boolean;
  /** Marks the session as not to be reused: its state is unknown (a restore failed). */
  condemn(): void;
  /** Runs `work` on a short-lived connection of its own (a look at who holds locks). */
  aside<T>(work: (query: AsideQuery) => Promise<T>): Promise<T>;
  /** Runs sqlpin's own read-only steps, again after a transient conflict (bounded); counted in `stats().retriedReads`. */
  retryReads<T>(reads: () => Promise<T>): Promise<T>;
}

/**
 * The transaction a dialect's truncate runs in, opened and closed by the core.
 * Where it is given, the dialect starts its first message with `opening` and
 * ends its last one with `closing`, saving the round trips of a BEGIN and a
 * COMMIT of their own; a call that ends early leaves `closing` to the core. The
 * core reads the session's status from the replies, so it knows what was sent.
 */
export interface TruncateFrame {
  /** Statement text (with its separator) that the first message starts with, or ''. */
  readonly opening: string;
  /** Statement text (with its separator) that the last message ends with, or ''. */
  readonly closing: string;
}

/** A frame that adds nothing: the core has opened a savepoint around the call, or no transaction applies. */
export const NO_FRAME: TruncateFrame = { opening: '', closing: '' };

/**
 * How each table is emptied: always TRUNCATE; DELETE (counters then reset where
 * they moved) wherever that leaves what TRUNCATE would; or per table by size.
 * The result is the same with each, only the speed differs.
 */
export type TruncateStrategy = 'truncate' | 'delete' | 'auto';

/** How `truncate` and `truncateAll` were asked to behave, after validation and defaults. */
export interface TruncateConfig {
  readonly cascade: boolean;
  readonly restartIdentity: boolean;
  readonly strategy: TruncateStrategy;
  /** Longest wait for the table locks before `LockTimeoutError`; 0 waits as long as the server does. */
  readonly lockTimeoutMillis: number;
}

/**
 * What a truncate empties, names validated: the named tables, or every base
 * table of one schema (the current one when `schema` is absent) but the excepted ones.
 */
export type TruncateTarget =
  | { readonly kind: 'tables'; readonly tables: readonly TableName[] }
  | { readonly kind: 'all'; readonly schema?: string; readonly except: readonly TableName[] };

/**
 * Statements that pin one server session behind a transaction-pooling proxy,
 * which keeps a client on one server session only while a transaction is open.
 */
export interface TransactionPin {
  /** Follows the BEGIN in one message; its last statement answers the server session's id as `id`. */
  readonly afterBegin: string;
  /** Undoes the session state a callback may have set (SET, temporary tables, advisory locks...), then commits. */
  readonly commit: string;
  /** The same undoing after a failure, whatever state the transaction is in, then rolls back. */
  readonly rollback: string;
}

/** Reports a fault that is handled (the session is dropped) but must not go unseen. */
export type ErrorReporter = (error: unknown) => void;

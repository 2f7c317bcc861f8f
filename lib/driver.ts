import type { IdentifierRules, TableName } from './identifiers.js';

/** The two SQL dialects sqlpin speaks. */
export type Dialect = 'mysql' | 'postgres';

/** What every query resolves to, on both dialects. */
export interface QueryResult<Row = Record<string, unknown>> {
  /** Rows of a result set; empty for statements that return none. */
  readonly rows: Row[];
  /** Rows returned (SELECT) or affected (INSERT / UPDATE / DELETE). */
  readonly rowCount: number;
}

/** One open server session, owned by the adapter that opened it. */
export interface AdapterSession {
  /** CONNECTION_ID() on MySQL, pg_backend_pid() on PostgreSQL. */
  readonly id: number;
  /**
   * Runs one statement. `timeoutMillis` bounds it (0: no bound); left out, the
   * pool's `queryTimeoutMillis` applies. Past it the call rejects with
   * `QueryTimeoutError` and the statement is cancelled on the server.
   */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[], timeoutMillis?: number): Promise<QueryResult<Row>>;
  /**
   * While a statement that timed out may still run: resolves once it ended, or
   * once the session was given up. Undefined otherwise, which is the common case.
   */
  settling(): Promise<void> | undefined;
  /** Whether the server's last word says a transaction is open (a raw BEGIN included). */
  inTransaction(): boolean;
  /**
   * The server's account of the transaction, asked before sqlpin commits or
   * rolls back a level. It may cost a round trip when the last reply was an
   * error that carried no status (MySQL's error packets carry none).
   */
  transactionState(): Promise<TransactionState>;
  /** Wipes all session state, as a fresh login would have it. */
  reset(): Promise<void>;
  /** False once the session saw a fatal error, was killed, or was condemned. */
  isReusable(): boolean;
  /** Marks the session as not to be reused: its state is unknown (a restore failed). */
  condemn(): void;
  /** Closes the session; never rejects, and gives up politeness after a grace period. */
  close(): Promise<void>;
}

/**
 * Where the server says the session's transaction is: none (`idle`), `open`, or
 * `failed` (PostgreSQL: a statement failed, and only a rollback is accepted).
 */
export interface TransactionState {
  readonly status: 'idle' | 'open' | 'failed';
  /**
   * The error that put the transaction where it is: the first failure of a
   * `failed` one, or the server's error that ended an `idle` one (a MySQL
   * deadlock rolls the whole transaction back). Undefined when none did.
   */
  readonly failure?: unknown;
}

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
  /** Opens the transaction; its last statement answers the server session's id as `id`. */
  readonly begin: string;
  /** Undoes the session state a callback may have set (SET, temporary tables, advisory locks...), then commits. */
  readonly commit: string;
  /** The same undoing after a failure, whatever state the transaction is in, then rolls back. */
  readonly rollback: string;
}

/** Reports a fault that is handled (the session is dropped) but must not go unseen. */
export type ErrorReporter = (error: unknown) => void;

/**
 * The single seam between the dialect-free core and a driver, owned by the
 * core: each file in adapters/ implements it, and the core never asks which
 * dialect it talks to; it asks the adapter.
 */
export interface Adapter {
  readonly dialect: Dialect;
  readonly identifierRules: IdentifierRules;
  /**
   * True where TRUNCATE commits the open transaction (MySQL): truncate is then
   * refused inside one. Otherwise truncate runs inside a transaction of its own,
   * or a savepoint of the caller's.
   */
  readonly truncateCommitsImplicitly: boolean;
  /** The text of the n-th (1-based) parameter placeholder. */
  placeholder(index: number): string;
  /** Quotes one validated identifier part, doubling embedded quote characters. */
  quote(part: string): string;
  /** Opens a session; one whose setup fails after it opened is closed before the error is thrown. */
  connect(): Promise<AdapterSession>;
  /** How to pin a server session behind a transaction pooler, where the dialect has such poolers. */
  readonly transactionPin?: TransactionPin;
  /** sqlpin's own read-only statements run again after a transient conflict (a Galera deadlock), since the pool opened. */
  readonly retriedReads?: number;
  /**
   * Empties validated tables on one pinned session, with the dialect's rules.
   * Both kinds of target go through the same steps: resolve the tables, read
   * their state in one round trip, plan, send the statements.
   *
   * `begins` is true only where TRUNCATE does not commit implicitly and no
   * transaction is open: then the adapter opens the truncate's transaction in
   * the message of its first statement, and may commit it in the message of its
   * last, saving the round trips of a BEGIN and a COMMIT of their own. Whatever
   * it leaves open the core commits; on a throw the core rolls back. Otherwise
   * the core has opened a transaction or a savepoint around the call.
   */
  truncate(session: AdapterSession, target: TruncateTarget, options: TruncateConfig, begins: boolean): Promise<void>;
}

/** Builds an adapter from the pool's validated connection settings. */
export interface AdapterSettings {
  /** A connection URL with the scheme normalised, or undefined when `connection` is given. */
  readonly url?: string;
  /** Driver-native options, passed through untouched. */
  readonly connection?: Readonly<Record<string, unknown>>;
  /** Upper bound for opening one session, so a stalled connect cannot hold a pool slot forever. */
  readonly connectTimeoutMillis: number;
  /** A transaction-pooling proxy stands in front of the server: no named prepared statements. */
  readonly pooler?: 'transaction';
  /** Bound of every statement whose call gives none; 0 for none. */
  readonly queryTimeoutMillis: number;
  readonly report: ErrorReporter;
}

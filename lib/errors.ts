/**
 * The `code` of every sqlpin error, one per class. Each class declares its own
 * as a literal type, so `error.code` narrows and a misspelt code does not compile.
 */
export type SqlpinErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_CONNECT'
  | 'ERR_POOL_TIMEOUT'
  | 'ERR_POOL_CLOSED'
  | 'ERR_CONNECTION_RELEASED'
  | 'ERR_INVALID_IDENTIFIER'
  | 'ERR_TABLE_NOT_FOUND'
  | 'ERR_FOREIGN_KEY_TRUNCATE'
  | 'ERR_TRUNCATE_IN_TRANSACTION'
  | 'ERR_READ_ONLY'
  | 'ERR_TRANSACTION_ABORTED'
  | 'ERR_QUERY_TIMEOUT'
  | 'ERR_LOCK_TIMEOUT'
  | 'ERR_CONNECTION_LOST'
  | 'ERR_ABORTED'
  | 'ERR_QUERY_CANCELLED'
  | 'ERR_NOT_A_TABLE'
  | 'ERR_TRUNCATE_REFUSED';

/**
 * Every error sqlpin raises. Each class has a stable `code`; a wrapped driver
 * error stays reachable as `cause` with its own errno / SQLSTATE intact.
 */
export class SqlpinError extends Error {
  readonly code: SqlpinErrorCode;

  constructor(code: SqlpinErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** `createPool` options that cannot work: unknown key, bad value, unknown scheme. */
export class ConfigError extends SqlpinError {
  declare readonly code: 'ERR_CONFIG';

  constructor(message: string, cause?: unknown) {
    super('ERR_CONFIG', message, cause === undefined ? undefined : { cause });
  }
}

/** A public function was called with an argument of the wrong type or range. */
export class InvalidArgumentError extends SqlpinError {
  declare readonly code: 'ERR_INVALID_ARGUMENT';

  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
  }
}

/** A new session could not be opened; the driver's error is the `cause`. */
export class ConnectionError extends SqlpinError {
  declare readonly code: 'ERR_CONNECT';

  constructor(message: string, cause: unknown) {
    super('ERR_CONNECT', message, { cause });
  }
}

/** No session became free within `acquireTimeoutMillis`. */
export class PoolTimeoutError extends SqlpinError {
  declare readonly code: 'ERR_POOL_TIMEOUT';

  constructor(timeoutMillis: number, cause?: unknown) {
    const detail = cause === undefined ? '' : ' (the last attempt to open a session failed: see cause)';
    super('ERR_POOL_TIMEOUT', `no session became available within ${timeoutMillis} ms${detail}`, { cause });
  }
}

/** The pool was closed: it takes no new work. */
export class PoolClosedError extends SqlpinError {
  declare readonly code: 'ERR_POOL_CLOSED';

  constructor() {
    super('ERR_POOL_CLOSED', 'the pool is closed');
  }
}

/** A pinned handle was used after its callback settled. */
export class ConnectionReleasedError extends SqlpinError {
  declare readonly code: 'ERR_CONNECTION_RELEASED';

  constructor() {
    super('ERR_CONNECTION_RELEASED', 'this connection was released when its callback settled; use it only inside the callback');
  }
}

/** A table name that is empty, too long, contains NUL or has too many parts. */
export class InvalidIdentifierError extends SqlpinError {
  declare readonly code: 'ERR_INVALID_IDENTIFIER';

  constructor(message: string) {
    super('ERR_INVALID_IDENTIFIER', message);
  }
}

/** A named table does not exist (or is not a base table). */
export class TableNotFoundError extends SqlpinError {
  declare readonly code: 'ERR_TABLE_NOT_FOUND';
  readonly table: string;

  constructor(table: string) {
    super('ERR_TABLE_NOT_FOUND', `table ${table} does not exist`);
    this.table = table;
  }
}

/** PostgreSQL: tables that hold rows reference the tables to empty. Nothing was changed. */
export class ForeignKeyTruncateError extends SqlpinError {
  declare readonly code: 'ERR_FOREIGN_KEY_TRUNCATE';
  readonly referencingTables: readonly string[];

  constructor(tables: readonly string[], referencingTables: readonly string[]) {
    super(
      'ERR_FOREIGN_KEY_TRUNCATE',
      `cannot truncate ${tables.join(', ')}: referenced, directly or through other tables, by tables that hold rows: ${referencingTables.join(', ')}. ` +
        'Nothing was changed. Pass { cascade: true } to empty those tables too.',
    );
    this.referencingTables = referencingTables;
  }
}

/** MySQL: TRUNCATE would silently commit the open transaction, so it is refused. */
export class TruncateInTransactionError extends SqlpinError {
  declare readonly code: 'ERR_TRUNCATE_IN_TRANSACTION';

  constructor() {
    super(
      'ERR_TRUNCATE_IN_TRANSACTION',
      'TRUNCATE commits implicitly on MySQL, so it is refused inside a transaction; run it outside the transaction',
    );
  }
}

/** The server refuses writes (a replica, a standby in recovery, `read_only`), so truncate did not start. Nothing was changed. */
export class ReadOnlyServerError extends SqlpinError {
  declare readonly code: 'ERR_READ_ONLY';

  constructor(reason: string, cause?: unknown) {
    super(
      'ERR_READ_ONLY',
      `cannot truncate: the server is read-only (${reason}). Nothing was changed. Send writes through a pool on the primary`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/**
 * The server aborted the transaction (a statement in it failed, or timed out)
 * and the callback returned anyway: it was rolled back, not committed. The
 * first failure is the `cause`. The session itself is fine.
 */
export class TransactionAbortedError extends SqlpinError {
  declare readonly code: 'ERR_TRANSACTION_ABORTED';

  constructor(cause: unknown) {
    super('ERR_TRANSACTION_ABORTED', 'the transaction was aborted by a failed statement and rolled back, not committed: see cause', {
      cause,
    });
  }
}

/**
 * A statement did not answer within its time (`queryTimeoutMillis` or the
 * call's `timeoutMillis`). The server-side statement was cancelled; a session
 * whose state is then unknown is destroyed.
 */
export class QueryTimeoutError extends SqlpinError {
  declare readonly code: 'ERR_QUERY_TIMEOUT';
  readonly timeoutMillis: number;
  /** For a COMMIT that timed out: its transaction was rolled back, or whether it took effect is unknown. */
  readonly outcome: CommitOutcome | undefined;

  constructor(timeoutMillis: number, outcome?: CommitOutcome) {
    super('ERR_QUERY_TIMEOUT', `the statement did not answer within ${timeoutMillis} ms and was cancelled${outcomeText(outcome)}`);
    this.timeoutMillis = timeoutMillis;
    this.outcome = outcome;
  }
}

/** A session that held a lock a call waited for, as the server showed it. */
export interface LockBlocker {
  /** CONNECTION_ID() / pg_backend_pid() of the blocking session. */
  readonly id: number;
  readonly user: string | null;
  /** What the server says the session is doing (e.g. `idle in transaction`). */
  readonly state: string | null;
  /** How long it has been in that state (PostgreSQL: in its transaction, when it has one). */
  readonly seconds: number | null;
  /** The start of its current or last statement, when the server shows it. */
  readonly statement: string | null;
}

/** Rows of an adapter's blocker look-up (columns id, user, state, seconds, statement) as `LockBlocker`s. */
export function toBlockers(rows: readonly Record<string, unknown>[]): LockBlocker[] {
  return rows.map((row) => ({
    id: Number(row.id),
    user: (row.user as string | null) ?? null,
    state: (row.state as string | null) ?? null,
    seconds: row.seconds === null ? null : Number(row.seconds),
    statement: (row.statement as string | null) ?? null,
  }));
}

/**
 * Waiting for table locks took longer than `lockTimeoutMillis`. Nothing was
 * emptied. `blockers` are the sessions holding the locks; where the server
 * does not say who holds them (MariaDB without the METADATA_LOCK_INFO plugin)
 * it is empty and `blockersKnown` is false, rather than a guess that names bystanders.
 */
export class LockTimeoutError extends SqlpinError {
  declare readonly code: 'ERR_LOCK_TIMEOUT';
  readonly lockTimeoutMillis: number;
  readonly blockers: readonly LockBlocker[];
  readonly blockersKnown: boolean;

  constructor(lockTimeoutMillis: number, blockers: readonly LockBlocker[] | 'unknown', cause: unknown) {
    const held =
      blockers === 'unknown'
        ? 'the server does not say which sessions hold them'
        : blockers.length === 0
          ? 'the sessions holding them had gone when looked up'
          : `held by session ${blockers.map((b) => b.id).join(', ')}`;
    super('ERR_LOCK_TIMEOUT', `the table locks were not granted within ${lockTimeoutMillis} ms (${held}); nothing was emptied`, { cause });
    this.lockTimeoutMillis = lockTimeoutMillis;
    this.blockers = blockers === 'unknown' ? [] : blockers;
    this.blockersKnown = blockers !== 'unknown';
  }
}

/**
 * What became of a transaction whose COMMIT did not answer: sqlpin waited for
 * it (bounded) and it was rolled back, or it could not know (the session is
 * then destroyed, never reused).
 */
export type CommitOutcome = 'rolled back' | 'unknown';

/**
 * The session's connection was lost during the call: the server killed it
 * (KILL, pg_terminate_backend), or the link failed. The driver's error is the
 * `cause`; the session is destroyed. `outcome` says what became of a COMMIT.
 */
export class ConnectionLostError extends SqlpinError {
  declare readonly code: 'ERR_CONNECTION_LOST';
  readonly outcome: CommitOutcome | undefined;

  constructor(cause: unknown, outcome?: CommitOutcome) {
    super('ERR_CONNECTION_LOST', `the session's connection was lost during the call${outcomeText(outcome)}: see cause`, { cause });
    this.outcome = outcome;
  }
}

/**
 * The server cancelled the call's running statement at another session's
 * request (KILL QUERY, pg_cancel_backend), not at sqlpin's. The driver's error
 * is `cause`; `outcome: 'unknown'` for a truncate that may have emptied part
 * of its tables when it was cancelled.
 */
export class QueryCancelledError extends SqlpinError {
  declare readonly code: 'ERR_QUERY_CANCELLED';
  readonly outcome: CommitOutcome | undefined;

  constructor(cause: unknown, outcome?: CommitOutcome) {
    super('ERR_QUERY_CANCELLED', `the server cancelled the statement at another session's request${outcomeText(outcome)}: see cause`, {
      cause,
    });
    this.outcome = outcome;
  }
}

/**
 * The call's `signal` was aborted: before anything was sent, or during the
 * call, when the running statement was cancelled on the server as for a
 * timeout. `cause` is `signal.reason`, as Node's own AbortErrors have it.
 */
export class AbortError extends SqlpinError {
  declare readonly code: 'ERR_ABORTED';
  readonly outcome: CommitOutcome | undefined;

  constructor(reason: unknown, outcome?: CommitOutcome) {
    super('ERR_ABORTED', `the call was aborted${outcomeText(outcome)}`, { cause: reason });
    this.outcome = outcome;
  }
}

function outcomeText(outcome: CommitOutcome | undefined): string {
  if (outcome === undefined) return '';
  return outcome === 'unknown' ? '; whether its COMMIT took effect is unknown' : '; its transaction was rolled back';
}

/** What a name given as a table to empty turned out to be instead. */
export type ObjectKind =
  | 'view'
  | 'materialized view'
  | 'foreign table'
  | 'sequence'
  | 'system-versioned table'
  | 'temporary table'
  | 'other object';

/** A name given as a table to empty names another kind of object (a view, a sequence...). Nothing was changed. */
export class NotATableError extends SqlpinError {
  declare readonly code: 'ERR_NOT_A_TABLE';
  readonly table: string;
  readonly kind: ObjectKind;

  constructor(table: string, kind: ObjectKind) {
    super('ERR_NOT_A_TABLE', `${table} is a ${kind}, not a table that truncate can empty; nothing was changed`);
    this.table = table;
    this.kind = kind;
  }
}

/**
 * Why sqlpin refused a truncate before changing anything: the server would
 * refuse it part-way, or sqlpin could not make its decisions on what it can see.
 */
export type RefusalReason =
  | 'row security'
  | 'privilege'
  | 'partition'
  | 'inheritance'
  | 'system versioning'
  | 'temporary table'
  | 'session setting';

/**
 * A truncate sqlpin refused before changing anything, because the raw
 * statements would fail part-way or leave something other than what the call
 * promises, or because a decision would rest on rows it cannot see. `reason`
 * says which, `tables` where; the message says both.
 */
export class TruncateRefusedError extends SqlpinError {
  declare readonly code: 'ERR_TRUNCATE_REFUSED';
  readonly reason: RefusalReason;
  readonly tables: readonly string[];

  constructor(reason: RefusalReason, tables: readonly string[], detail: string, cause?: unknown) {
    super(
      'ERR_TRUNCATE_REFUSED',
      `truncate refused (${reason}) for ${tables.join(', ')}: ${detail}; nothing was changed`,
      cause === undefined ? undefined : { cause },
    );
    this.reason = reason;
    this.tables = tables;
  }
}

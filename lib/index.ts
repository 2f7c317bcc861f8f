/**
 * sqlpin: one pinned SQL session per callback, and a truncate that is correct
 * on MySQL and PostgreSQL, over mysql2 and pg.
 */
export { createPool, Pool, type PoolStats, type WithConnectionOptions } from './pool.js';
export type { Isolation, TransactionOptions } from './transaction-options.js';
export type { PoolOptions } from './config.js';
export { Connection } from './connection.js';
export { sql, SqlQuery } from './sql.js';
export type { QueryInput, QueryOptions } from './statement.js';
export type { AbortSignalLike } from './signal.js';
export type { TableRef } from './identifiers.js';
export type { TruncateOptions, TruncateAllOptions, TruncateStrategy } from './truncate.js';
export type { PoolEvent, QueryTrace, TransactionEvent } from './tracing.js';
export type { Dialect, QueryResult } from './driver.js';
export type { MysqlConnectionOptions, PostgresConnectionOptions, TlsOptions } from './connection-options.js';
export {
  SqlpinError,
  type SqlpinErrorCode,
  ConfigError,
  InvalidArgumentError,
  ConnectionError,
  PoolTimeoutError,
  PoolClosedError,
  ConnectionReleasedError,
  InvalidIdentifierError,
  TableNotFoundError,
  ForeignKeyTruncateError,
  TruncateInTransactionError,
  ReadOnlyServerError,
  TransactionAbortedError,
  QueryTimeoutError,
  LockTimeoutError,
  ConnectionLostError,
  AbortError,
  QueryCancelledError,
  NotATableError,
  TruncateRefusedError,
  type CommitOutcome,
  type ObjectKind,
  type RefusalReason,
  type LockBlocker,
} from './errors.js';

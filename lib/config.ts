import type { MysqlConnectionOptions, PostgresConnectionOptions } from './connection-options.js';
import type { Dialect, ErrorReporter } from './driver.js';
import { ConfigError } from './errors.js';
import { describe } from './identifiers.js';

/** Options of `createPool`. Unknown keys and bad values throw `ConfigError` at once. */
export interface PoolOptions {
  /** `mysql:`, `mariadb:`, `postgres:` or `postgresql:` URL. Either this or `dialect`. */
  url?: string;
  /** With `connection`: the dialect, when no URL is given. */
  dialect?: Dialect;
  /** Driver-native connection options (mysql2 `ConnectionOptions`, pg `ClientConfig`). */
  connection?: MysqlConnectionOptions | PostgresConnectionOptions;
  /** Sessions kept open even when idle. Default 0. */
  min?: number;
  /** Most sessions open at once. Default 10. */
  max?: number;
  /** How long a caller waits for a session before `PoolTimeoutError`. Default 10 000; also bounds opening one. */
  acquireTimeoutMillis?: number;
  /** An idle session above `min` is closed after this long. Default 30 000; 0 keeps idle sessions. */
  idleTimeoutMillis?: number;
  /** Which idle session is handed out next: the longest idle ('fifo', default) or the most recent ('lifo'). */
  order?: 'fifo' | 'lifo';
  /** Wipe all session state before a session is reused. Default false. */
  resetOnRelease?: boolean;
  /**
   * 'transaction': a transaction-pooling proxy (PgBouncer `pool_mode = transaction`)
   * stands between sqlpin and PostgreSQL. No named prepared statements; each
   * `withConnection` callback runs in a transaction, the only way such a proxy
   * pins a server session, and leaves no session state behind. PostgreSQL only.
   */
  pooler?: 'transaction';
  /** A session open longer than this is closed when it comes back, never mid-work. Default 0: no limit. */
  maxLifetimeMillis?: number;
  /** A session lent this many times is closed when it comes back. Default 0: no limit. */
  maxUses?: number;
  /**
   * Bound of every statement sent, sqlpin's own included: past it the call
   * rejects with `QueryTimeoutError` and the statement is cancelled on the
   * server. Default 0: no bound. A call's `{ timeoutMillis }` overrides it.
   */
  queryTimeoutMillis?: number;
  /** Receives faults that sqlpin handled by dropping a session (a killed idle session, a failed reset). */
  onError?: (error: unknown) => void;
}

/** Options after validation, with defaults applied. */
export interface PoolConfig {
  readonly dialect: Dialect;
  readonly url?: string;
  readonly connection?: Readonly<Record<string, unknown>>;
  readonly min: number;
  readonly max: number;
  readonly acquireTimeoutMillis: number;
  readonly idleTimeoutMillis: number;
  readonly order: 'fifo' | 'lifo';
  readonly resetOnRelease: boolean;
  readonly maxLifetimeMillis: number;
  readonly maxUses: number;
  readonly pooler?: 'transaction';
  readonly queryTimeoutMillis: number;
  /** `onError`, or a process warning: a handled fault is still shown, never swallowed. */
  readonly report: ErrorReporter;
}

const KNOWN_KEYS = new Set([
  'url',
  'dialect',
  'connection',
  'min',
  'max',
  'acquireTimeoutMillis',
  'idleTimeoutMillis',
  'order',
  'resetOnRelease',
  'onError',
  'maxLifetimeMillis',
  'maxUses',
  'pooler',
  'queryTimeoutMillis',
]);

/** The poolers each dialect can run behind; a transaction pooler exists for PostgreSQL only. */
const POOLERS: Readonly<Record<Dialect, readonly 'transaction'[]>> = { mysql: [], postgres: ['transaction'] };

const SCHEMES: Readonly<Record<string, Dialect>> = {
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
};

/** Validates `createPool` options; messages never echo a URL, which may hold a password. */
export function parsePoolOptions(options: unknown): PoolConfig {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError(`createPool takes an options object, not ${describe(options)}`);
  }
  const given = options as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => !KNOWN_KEYS.has(key));
  if (unknown.length > 0) throw new ConfigError(`unknown option ${unknown.map((key) => JSON.stringify(key)).join(', ')}`);

  const min = integerOption(given, 'min', 0, 0);
  const max = integerOption(given, 'max', 10, 1);
  if (min > max) throw new ConfigError(`min (${min}) cannot exceed max (${max})`);
  const onError = given.onError;
  if (onError !== undefined && typeof onError !== 'function') throw new ConfigError('onError must be a function');

  const where = target(given);
  const resetOnRelease = booleanOption(given, 'resetOnRelease', false);
  if (given.pooler !== undefined && POOLERS[where.dialect].length === 0) {
    throw new ConfigError(`pooler is not supported with the ${where.dialect} dialect`);
  }
  const pooler = given.pooler === undefined ? undefined : choiceOption(given, 'pooler', POOLERS[where.dialect], 'transaction');
  // The proxy hands the server session to other clients after each transaction: there is nothing of ours to reset.
  if (pooler !== undefined && resetOnRelease) {
    throw new ConfigError(`resetOnRelease cannot be used with pooler: '${pooler}'; state set inside a callback never outlives it there`);
  }

  return {
    ...where,
    min,
    max,
    acquireTimeoutMillis: integerOption(given, 'acquireTimeoutMillis', 10_000, 1, LONGEST_TIMER_MILLIS),
    idleTimeoutMillis: integerOption(given, 'idleTimeoutMillis', 30_000, 0),
    order: choiceOption(given, 'order', ['fifo', 'lifo'] as const, 'fifo'),
    resetOnRelease,
    ...(pooler === undefined ? {} : { pooler }),
    maxLifetimeMillis: integerOption(given, 'maxLifetimeMillis', 0, 0),
    maxUses: integerOption(given, 'maxUses', 0, 0),
    queryTimeoutMillis: integerOption(given, 'queryTimeoutMillis', 0, 0, LONGEST_TIMER_MILLIS),
    report: onError === undefined ? warn : (onError as ErrorReporter),
  };
}

/** Where to connect: a URL, or a dialect with driver-native options. */
function target(given: Record<string, unknown>): Pick<PoolConfig, 'dialect' | 'url' | 'connection'> {
  const { url, connection } = given;
  const dialect = given.dialect === undefined ? undefined : choiceOption(given, 'dialect', ['mysql', 'postgres'] as const, 'mysql');
  if (connection !== undefined && (connection === null || typeof connection !== 'object' || Array.isArray(connection))) {
    throw new ConfigError('connection must be an object of driver options');
  }
  if (url === undefined) {
    if (dialect === undefined) throw new ConfigError('give a url, or a dialect (mysql or postgres) with connection options');
    return { dialect, connection: (connection ?? {}) as Record<string, unknown> };
  }
  if (connection !== undefined) throw new ConfigError('give either url or connection, not both');
  if (typeof url !== 'string') throw new ConfigError(`url must be a string, not ${describe(url)}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('url is not a valid URL');
  }
  const fromScheme = SCHEMES[parsed.protocol];
  if (fromScheme === undefined) {
    throw new ConfigError(`unknown URL scheme ${JSON.stringify(parsed.protocol)}; use mysql:, mariadb:, postgres: or postgresql:`);
  }
  if (dialect !== undefined && dialect !== fromScheme)
    throw new ConfigError(`dialect ${dialect} contradicts the URL scheme ${parsed.protocol}`);
  // mysql2 parses only mysql: URLs; the other parts of the URL go through unchanged.
  if (fromScheme === 'mysql') parsed.protocol = 'mysql:';
  return { dialect: fromScheme, url: parsed.toString() };
}

function warn(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : new Error(String(error)), { type: 'SqlpinWarning' });
}

/** Node fires a timer set for longer than this after 1 ms, which would time out every acquire at once. */
export const LONGEST_TIMER_MILLIS = 2_147_483_647;

function integerOption(
  given: Record<string, unknown>,
  key: string,
  fallback: number,
  least: number,
  most = Number.MAX_SAFE_INTEGER,
): number {
  const value = given[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < least || value > most) {
    const range = most === Number.MAX_SAFE_INTEGER ? `of at least ${least}` : `from ${least} to ${most}`;
    throw new ConfigError(`${key} must be a whole number ${range}, not ${describe(value)}`);
  }
  return value;
}

function choiceOption<T extends string>(given: Record<string, unknown>, key: string, choices: readonly T[], fallback: T): T {
  const value = given[key];
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) throw new ConfigError(`${key} must be one of ${choices.join(', ')}, not ${describe(value)}`);
  return value as T;
}

function booleanOption(given: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = given[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(`${key} must be true or false, not ${describe(value)}`);
  return value;
}

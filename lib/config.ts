import type { MysqlConnectionOptions, PostgresConnectionOptions } from './connection-options.js';
import { DIALECTS, dialectOfScheme, SCHEMES } from './dialects.js';
import type { Dialect, ErrorReporter, Pooler } from './driver.js';
import { ConfigError } from './errors.js';
import { describe } from './identifiers.js';
import { BOOLEAN, LONGEST_TIMER_MILLIS, readOptions, type OptionsOwner } from './options.js';

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
  pooler?: Pooler;
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
  /**
   * Idle sessions do not keep the Node process alive, as pg's `allowExitOnIdle`:
   * a script that never calls `close()` exits once its work is done. Default false.
   */
  allowExitOnIdle?: boolean;
}

/** Options after validation, with defaults applied. */
export interface PoolConfig {
  readonly dialect: Dialect;
  /** The URL as the dialect's driver reads it. */
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
  readonly pooler?: Pooler;
  readonly queryTimeoutMillis: number;
  readonly allowExitOnIdle: boolean;
  /** `onError`, or a process warning: a handled fault is still shown, never swallowed. */
  readonly report: ErrorReporter;
}

const RULES = {
  url: { kind: 'any' },
  dialect: { kind: 'choice', choices: Object.keys(DIALECTS) as Dialect[] },
  connection: { kind: 'any' },
  min: { kind: 'whole', least: 0 },
  max: { kind: 'whole', least: 1 },
  acquireTimeoutMillis: { kind: 'whole', least: 1, most: LONGEST_TIMER_MILLIS },
  idleTimeoutMillis: { kind: 'whole', least: 0 },
  order: { kind: 'choice', choices: ['fifo', 'lifo'] },
  resetOnRelease: BOOLEAN,
  onError: { kind: 'any' },
  maxLifetimeMillis: { kind: 'whole', least: 0 },
  maxUses: { kind: 'whole', least: 0 },
  pooler: { kind: 'choice', choices: ['transaction'] },
  queryTimeoutMillis: { kind: 'whole', least: 0, most: LONGEST_TIMER_MILLIS },
  allowExitOnIdle: BOOLEAN,
} as const;

const POOL_OPTIONS: OptionsOwner = { prefix: '', fail: (message) => new ConfigError(message) };

/** Validates `createPool` options; messages never echo a URL, which may hold a password. */
export function parsePoolOptions(options: unknown): PoolConfig {
  if (options === undefined) throw new ConfigError('createPool takes an options object, not undefined');
  const given = readOptions(options, RULES, POOL_OPTIONS);
  const min = given.min ?? 0;
  const max = given.max ?? 10;
  if (min > max) throw new ConfigError(`min (${min}) cannot exceed max (${max})`);
  if (given.onError !== undefined && typeof given.onError !== 'function') throw new ConfigError('onError must be a function');
  const where = target(given);
  const resetOnRelease = given.resetOnRelease ?? false;
  const pooler = given.pooler;
  if (pooler !== undefined && !DIALECTS[where.dialect].poolers.includes(pooler)) {
    throw new ConfigError(`pooler: '${pooler}' is not supported with the ${where.dialect} dialect`);
  }
  // The proxy hands the server session to other clients after each transaction: there is nothing of ours to reset.
  if (pooler !== undefined && resetOnRelease) {
    throw new ConfigError(`resetOnRelease cannot be used with pooler: '${pooler}'; state set inside a callback never outlives it there`);
  }
  return {
    ...where,
    min,
    max,
    acquireTimeoutMillis: given.acquireTimeoutMillis ?? 10_000,
    idleTimeoutMillis: given.idleTimeoutMillis ?? 30_000,
    order: given.order ?? 'fifo',
    resetOnRelease,
    ...(pooler === undefined ? {} : { pooler }),
    maxLifetimeMillis: given.maxLifetimeMillis ?? 0,
    maxUses: given.maxUses ?? 0,
    queryTimeoutMillis: given.queryTimeoutMillis ?? 0,
    allowExitOnIdle: given.allowExitOnIdle ?? false,
    report: (given.onError as ErrorReporter | undefined) ?? warn,
  };
}

/** Where to connect: a URL, or a dialect with driver-native options. */
function target(given: {
  readonly url?: unknown;
  readonly dialect?: Dialect | undefined;
  readonly connection?: unknown;
}): Pick<PoolConfig, 'dialect' | 'url' | 'connection'> {
  const { url, connection, dialect } = given;
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
  const fromScheme = dialectOfScheme(parsed.protocol);
  if (fromScheme === undefined) {
    throw new ConfigError(`unknown URL scheme ${JSON.stringify(parsed.protocol)}; use ${SCHEMES.join(', ')}`);
  }
  if (dialect !== undefined && dialect !== fromScheme.name)
    throw new ConfigError(`dialect ${dialect} contradicts the URL scheme ${parsed.protocol}`);
  return { dialect: fromScheme.name, url: fromScheme.driverUrl(parsed.toString()) };
}

function warn(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : new Error(String(error)), { type: 'SqlpinWarning' });
}

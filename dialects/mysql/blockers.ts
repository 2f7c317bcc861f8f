import type { AsideQuery, Session } from '../../lib/driver.js';
import { LockTimeoutError, QueryTimeoutError, toBlockers, type LockBlocker } from '../../lib/errors.js';
import { quoteMysql } from './names.js';

/** A table as MySQL names it: database and table. */
export interface LockedTable {
  readonly schema: string;
  readonly name: string;
}

/** ER_LOCK_WAIT_TIMEOUT: the server's own `lock_wait_timeout` expired first. */
const ER_LOCK_WAIT_TIMEOUT = 1205;

/** The columns of a blocker, from information_schema.PROCESSLIST as `p`. */
const BLOCKER_COLUMNS = `p.ID AS id, p.USER AS user, COALESCE(NULLIF(p.STATE, ''), p.COMMAND) AS state,
       p.TIME AS seconds, LEFT(p.INFO, 200) AS statement`;

/**
 * The sessions other than `sessionId` that hold metadata locks on the tables,
 * as MariaDB's METADATA_LOCK_INFO names them. Without that plugin the server
 * does not say who holds a metadata lock (InnoDB's lock tables show only row
 * and table lock waits, the processlist only running statements): 'unknown',
 * rather than every session with an open transaction, bystanders included.
 */
export async function findBlockers(
  query: AsideQuery,
  sessionId: number,
  tables: readonly LockedTable[],
): Promise<LockBlocker[] | 'unknown'> {
  const plugin = await query(
    "SELECT 1 FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'",
  );
  if (plugin.length === 0) return 'unknown';
  const rows = await query(
    `SELECT DISTINCT ${BLOCKER_COLUMNS}
       FROM information_schema.METADATA_LOCK_INFO m JOIN information_schema.PROCESSLIST p ON p.ID = m.THREAD_ID
      WHERE m.THREAD_ID <> ? AND (${tables.map(() => '(m.TABLE_SCHEMA = ? AND m.TABLE_NAME = ?)').join(' OR ')})
      ORDER BY p.ID`,
    [sessionId, ...tables.flatMap((table) => [table.schema, table.name])],
  );
  return toBlockers(rows);
}

/** What a truncate's lock waits are bounded by (see `LockPlan` in execute.ts). */
export interface LockBound {
  /** 0: as long as the server waits (`lock_wait_timeout`). */
  readonly lockTimeoutMillis: number;
  /** `lock_wait_timeout` as the session had it, in seconds. */
  readonly lockWait: number;
  readonly tables: readonly LockedTable[];
}

/** The bound a lock wait reports: the call's, or the server's `lock_wait_timeout`. */
function boundMillis(bound: LockBound): number {
  return bound.lockTimeoutMillis > 0 ? bound.lockTimeoutMillis : bound.lockWait * 1000;
}

/** A statement's time bound: what is left until `deadline`, or the pool's when there is none. */
function until(deadline: number | undefined): { timeoutMillis?: number } {
  return deadline === undefined ? {} : { timeoutMillis: Math.max(1, deadline - Date.now()) };
}

/**
 * Takes sqlpin's turn lock of each database (see `turnLocks`), within the
 * deadline. One not granted in time is `LockTimeoutError` naming the session
 * that holds it; an interrupted wait (KILL QUERY: GET_LOCK answers NULL) is
 * the server's ER_QUERY_INTERRUPTED.
 */
export async function takeTurns(session: Session, locks: readonly string[], bound: LockBound, deadline: number | undefined): Promise<void> {
  for (const lock of locks) {
    let held: unknown;
    try {
      const { rows } = await session.query<{ held: unknown }>(
        `SELECT GET_LOCK('${lock}', @@lock_wait_timeout) AS held`,
        undefined,
        until(deadline),
      );
      held = rows[0]?.held;
    } catch (error) {
      if (deadline === undefined || !(error instanceof QueryTimeoutError)) throw error;
      throw await turnTimeout(session, lock, bound, error);
    }
    if (held === null) throw serverError('Query execution was interrupted', ER_QUERY_INTERRUPTED, 'ER_QUERY_INTERRUPTED');
    if (Number(held) !== 1) {
      const cause = serverError(
        'sqlpin: timed out waiting for another truncate of this database',
        ER_LOCK_WAIT_TIMEOUT,
        'ER_LOCK_WAIT_TIMEOUT',
      );
      throw await turnTimeout(session, lock, bound, cause);
    }
  }
}

/** ER_QUERY_INTERRUPTED: KILL QUERY reached the statement. */
export const ER_QUERY_INTERRUPTED = 1317;

function serverError(message: string, errno: number, code: string): Error {
  return Object.assign(new Error(message), { errno, code });
}

/** `LockTimeoutError` for a turn lock: its holder, as the server names it. */
async function turnTimeout(session: Session, lock: string, bound: LockBound, cause: unknown): Promise<LockTimeoutError> {
  const blockers = await session
    .aside((query) =>
      query(`SELECT ${BLOCKER_COLUMNS} FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(?) AND p.ID <> ?`, [
        lock,
        session.id,
      ]),
    )
    .then(toBlockers, () => 'unknown' as const);
  return new LockTimeoutError(boundMillis(bound), blockers, cause);
}

/** Access denied to the database or a table: here, no LOCK TABLES privilege. */
const ACCESS_DENIED = new Set([1044, 1142]);

/**
 * Takes write locks on every table at once, within the deadline. The server
 * counts `lock_wait_timeout` in whole seconds, so a client-side bound keeps
 * the milliseconds; whichever expires first becomes `LockTimeoutError`
 * naming the sessions that hold the locks. The caller sends UNLOCK TABLES.
 * False when, unbounded, the user may not LOCK TABLES: the raw statements
 * need no such privilege, so the call goes on without the locks.
 */
export async function lockTables(session: Session, bound: LockBound, deadline: number | undefined): Promise<boolean> {
  const list = bound.tables.map((table) => `${quoteMysql(table.schema)}.${quoteMysql(table.name)} WRITE`).join(', ');
  try {
    await session.query(`LOCK TABLES ${list}`, undefined, until(deadline));
    return true;
  } catch (error) {
    const errno = (error as { errno?: unknown }).errno;
    if (deadline === undefined && ACCESS_DENIED.has(errno as number)) return false;
    const expired = (deadline !== undefined && error instanceof QueryTimeoutError) || errno === ER_LOCK_WAIT_TIMEOUT;
    if (!expired) throw error;
    const blockers = await session.aside((query) => findBlockers(query, session.id, bound.tables)).catch(() => 'unknown' as const);
    throw new LockTimeoutError(boundMillis(bound), blockers, error);
  }
}

/** `lock_wait_timeout` in the server's whole seconds, never shorter than the bound asked for. */
export function lockWaitSeconds(lockTimeoutMillis: number): number {
  return Math.max(1, Math.ceil(lockTimeoutMillis / 1000));
}

import type { Session } from '../../lib/driver.js';
import { LockTimeoutError, toBlockers } from '../../lib/errors.js';

/** SQLSTATE lock_not_available: `lock_timeout` expired. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Every lock conflicts with the ACCESS EXCLUSIVE lock TRUNCATE needs, so any
 * other session holding a granted lock on one of the relations blocks it.
 * `seconds` counts from the start of its transaction, or of its current state
 * outside one; `query` is its current or last statement.
 */
const BLOCKERS_SQL = `
SELECT DISTINCT a.pid AS id, a.usename AS "user", a.state,
       pg_catalog.floor(EXTRACT(EPOCH FROM pg_catalog.now() - COALESCE(a.xact_start, a.state_change)))::int AS seconds,
       pg_catalog.left(a.query, 200) AS statement
  FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
 WHERE l.granted AND l.relation = ANY($1::pg_catalog.oid[]) AND l.pid <> $2
 ORDER BY a.pid`;

/** One round trip sets `lock_timeout` for the rest of the transaction and reads what it was. */
const SET_LOCK_TIMEOUT_SQL = `SELECT previous, pg_catalog.set_config('lock_timeout', $1, true) FROM (SELECT pg_catalog.current_setting('lock_timeout') AS previous) AS s`;

/**
 * Runs `lock` under `lock_timeout`, restoring the setting once the locks are
 * held: a truncate inside the caller's transaction leaves its settings as they were.
 * An expired wait becomes `LockTimeoutError` naming the sessions that held the locks.
 */
export async function lockWithin(
  session: Session,
  lockTimeoutMillis: number,
  oids: readonly string[],
  lock: () => Promise<unknown>,
): Promise<void> {
  if (lockTimeoutMillis === 0) {
    await lock();
    return;
  }
  const { rows } = await session.query<{ previous: string }>(SET_LOCK_TIMEOUT_SQL, [`${lockTimeoutMillis}ms`]);
  try {
    await lock();
  } catch (error) {
    if ((error as { code?: unknown }).code !== LOCK_NOT_AVAILABLE) throw error;
    const blockers = toBlockers(await session.aside((query) => query(BLOCKERS_SQL, [oids, session.id])));
    throw new LockTimeoutError(lockTimeoutMillis, blockers, error);
  }
  await session.query(SET_LOCK_TIMEOUT_SQL, [rows[0]!.previous]);
}

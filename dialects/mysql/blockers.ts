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
 * The sessions other than `sessionId` that hold locks on the tables. MariaDB
 * names metadata-lock holders exactly in METADATA_LOCK_INFO when that plugin is
 * installed; without it, the processlist can only show the sessions with an
 * open transaction, which hold their tables' metadata locks until it ends.
 */
export async function findBlockers(query: AsideQuery, sessionId: number, tables: readonly LockedTable[]): Promise<LockBlocker[]> {
  const plugin = await query(
    "SELECT 1 FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'",
  );
  const rows =
    plugin.length > 0
      ? await query(
          `SELECT DISTINCT ${BLOCKER_COLUMNS}
             FROM information_schema.METADATA_LOCK_INFO m JOIN information_schema.PROCESSLIST p ON p.ID = m.THREAD_ID
            WHERE m.THREAD_ID <> ? AND (${tables.map(() => '(m.TABLE_SCHEMA = ? AND m.TABLE_NAME = ?)').join(' OR ')})
            ORDER BY p.ID`,
          [sessionId, ...tables.flatMap((table) => [table.schema, table.name])],
        )
      : await query(
          `SELECT ${BLOCKER_COLUMNS}
             FROM information_schema.PROCESSLIST p
            WHERE p.ID <> ? AND p.ID IN (SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX)
            ORDER BY p.ID`,
          [sessionId],
        );
  return toBlockers(rows);
}

/**
 * Takes write locks on every table, bounded by `lockTimeoutMillis`. The server
 * counts `lock_wait_timeout` in whole seconds, so a client-side bound keeps
 * the milliseconds; whichever expires first becomes `LockTimeoutError`
 * naming the sessions that hold the locks. The caller sends UNLOCK TABLES.
 */
export async function lockTables(session: Session, tables: readonly LockedTable[], lockTimeoutMillis: number): Promise<void> {
  const list = tables.map((table) => `${quoteMysql(table.schema)}.${quoteMysql(table.name)} WRITE`).join(', ');
  try {
    await session.query(`LOCK TABLES ${list}`, undefined, { timeoutMillis: lockTimeoutMillis });
  } catch (error) {
    const expired = error instanceof QueryTimeoutError || (error as { errno?: unknown }).errno === ER_LOCK_WAIT_TIMEOUT;
    if (!expired) throw error;
    const blockers = await session.aside((query) => findBlockers(query, session.id, tables));
    throw new LockTimeoutError(lockTimeoutMillis, blockers, error);
  }
}

/** `lock_wait_timeout` in the server's whole seconds, never shorter than the bound asked for. */
export function lockWaitSeconds(lockTimeoutMillis: number): number {
  return Math.max(1, Math.ceil(lockTimeoutMillis / 1000));
}

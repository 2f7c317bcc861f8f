import type { AdapterSession } from '../lib/driver.js';
import { ReadOnlyServerError } from '../lib/errors.js';

/** ER_OPTION_PREVENTS_STATEMENT: "running with the --read-only option". */
const MYSQL_READ_ONLY = 1290;
/** ER_TABLEACCESS_DENIED_ERROR: the user may not DELETE, which says nothing about read_only. */
const MYSQL_ACCESS_DENIED = 1142;

/**
 * MySQL / MariaDB with `read_only` on: users holding READ ONLY ADMIN (or
 * SUPER, depending on the version) still write, others get 1290. Which case
 * this is, the server itself answers: a DELETE that matches nothing is refused
 * up front exactly when a write would be, and changes nothing otherwise. Runs
 * only when `read_only` is on, before FOREIGN_KEY_CHECKS is touched.
 */
export async function refuseReadOnlyMysql(session: AdapterSession, target: string): Promise<void> {
  try {
    await session.query(`DELETE FROM ${target} WHERE FALSE`);
  } catch (error) {
    const errno = (error as { errno?: unknown }).errno;
    if (errno === MYSQL_READ_ONLY) throw new ReadOnlyServerError('read_only is on and this user may not write', error);
    // TRUNCATE needs DROP, not DELETE: without DELETE the probe cannot tell, and the TRUNCATE decides.
    if (errno !== MYSQL_ACCESS_DENIED) throw error;
  }
}

/** SQLSTATE read_only_sql_transaction: a write in a read-only transaction or on a standby. */
const POSTGRES_READ_ONLY = '25006';

/** What the server reported at login and since (ParameterStatus); PostgreSQL 14+ reports both. */
export interface ServerParameters {
  get(name: string): string | undefined;
}

/**
 * PostgreSQL: a standby in recovery is refused before anything is sent (PG
 * 14+ reports `in_hot_standby`); otherwise the server's own 25006 becomes the
 * clear error, naming why when the server said so. Either way the truncate's
 * transaction (or savepoint) is rolled back: nothing changed.
 */
export async function refuseReadOnlyPostgres(parameters: ServerParameters, truncate: () => Promise<void>): Promise<void> {
  if (parameters.get('in_hot_standby') === 'on') throw new ReadOnlyServerError('a standby in recovery');
  try {
    await truncate();
  } catch (error) {
    if ((error as { code?: unknown }).code !== POSTGRES_READ_ONLY) throw error;
    if (parameters.get('default_transaction_read_only') === 'on')
      throw new ReadOnlyServerError('default_transaction_read_only is on', error);
    // PostgreSQL 13 does not report in_hot_standby: there the server cannot be told from a READ ONLY transaction.
    if (parameters.get('in_hot_standby') === undefined)
      throw new ReadOnlyServerError('a standby in recovery, or a READ ONLY transaction', error);
    // The server is writable: the caller's own transaction is READ ONLY, and the server's error says so.
    throw error;
  }
}

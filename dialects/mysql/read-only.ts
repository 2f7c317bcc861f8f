import type { Session } from '../../lib/driver.js';
import { ReadOnlyServerError } from '../../lib/errors.js';

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
export async function refuseReadOnlyMysql(session: Session, target: string): Promise<void> {
  try {
    await session.query(`DELETE FROM ${target} WHERE FALSE`);
  } catch (error) {
    const errno = (error as { errno?: unknown }).errno;
    if (errno === MYSQL_READ_ONLY) throw new ReadOnlyServerError('read_only is on and this user may not write', error);
    // TRUNCATE needs DROP, not DELETE: without DELETE the probe cannot tell, and the TRUNCATE decides.
    if (errno !== MYSQL_ACCESS_DENIED) throw error;
  }
}

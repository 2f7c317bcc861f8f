import type { DialectInfo } from '../../lib/driver.js';
import { identifierRules, quoteMysql } from './names.js';

/** ER_LOCK_DEADLOCK: a deadlock, or on Galera a certification conflict; the server rolled the transaction back. */
export const ER_LOCK_DEADLOCK = 1213;

/** MySQL and MariaDB, on mysql2. Nothing here loads the driver. */
export const mysqlDialect: DialectInfo = {
  name: 'mysql',
  schemes: ['mysql:', 'mariadb:'],
  driverPackage: 'mysql2',
  identifierRules,
  poolers: [],
  truncateCommitsImplicitly: true,
  placeholder: () => '?',
  quote: quoteMysql,
  beginTransaction({ isolation, readOnly }) {
    // The isolation level is set for the next transaction only; START TRANSACTION takes the access mode.
    const level = isolation === undefined ? [] : [`SET TRANSACTION ISOLATION LEVEL ${isolation.toUpperCase()}`];
    if (readOnly === undefined) return [...level, 'BEGIN'];
    return [...level, readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION READ WRITE'];
  },
  driverUrl(url) {
    // mysql2 parses only mysql: URLs; the other parts of the URL go through unchanged.
    const parsed = new URL(url);
    parsed.protocol = 'mysql:';
    return parsed.toString();
  },
  isRetryable: (error) => (error as { errno?: unknown } | null)?.errno === ER_LOCK_DEADLOCK,
  loadDriver: async () => (await import('./driver.js')).createMysqlDriver,
};

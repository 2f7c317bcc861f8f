/**
 * MySQL 8 caches information_schema table statistics, AUTO_INCREMENT included,
 * for a day by default; truncate reads the counters there, so the cache is
 * turned off for the session. MariaDB does not cache and needs nothing.
 */
export function sessionSetup(serverVersion: string): string | undefined {
  const major = Number.parseInt(serverVersion, 10);
  return /mariadb/i.test(serverVersion) || !(major >= 8) ? undefined : 'SET SESSION information_schema_stats_expiry = 0';
}

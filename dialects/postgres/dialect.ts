import type { DialectInfo } from '../../lib/driver.js';
import { quotePostgres } from './names.js';

/** SQLSTATEs of a transaction the server rolled back over a conflict with other sessions. */
const RETRYABLE = new Set(['40001', '40P01']);

/** ` READ ONLY` / ` READ WRITE`, or nothing for the session's default. */
function accessMode(readOnly: boolean | undefined): string {
  if (readOnly === undefined) return '';
  return readOnly ? ' READ ONLY' : ' READ WRITE';
}

/** PostgreSQL, on pg. Nothing here loads the driver. */
export const postgresDialect: DialectInfo = {
  name: 'postgres',
  schemes: ['postgres:', 'postgresql:'],
  driverPackage: 'pg',
  identifierRules: { maxLength: 63, unit: 'bytes' },
  poolers: ['transaction'],
  truncateCommitsImplicitly: false,
  placeholder: (index) => `$${index}`,
  quote: quotePostgres,
  beginTransaction: ({ isolation, readOnly }) => [
    ['BEGIN', isolation === undefined ? '' : ` ISOLATION LEVEL ${isolation.toUpperCase()}`, accessMode(readOnly)].join(''),
  ],
  driverUrl: (url) => url,
  isRetryable: (error) => RETRYABLE.has((error as { code?: unknown } | null)?.code as string),
  loadDriver: async () => (await import('./driver.js')).createPostgresDriver,
};

import type { DialectInfo } from '../../lib/driver.js';
import { quotePostgres } from './names.js';

/** SQLSTATEs of a transaction the server rolled back over a conflict with other sessions. */
const RETRYABLE = new Set(['40001', '40P01']);

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
  driverUrl: (url) => url.toString(),
  isRetryable: (error) => RETRYABLE.has((error as { code?: unknown } | null)?.code as string),
  loadDriver: async () => (await import('./driver.js')).createPostgresDriver,
};

import type { Dialect } from '../lib/index.js';
import type { RawSession } from './drivers/driver.js';

/**
 * Empties tables the way a careful user writes it by hand on one connection.
 * MySQL: checks off, TRUNCATE each, checks back on. PostgreSQL: one TRUNCATE
 * listing them all, restarting identities as sqlpin's default does (MySQL's
 * TRUNCATE always does), so floor and sqlpin do the same work.
 */
export async function truncateByHand(dialect: Dialect, session: RawSession, tables: readonly string[]): Promise<void> {
  if (dialect === 'postgres') {
    await session.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`);
    return;
  }
  await session.query('SET FOREIGN_KEY_CHECKS = 0');
  try {
    for (const table of tables) await session.query(`TRUNCATE TABLE ${table}`);
  } finally {
    await session.query('SET FOREIGN_KEY_CHECKS = 1');
  }
}

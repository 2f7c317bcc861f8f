import { ReadOnlyServerError } from '../../lib/errors.js';

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

import type { PostgresSession } from './session.js';

/**
 * One of sqlpin's own catalog statements in the two forms it can be sent in:
 * `text` with `$n` parameters (typed by casts) to PREPARE once per server
 * session, and `plain`, the same query with `args` written in.
 */
export interface CatalogStatement {
  /** The prepared statement's name: one per query shape, sqlpin's prefix. */
  readonly name: string;
  readonly text: string;
  /** SQL literals for `$1`, `$2`, … */
  readonly args: readonly string[];
  readonly plain: string;
}

/**
 * Runs `statement` after `opening`, in one message. Planning the catalog query
 * costs ~5 ms a call, most of a reset: where the session is known to be the
 * server's own (no pooler between, which could hand the next message to
 * another backend), it is prepared once per session and run with EXECUTE,
 * whose generic plan costs nothing to reuse (PostgreSQL picks it after five
 * calls). PREPARE and EXECUTE are SQL, not protocol messages, so EXECUTE
 * still shares the simple-query message with `opening`. A prepared
 * statement holds a plan, never catalog facts: every EXECUTE reads the
 * catalogs as they are.
 */
export async function runCatalogStatement<Row>(session: PostgresSession, statement: CatalogStatement, opening: string): Promise<Row[]> {
  const { prepared } = session.connection;
  if (session.connection.reachesServer() === undefined) await askBackend(session);
  if (session.connection.reachesServer() === false) return (await session.query<Row>(opening + statement.plain)).rows;
  if (!prepared.has(statement.name)) await prepare(session, statement);
  try {
    return (await session.query<Row>(`${opening}EXECUTE ${statement.name}(${statement.args.join(', ')})`)).rows;
  } catch (error) {
    // Gone in a way sqlpin did not see (a DEALLOCATE inside a function): the next call looks again.
    if ((error as { code?: unknown } | null)?.code === UNDEFINED_PREPARED_STATEMENT) prepared.mayBeDropped();
    throw error;
  }
}

/** The server has no prepared statement of that name. */
const UNDEFINED_PREPARED_STATEMENT = '26000';

/**
 * Once per pool, before anything is prepared: which backend answers. Behind a
 * pooler the EXECUTE could reach another backend than the PREPARE, and a
 * PREPARE could meet the statement another client of the pooler left there:
 * the plain query is sent instead (see `PoolerCheck`).
 */
async function askBackend(session: PostgresSession): Promise<void> {
  const { rows } = await session.query<{ pid: number }>('SELECT pg_catalog.pg_backend_pid() AS pid');
  session.connection.answeredBy(Number(rows[0]!.pid));
}

/** PREPARE, in a message of its own ahead of the call's transaction (a prepared statement outlives a rollback). */
async function prepare(session: PostgresSession, { name, text }: CatalogStatement): Promise<void> {
  const { prepared } = session.connection;
  if (prepared.mayExist(name)) {
    const { rows } = await session.query('SELECT 1 FROM pg_catalog.pg_prepared_statements WHERE name = $1', [name]);
    if (rows.length > 0) return prepared.add(name);
  }
  try {
    await session.query(`PREPARE ${name} AS ${text}`);
  } catch (error) {
    // Cut by a timeout, it may have run on the server all the same.
    prepared.mayBeDropped();
    throw error;
  }
  prepared.add(name);
}

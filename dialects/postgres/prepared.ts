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
 * calls). PREPARE and EXECUTE are SQL, not protocol messages, so they share one
 * simple-query message, with `opening` which goes on whichever message is
 * sent first: every statement runs inside the call's transaction, so a cut
 * one is rolled back with it. A prepared statement outlives that rollback,
 * and holds a plan, never catalog facts: every EXECUTE reads the catalogs as
 * they are.
 */
export async function runCatalogStatement<Row>(
  session: PostgresSession,
  statement: CatalogStatement,
  opening: string,
  transaction: TransactionOwner,
): Promise<Row[]> {
  let first = opening;
  const send = async <R>(text: string): Promise<R[]> => {
    const message = first + text;
    first = '';
    return (await session.query<R>(message)).rows;
  };
  const { connection } = session;
  if (connection.reachesServer() === undefined) await askBackend(session, send);
  if (connection.reachesServer() === false) return send<Row>(statement.plain);
  const preparing = connection.prepared.has(statement.name) ? '' : await prepareText(session, send, statement);
  try {
    const generic = transaction === 'sqlpin' ? GENERIC_PLAN : '';
    const rows = await send<Row>(`${preparing}${generic}EXECUTE ${statement.name}(${statement.args.join(', ')})`);
    connection.prepared.add(statement.name);
    return rows;
  } catch (error) {
    // A PREPARE in a failed message may have run all the same; one gone in a way sqlpin did not see (a DEALLOCATE
    // inside a function) fails the EXECUTE: either way the next call looks before it prepares.
    if (preparing !== '' || (error as { code?: unknown } | null)?.code === UNDEFINED_PREPARED_STATEMENT) connection.prepared.mayBeDropped();
    throw error;
  }
}

/** Whose transaction a catalog statement runs in: one sqlpin's frame opened, or the caller's. */
export type TransactionOwner = 'sqlpin' | 'caller';

/**
 * PostgreSQL keeps a generic plan only while it costs less than the average of
 * every custom plan made so far: when the catalog grows after a session's first
 * calls (a test suite's migrations), that stale average keeps it planning each
 * call again (~2 ms) for hundreds of calls. SET LOCAL lasts until sqlpin's own
 * transaction ends, where only sqlpin's statements run (and the triggers they
 * fire, whose plans return the same rows either way); in a caller's
 * transaction it would outlive the call, so there the server chooses.
 */
const GENERIC_PLAN = 'SET LOCAL plan_cache_mode = force_generic_plan;\n';

/** Sends one message; the first one sent starts with the call's `opening`. */
type Send = <R>(text: string) => Promise<R[]>;

/** The server has no prepared statement of that name. */
const UNDEFINED_PREPARED_STATEMENT = '26000';

/**
 * Once per pool, before anything is prepared: which backend answers. Behind a
 * pooler the EXECUTE could reach another backend than the PREPARE, and a
 * PREPARE could meet the statement another client of the pooler left there:
 * the plain query is sent instead (see `PoolerCheck`).
 */
async function askBackend(session: PostgresSession, send: Send): Promise<void> {
  const [row] = await send<{ pid: number }>('SELECT pg_catalog.pg_backend_pid() AS pid');
  session.connection.answeredBy(Number(row!.pid));
}

/**
 * The PREPARE that goes ahead of the EXECUTE in the same message, or nothing
 * where a statement of the caller's may have dropped it and it is still there.
 */
async function prepareText(session: PostgresSession, send: Send, { name, text }: CatalogStatement): Promise<string> {
  // sqlpin's own names, [a-z_] only: written in as they are.
  if (
    session.connection.prepared.mayExist(name) &&
    (await send(`SELECT 1 FROM pg_catalog.pg_prepared_statements WHERE name = '${name}'`)).length > 0
  ) {
    return '';
  }
  return `PREPARE ${name} AS ${text};\n`;
}

import type { Dialect } from '../../lib/index.js';
import { sleep } from './pools.js';
import type { Scratch } from './servers.js';

/** How a fault from the side reaches a session: the whole session, or only its running statement. */
export type KillMode = 'session' | 'statement';

/** KILL / KILL QUERY on MySQL; pg_terminate_backend / pg_cancel_backend on PostgreSQL. */
export function killSql(dialect: Dialect, id: number, mode: KillMode): string {
  if (dialect === 'mysql') return mode === 'session' ? `KILL ${id}` : `KILL QUERY ${id}`;
  return mode === 'session' ? `SELECT pg_terminate_backend(${id})` : `SELECT pg_cancel_backend(${id})`;
}

/**
 * A pool URL that names its sessions on PostgreSQL (application_name), so the
 * admin connection can tell them from other sessions in the shared database;
 * on MySQL the scratch database already does.
 */
export function labelledUrl(scratch: Scratch): string {
  if (scratch.dialect === 'mysql') return scratch.url;
  const url = new URL(scratch.url);
  url.searchParams.set('application_name', scratch.name);
  return url.toString();
}

/** Ids of the sessions whose running statement carries the comment `/* tag *\/`. */
export async function runningTagged(scratch: Scratch, tag: string): Promise<number[]> {
  const pattern = `%/* ${tag} */%`;
  const rows =
    scratch.dialect === 'mysql'
      ? await scratch.admin('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()', [pattern])
      : await scratch.admin("SELECT pid AS id FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()", [
          pattern,
        ]);
  return rows.map((row) => Number(row.id));
}

/** The client port the server sees for a session: through a proxy, the port of the proxy's upstream socket. */
export async function clientPort(scratch: Scratch, id: number): Promise<number | undefined> {
  if (scratch.dialect === 'mysql') {
    const rows = await scratch.admin('SELECT HOST AS host FROM information_schema.PROCESSLIST WHERE ID = ?', [id]);
    const host = rows[0]?.host as string | undefined;
    return host === undefined ? undefined : Number(host.slice(host.lastIndexOf(':') + 1));
  }
  const rows = await scratch.admin('SELECT client_port AS port FROM pg_stat_activity WHERE pid = $1', [id]);
  return rows[0] === undefined ? undefined : Number(rows[0].port);
}

/**
 * A MySQL session runs a statement: not Sleep, and not an idle session that
 * shows Killed because a KILL QUERY reached it between statements (MariaDB
 * clears that at its next command, which then runs as usual).
 */
function mysqlBusy(alias = ''): string {
  return `${alias}COMMAND <> 'Sleep' AND NOT (${alias}COMMAND = 'Killed' AND ${alias}INFO IS NULL)`;
}

/** What the server shows of one of the pool's sessions. */
export interface ServerSession {
  readonly id: number;
  /** Running a statement (MySQL: not Sleep; PostgreSQL: active). */
  readonly busy: boolean;
  /** A transaction is open on it (INNODB_TRX; PostgreSQL: xact_start set). */
  readonly inTransaction: boolean;
  readonly statement: string | null;
  /** MySQL's command (Query, Sleep, Killed…) and thread state; PostgreSQL's state and wait event. */
  readonly state: string | null;
}

/**
 * Every session the server lists for the pool, except `exclude` (holders,
 * the admin connection): MySQL by the scratch database, PostgreSQL by the
 * application_name of `labelledUrl`.
 */
export async function poolSessions(scratch: Scratch, exclude: readonly number[] = []): Promise<ServerSession[]> {
  const rows =
    scratch.dialect === 'mysql'
      ? await scratch.admin(
          `SELECT p.ID AS id, ${mysqlBusy('p.')} AS busy,
                  t.trx_id IS NOT NULL AS inTransaction, p.INFO AS statement,
                  CONCAT_WS(': ', p.COMMAND, NULLIF(p.STATE, '')) AS state
             FROM information_schema.PROCESSLIST p LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID
            WHERE p.DB = ? AND p.ID <> CONNECTION_ID()`,
          [scratch.name],
        )
      : await scratch.admin(
          `SELECT pid AS id, state = 'active' AS busy, xact_start IS NOT NULL AND state <> 'active' AS "inTransaction", query AS statement,
                  concat_ws(': ', state, wait_event) AS state
             FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
          [scratch.name],
        );
  return rows
    .map((row) => ({
      id: Number(row.id),
      // MySQL answers 0 / 1, PostgreSQL true / false.
      busy: Boolean(Number(row.busy)),
      inTransaction: Boolean(Number(row.inTransaction)),
      statement: (row.statement as string | null) ?? null,
      state: (row.state as string | null) ?? null,
    }))
    .filter((session) => !exclude.includes(session.id));
}

/**
 * Ids of the pool's sessions that run a statement (a Killed one still running
 * its statement included), from the process list alone: reading INNODB_TRX over and over would hold
 * up the very statements a test waits for.
 */
export async function busySessions(scratch: Scratch, exclude: readonly number[] = []): Promise<number[]> {
  const rows =
    scratch.dialect === 'mysql'
      ? await scratch.admin(
          `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ${mysqlBusy()} AND ID <> CONNECTION_ID()`,
          [scratch.name],
        )
      : await scratch.admin(
          "SELECT pid AS id FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND pid <> pg_backend_pid()",
          [scratch.name],
        );
  return rows.map((row) => Number(row.id)).filter((id) => !exclude.includes(id));
}

/**
 * Ids of the pool's sessions that run a truncate's writing statements (TRUNCATE,
 * DELETE, LOCK TABLES, a counter reset), or wait for a lock: what a fault aimed
 * at a truncate strikes. The process list alone, for the reason `busySessions` gives.
 */
export async function truncatingSessions(scratch: Scratch, exclude: readonly number[] = []): Promise<number[]> {
  const rows =
    scratch.dialect === 'mysql'
      ? await scratch.admin(
          `SELECT ID AS id FROM information_schema.PROCESSLIST
            WHERE DB = ? AND ID <> CONNECTION_ID() AND COMMAND <> 'Sleep'
              AND (INFO LIKE '%TRUNCATE TABLE%' OR INFO LIKE '%DELETE FROM%' OR INFO LIKE 'LOCK TABLES%'
                   OR INFO LIKE '%AUTO_INCREMENT =%' OR STATE LIKE 'Waiting for%lock')`,
          [scratch.name],
        )
      : await scratch.admin(
          `SELECT pid AS id FROM pg_stat_activity
            WHERE application_name = $1 AND state = 'active' AND pid <> pg_backend_pid()
              AND (wait_event_type = 'Lock' OR query ILIKE '%TRUNCATE %' OR query ILIKE '%DELETE FROM%' OR query ILIKE '%LOCK TABLE%')`,
          [scratch.name],
        );
  return rows.map((row) => Number(row.id)).filter((id) => !exclude.includes(id));
}

/** Ids of every session the server lists for the pool, idle ones included, from the process list alone. */
export async function listedSessions(scratch: Scratch): Promise<number[]> {
  const rows =
    scratch.dialect === 'mysql'
      ? await scratch.admin('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [scratch.name])
      : await scratch.admin('SELECT pid AS id FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [
          scratch.name,
        ]);
  return rows.map((row) => Number(row.id));
}

/** Ends sessions from the admin connection. */
export async function endSessions(scratch: Scratch, ids: readonly number[]): Promise<void> {
  for (const id of ids) {
    try {
      await scratch.admin(killSql(scratch.dialect, id, 'session'));
    } catch (error) {
      // MySQL refuses to kill a session that ended meanwhile (ER_NO_SUCH_THREAD): that is what was wanted.
      if ((error as { errno?: unknown }).errno !== 1094) throw error;
    }
  }
}

/** What the server shows of one session's statement: its text, and whether it waits for a lock. */
async function statementOf(scratch: Scratch, id: number): Promise<{ text: string | null; waiting: boolean }> {
  if (scratch.dialect === 'mysql') {
    const [row] = await scratch.admin('SELECT INFO AS text, STATE AS state FROM information_schema.PROCESSLIST WHERE ID = ?', [id]);
    return { text: (row?.text as string | null) ?? null, waiting: /^Waiting for .*lock/.test(String(row?.state ?? '')) };
  }
  const [row] = await scratch.admin(
    "SELECT query AS text, wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1 AND state = 'active'",
    [id],
  );
  return { text: (row?.text as string | null) ?? null, waiting: row?.waiting === true };
}

/** Statements a truncate writes or locks with, whichever way sqlpin sends them. */
const WRITING = /TRUNCATE|DELETE|LOCK TABLE|GET_LOCK|AUTO_INCREMENT|ALTER SEQUENCE/i;

/**
 * Waits until session `id` has shown the same writing statement (or a lock
 * wait) for `forMillis`: it is then stuck behind the lock the test holds,
 * whatever statements sqlpin sends to empty tables. MariaDB shows no thread
 * state for some of these waits (a TRUNCATE waiting for an InnoDB table lock),
 * and a KILL QUERY sent before the wait begins can be lost inside a compound
 * statement, so a statement merely seen is not enough. Throws after `limitMillis`.
 */
export async function waitUntilStuck(scratch: Scratch, id: number, { forMillis = 100, limitMillis = 5_000 } = {}): Promise<void> {
  let seen: { text: string; since: number } | undefined;
  for (const deadline = Date.now() + limitMillis; Date.now() < deadline; await sleep(10)) {
    const { text, waiting } = await statementOf(scratch, id);
    const writing = text !== null && (waiting || WRITING.test(text));
    if (!writing) seen = undefined;
    else if (seen?.text !== text) seen = { text, since: Date.now() };
    else if (Date.now() - seen.since >= forMillis) return;
  }
  throw new Error(`session ${id} was not seen stuck in a writing statement within ${limitMillis} ms`);
}

import type { AdapterSession, TruncateConfig } from '../lib/driver.js';
import { TableNotFoundError } from '../lib/errors.js';
import { formatTableName, type TableName } from '../lib/identifiers.js';
import { isClean, withReferencing } from '../lib/truncate-plan.js';
import { causal, retryReads, wsrepOn, type ClusterSession } from './galera.js';
import { refuseReadOnlyMysql } from './read-only.js';
import { lockTables, lockWaitSeconds, type BlockerSource } from './mysql-blockers.js';

/** A base table as information_schema knows it, with its AUTO_INCREMENT counter (null when it has none). */
interface CatalogTable {
  readonly schema: string;
  readonly name: string;
  readonly autoIncrement: number | null;
}

/** A table to consider; `autoIncrement` is undefined until it has been read. */
type Candidate = Omit<CatalogTable, 'autoIncrement'> & { readonly autoIncrement?: number | null };

/** One row of the resolution query: the session's settings (name null), or a candidate table. */
interface ResolutionRow {
  readonly db: string | null;
  readonly fkc: number | string;
  readonly ro: number | string | null;
  readonly wsrep: number | string | null;
  readonly lwt: number | string;
  readonly schema: string | null;
  readonly name: string | null;
  readonly type: string | null;
  readonly autoIncrement: number | string | null;
}

/**
 * MySQL truncate on one pinned session, outside any transaction (the core
 * refuses it inside one: TRUNCATE commits implicitly).
 *
 * FOREIGN_KEY_CHECKS is per session: it is saved, turned off, and restored in
 * `finally` on this same session, so no other session ever sees it off and this
 * one goes back to the pool as it came. If the restore fails, the session is
 * condemned and the pool destroys it. Tables already clean are left alone.
 */
export async function truncateMysql(
  session: ClusterSession & BlockerSource,
  tables: readonly TableName[],
  options: TruncateConfig,
  quote: (part: string) => string,
  onRetry: () => void,
): Promise<void> {
  // Read-only steps: nothing is changed before they all succeed, so a deadlock among them is retried.
  const { checks, lockWait, readOnly, first, emptied } = await retryReads(
    session,
    async () => {
      const { checks, lockWait, readOnly, named } = await resolve(session, tables);
      const candidates = options.cascade ? await addReferencing(session, named) : named;
      return { checks, lockWait, readOnly, first: named[0]!, emptied: await dirtyTables(session, candidates, options.restartIdentity, quote) };
    },
    onRetry,
  );
  // Refused on a read-only server even when every table is clean: the call was aimed at the wrong server.
  if (readOnly) await refuseReadOnlyMysql(session, `${quote(first.schema)}.${quote(first.name)}`);
  if (emptied.length === 0) return;

  // lock_wait_timeout is saved, set and restored with the FK checks, on this same session.
  const bounded = options.lockTimeoutMillis > 0;
  await session.query(`SET FOREIGN_KEY_CHECKS = 0${bounded ? `, lock_wait_timeout = ${lockWaitSeconds(options.lockTimeoutMillis)}` : ''}`);
  try {
    // Under a lock bound every table is locked before any is emptied: a timeout then leaves all of them as they were.
    if (bounded) await lockTables(session, emptied, options.lockTimeoutMillis, quote);
    for (const table of emptied) {
      const target = `${quote(table.schema)}.${quote(table.name)}`;
      await session.query(`TRUNCATE TABLE ${target}`);
      // TRUNCATE always resets AUTO_INCREMENT on MySQL; put the counter back when asked to keep it.
      if (!options.restartIdentity && table.autoIncrement !== null && table.autoIncrement > 1) {
        await session.query(`ALTER TABLE ${target} AUTO_INCREMENT = ${table.autoIncrement}`);
      }
    }
  } finally {
    await restoreChecks(session, checks, bounded ? lockWait : undefined);
  }
}

/**
 * The tables that need a TRUNCATE: a table with no rows whose counter is
 * already where TRUNCATE would put it (1, or no counter) is left alone, since
 * emptying it would change nothing. One round trip asks only what is unknown:
 * rows of the tables that could be clean, and counters not read yet (cascaded
 * tables). When the counters already say every table needs it, nothing is sent.
 */
async function dirtyTables(
  session: AdapterSession,
  tables: readonly Candidate[],
  restartIdentity: boolean,
  quote: (part: string) => string,
): Promise<CatalogTable[]> {
  const couldBeClean = (counter: number | null) => isClean({ hasRows: false, counterAtStart: (counter ?? 1) <= 1 }, restartIdentity);
  const columns: string[] = [];
  const params: string[] = [];
  tables.forEach((table, i) => {
    if (table.autoIncrement === undefined) {
      // Equality on both columns lets MariaDB open just this table; BINARY makes the match exact.
      columns.push(`(SELECT AUTO_INCREMENT FROM information_schema.TABLES
                      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND BINARY TABLE_SCHEMA = ? AND BINARY TABLE_NAME = ?) AS a${i}`);
      params.push(table.schema, table.name, table.schema, table.name);
    }
    if (table.autoIncrement === undefined || couldBeClean(table.autoIncrement)) {
      columns.push(`EXISTS (SELECT 1 FROM ${quote(table.schema)}.${quote(table.name)}) AS r${i}`);
    }
  });
  const answer = columns.length === 0 ? {} : (await session.query<Record<string, unknown>>(`SELECT ${columns.join(', ')}`, params)).rows[0]!;
  return tables
    .map((table, i) => toTable(table.schema, table.name, table.autoIncrement === undefined ? (answer[`a${i}`] as number | string | null) : table.autoIncrement))
    .filter((table, i) => {
      const rows = answer[`r${i}`];
      return !(rows !== undefined && Number(rows) === 0 && couldBeClean(table.autoIncrement));
    });
}

async function restoreChecks(session: AdapterSession, checks: number, lockWait: number | undefined): Promise<void> {
  try {
    if (lockWait !== undefined) await session.query('UNLOCK TABLES');
    await session.query(`SET FOREIGN_KEY_CHECKS = ${checks === 0 ? 0 : 1}${lockWait === undefined ? '' : `, lock_wait_timeout = ${lockWait}`}`);
  } catch (error) {
    session.condemn();
    throw error;
  }
}

/**
 * Resolves the names in one round trip, together with the session's current
 * database and FOREIGN_KEY_CHECKS. information_schema compares names without
 * regard to case, accents or trailing spaces, so rows are candidates and the
 * exact match is made here. The names are filtered in a WHERE clause: as a
 * join condition MariaDB cannot use them to look the tables up, and opens
 * every table on the server instead.
 */
async function resolve(
  session: ClusterSession,
  tables: readonly TableName[],
): Promise<{ checks: number; lockWait: number; readOnly: boolean; named: CatalogTable[] }> {
  const schemas = tables.map((table) => table.schema ?? null);
  const names = tables.map((table) => table.name);
  // The first read of the call, made causal on Galera: the later ones see at least what it saw.
  const { rows } = await session.query<ResolutionRow>(
    causal(
      session,
      `SELECT DATABASE() AS db, @@foreign_key_checks AS fkc, @@read_only AS ro, ${wsrepOn(session)} AS wsrep, @@lock_wait_timeout AS lwt,
             NULL AS \`schema\`, NULL AS name, NULL AS type, NULL AS autoIncrement
     UNION ALL
     SELECT NULL, NULL, NULL, NULL, NULL, t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE, t.AUTO_INCREMENT
       FROM information_schema.TABLES t
      WHERE t.TABLE_SCHEMA IN (${schemas.map(() => 'COALESCE(?, DATABASE())').join(', ')})
        AND t.TABLE_NAME IN (${names.map(() => '?').join(', ')})`,
    ),
    [...schemas, ...names],
  );
  const settings = rows.find((row) => row.name === null)!;
  if (session.galera === undefined) {
    session.galera = Number(settings.wsrep) === 1;
    // Found on this first read, which was not causal yet: once per session on a Galera node, it is asked again.
    if (session.galera) return resolve(session, tables);
  }
  const named = new Map<string, CatalogTable>();
  for (const table of tables) {
    const schema = table.schema ?? settings.db;
    const row = rows.find((candidate) => candidate.schema === schema && candidate.name === table.name);
    if (row === undefined || row.type !== 'BASE TABLE') throw new TableNotFoundError(formatTableName(table));
    const found = toTable(row.schema!, row.name!, row.autoIncrement);
    named.set(keyOf(found), found);
  }
  return { checks: Number(settings.fkc), lockWait: Number(settings.lwt), readOnly: Number(settings.ro) === 1, named: [...named.values()] };
}

/**
 * The named tables and every table that references them, transitively
 * (self-references, cycles and other databases included). Counters of the
 * tables found here are not read yet: joining TABLES would open every table.
 */
async function addReferencing(session: AdapterSession, named: readonly CatalogTable[]): Promise<Candidate[]> {
  const { rows } = await session.query<{ schema: string; name: string; referencedSchema: string; referencedName: string }>(
    `SELECT CONSTRAINT_SCHEMA AS \`schema\`, TABLE_NAME AS name,
            UNIQUE_CONSTRAINT_SCHEMA AS referencedSchema, REFERENCED_TABLE_NAME AS referencedName
       FROM information_schema.REFERENTIAL_CONSTRAINTS`,
  );
  const tables = new Map<string, Candidate>(named.map((table) => [keyOf(table), table]));
  const referencedBy = new Map<string, string[]>();
  for (const edge of rows) {
    const key = keyOf(edge);
    if (!tables.has(key)) tables.set(key, { schema: edge.schema, name: edge.name });
    const target = keyOf({ schema: edge.referencedSchema, name: edge.referencedName });
    referencedBy.set(target, [...(referencedBy.get(target) ?? []), key]);
  }
  const keys = withReferencing(named.map(keyOf), (key) => referencedBy.get(key) ?? []);
  return [...keys].map((key) => tables.get(key)!);
}

/** Identifies a table in maps; NUL cannot occur in names, so the key is unambiguous. */
function keyOf(table: { schema: string; name: string }): string {
  return `${table.schema}\0${table.name}`;
}

function toTable(schema: string, name: string, autoIncrement: number | string | null): CatalogTable {
  return { schema, name, autoIncrement: autoIncrement === null ? null : Number(autoIncrement) };
}

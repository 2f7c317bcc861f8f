import type { AdapterSession, TruncateOptions } from './adapter.js';
import { TableNotFoundError } from '../lib/errors.js';
import { formatTableName, type TableName } from '../lib/identifiers.js';
import { isClean, withReferencing } from './truncate-plan.js';

/** A base table as information_schema knows it, with its AUTO_INCREMENT counter (null when it has none). */
interface CatalogTable {
  readonly schema: string;
  readonly name: string;
  readonly autoIncrement: number | null;
}

/** One row of the resolution query: the session's settings, and a candidate table if any matched. */
interface ResolutionRow {
  readonly db: string | null;
  readonly fkc: number | string;
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
  session: AdapterSession,
  tables: readonly TableName[],
  options: TruncateOptions,
  quote: (part: string) => string,
): Promise<void> {
  const { checks, named } = await resolve(session, tables);
  const candidates = options.cascade ? await addReferencing(session, named) : named;
  const emptied = await dirtyTables(session, candidates, options.restartIdentity, quote);
  if (emptied.length === 0) return;

  await session.query('SET FOREIGN_KEY_CHECKS = 0');
  try {
    for (const table of emptied) {
      const target = `${quote(table.schema)}.${quote(table.name)}`;
      await session.query(`TRUNCATE TABLE ${target}`);
      // TRUNCATE always resets AUTO_INCREMENT on MySQL; put the counter back when asked to keep it.
      if (!options.restartIdentity && table.autoIncrement !== null && table.autoIncrement > 1) {
        await session.query(`ALTER TABLE ${target} AUTO_INCREMENT = ${table.autoIncrement}`);
      }
    }
  } finally {
    await restoreChecks(session, checks);
  }
}

/**
 * The tables that need a TRUNCATE, in one round trip: a table with no rows
 * whose counter is already where TRUNCATE would put it (1, or no counter) is
 * left alone, since emptying it would change nothing.
 */
async function dirtyTables(
  session: AdapterSession,
  tables: readonly CatalogTable[],
  restartIdentity: boolean,
  quote: (part: string) => string,
): Promise<CatalogTable[]> {
  const columns = tables.map((table, i) => `EXISTS (SELECT 1 FROM ${quote(table.schema)}.${quote(table.name)}) AS r${i}`);
  const { rows } = await session.query<Record<string, number | string>>(`SELECT ${columns.join(', ')}`);
  const answer = rows[0]!;
  return tables.filter(
    (table, i) => !isClean({ hasRows: Number(answer[`r${i}`]) === 1, counterAtStart: (table.autoIncrement ?? 1) <= 1 }, restartIdentity),
  );
}

async function restoreChecks(session: AdapterSession, checks: number): Promise<void> {
  try {
    await session.query(`SET FOREIGN_KEY_CHECKS = ${checks === 0 ? 0 : 1}`);
  } catch (error) {
    session.condemn();
    throw error;
  }
}

/**
 * Resolves the names in one round trip, together with the session's current
 * database and FOREIGN_KEY_CHECKS. information_schema compares names without
 * regard to case, accents or trailing spaces, so rows are candidates and the
 * exact match is made here.
 */
async function resolve(session: AdapterSession, tables: readonly TableName[]): Promise<{ checks: number; named: CatalogTable[] }> {
  const schemas = tables.map((table) => table.schema ?? null);
  const names = tables.map((table) => table.name);
  const { rows } = await session.query<ResolutionRow>(
    `SELECT d.db, d.fkc, t.TABLE_SCHEMA AS \`schema\`, t.TABLE_NAME AS name, t.TABLE_TYPE AS type, t.AUTO_INCREMENT AS autoIncrement
       FROM (SELECT DATABASE() AS db, @@foreign_key_checks AS fkc) d
       LEFT JOIN information_schema.TABLES t
         ON t.TABLE_SCHEMA IN (${schemas.map(() => 'COALESCE(?, DATABASE())').join(', ')})
        AND t.TABLE_NAME IN (${names.map(() => '?').join(', ')})`,
    [...schemas, ...names],
  );
  const first = rows[0]!;
  const named = new Map<string, CatalogTable>();
  for (const table of tables) {
    const schema = table.schema ?? first.db;
    const row = rows.find((candidate) => candidate.schema === schema && candidate.name === table.name);
    if (row === undefined || row.type !== 'BASE TABLE') throw new TableNotFoundError(formatTableName(table));
    const found = toTable(row.schema!, row.name!, row.autoIncrement);
    named.set(keyOf(found), found);
  }
  return { checks: Number(first.fkc), named: [...named.values()] };
}

/** The named tables and every table that references them, transitively (self-references, cycles and other databases included). */
async function addReferencing(session: AdapterSession, named: readonly CatalogTable[]): Promise<CatalogTable[]> {
  const { rows } = await session.query<{
    schema: string;
    name: string;
    referencedSchema: string;
    referencedName: string;
    autoIncrement: number | string | null;
  }>(
    `SELECT rc.CONSTRAINT_SCHEMA AS \`schema\`, rc.TABLE_NAME AS name,
            rc.UNIQUE_CONSTRAINT_SCHEMA AS referencedSchema, rc.REFERENCED_TABLE_NAME AS referencedName,
            t.AUTO_INCREMENT AS autoIncrement
       FROM information_schema.REFERENTIAL_CONSTRAINTS rc
       JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = rc.CONSTRAINT_SCHEMA AND t.TABLE_NAME = rc.TABLE_NAME`,
  );
  const tables = new Map(named.map((table) => [keyOf(table), table]));
  const referencedBy = new Map<string, string[]>();
  for (const edge of rows) {
    const key = keyOf(edge);
    tables.set(key, tables.get(key) ?? toTable(edge.schema, edge.name, edge.autoIncrement));
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

import type { AdapterSession, TruncateOptions } from './adapter.js';
import { TableNotFoundError } from '../lib/errors.js';
import { formatTableName, type TableName } from '../lib/identifiers.js';

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
 * condemned and the pool destroys it.
 */
export async function truncateMysql(
  session: AdapterSession,
  tables: readonly TableName[],
  options: TruncateOptions,
  quote: (part: string) => string,
): Promise<void> {
  const { checks, named } = await resolve(session, tables);
  const emptied = options.cascade ? await withReferencing(session, named) : named;

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
    named.set(`${row.schema}.${row.name}`, toTable(row.schema!, row.name!, row.autoIncrement));
  }
  return { checks: Number(first.fkc), named: [...named.values()] };
}

/** The named tables and every table that references them, transitively (self-references and cycles included). */
async function withReferencing(session: AdapterSession, named: readonly CatalogTable[]): Promise<CatalogTable[]> {
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
  const found = new Map(named.map((table) => [`${table.schema}.${table.name}`, table]));
  const queue = [...named];
  for (let table = queue.shift(); table !== undefined; table = queue.shift()) {
    for (const edge of rows) {
      if (edge.referencedSchema !== table.schema || edge.referencedName !== table.name) continue;
      const key = `${edge.schema}.${edge.name}`;
      if (found.has(key)) continue;
      const referencing = toTable(edge.schema, edge.name, edge.autoIncrement);
      found.set(key, referencing);
      queue.push(referencing);
    }
  }
  return [...found.values()];
}

function toTable(schema: string, name: string, autoIncrement: number | string | null): CatalogTable {
  return { schema, name, autoIncrement: autoIncrement === null ? null : Number(autoIncrement) };
}

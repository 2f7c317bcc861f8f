import type { AdapterSession, TruncateOptions } from './adapter.js';
import { ForeignKeyTruncateError, TableNotFoundError } from '../lib/errors.js';
import { formatTableName, type TableName } from '../lib/identifiers.js';

/** A table as the catalog knows it. */
interface CatalogTable {
  readonly oid: string;
  readonly schema: string;
  readonly name: string;
  /** 'r' plain table, 'p' partitioned table. */
  readonly kind: string;
}

/**
 * Resolves the named tables exactly as the server would (to_regclass honours
 * search_path) and, unless PostgreSQL is to cascade by itself, every table that
 * references them through foreign keys, transitively: one catalog round trip.
 */
const CATALOG = `
WITH RECURSIVE named AS (
  SELECT r.ord, to_regclass(r.name) AS oid FROM unnest($1::text[]) WITH ORDINALITY AS r(name, ord)
), refs AS (
  SELECT con.conrelid AS oid FROM pg_constraint con
   WHERE NOT $2 AND con.contype = 'f' AND con.confrelid IN (SELECT oid FROM named WHERE oid IS NOT NULL)
  UNION
  SELECT con.conrelid FROM pg_constraint con JOIN refs ON con.confrelid = refs.oid WHERE con.contype = 'f'
)
SELECT named.ord, c.oid::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind
  FROM named LEFT JOIN pg_class c ON c.oid = named.oid LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT NULL, c.oid::text, n.nspname, c.relname, c.relkind
  FROM refs JOIN pg_class c ON c.oid = refs.oid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE refs.oid NOT IN (SELECT oid FROM named WHERE oid IS NOT NULL)`;

/** Sequences that RESTART IDENTITY would restart: owned by a column (serial) or an identity column. */
const OWNED_SEQUENCES = `
SELECT s.oid::regclass::text AS sequence FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
   AND d.deptype IN ('a', 'i') AND d.refobjid = ANY($1::oid[])`;

/**
 * PostgreSQL truncate; the caller has opened a transaction (or savepoint), so
 * a throw here changes nothing.
 *
 * Default: the named tables, plus referencing tables that hold no rows (under
 * an ACCESS EXCLUSIVE lock, so none can gain rows before the TRUNCATE). A
 * referencing table with rows fails the call with `ForeignKeyTruncateError`.
 * Cascade: `TRUNCATE ... CASCADE`.
 */
export async function truncatePostgres(
  session: AdapterSession,
  tables: readonly TableName[],
  options: TruncateOptions,
  quote: (part: string) => string,
): Promise<void> {
  const qualified = (table: TableName) =>
    table.schema === undefined ? quote(table.name) : `${quote(table.schema)}.${quote(table.name)}`;
  const { rows } = await session.query<CatalogTable & { ord: string | null }>(CATALOG, [tables.map(qualified), options.cascade]);

  const named = new Map<string, CatalogTable>();
  const referencing: CatalogTable[] = [];
  for (const row of rows) {
    if (row.ord === null) {
      referencing.push(row);
      continue;
    }
    const requested = tables[Number(row.ord) - 1]!;
    if (row.oid === null || (row.kind !== 'r' && row.kind !== 'p')) throw new TableNotFoundError(formatTableName(requested));
    named.set(row.oid, row);
  }

  // ONLY keeps inheritance children out, as the contract empties exactly the named tables;
  // a partitioned table cannot take ONLY, and its partitions are part of it.
  const target = (table: CatalogTable) => (table.kind === 'p' ? '' : 'ONLY ') + `${quote(table.schema)}.${quote(table.name)}`;
  const identity = options.restartIdentity ? 'RESTART IDENTITY' : 'CONTINUE IDENTITY';
  const namedTables = [...named.values()];

  if (options.cascade || referencing.length === 0) {
    await session.query(`TRUNCATE ${namedTables.map(target).join(', ')} ${identity}${options.cascade ? ' CASCADE' : ''}`);
    return;
  }

  const everything = [...namedTables, ...referencing];
  await session.query(`LOCK TABLE ${everything.map(target).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  const withRows = await tablesHoldingRows(session, referencing, target);
  if (withRows.length > 0) {
    throw new ForeignKeyTruncateError(namedTables.map(qualifiedName), withRows.map(qualifiedName));
  }
  // Tables included only because they are empty keep their counters, so identity
  // is restarted for the named tables alone.
  await session.query(`TRUNCATE ${everything.map(target).join(', ')} CONTINUE IDENTITY`);
  if (options.restartIdentity) await restartSequences(session, namedTables);
}

/**
 * Which tables hold rows, checked after the lock is granted so that rows
 * committed while we waited are seen. Under REPEATABLE READ or SERIALIZABLE the
 * snapshot may predate the lock and hide such rows, so there any table whose
 * heap is not empty counts as holding rows: refusing is safe, losing rows is not.
 */
async function tablesHoldingRows(
  session: AdapterSession,
  tables: readonly CatalogTable[],
  target: (table: CatalogTable) => string,
): Promise<CatalogTable[]> {
  const checks = tables.map(
    (table, i) =>
      `(EXISTS (SELECT 1 FROM ${target(table)}) OR (current_setting('transaction_isolation') <> 'read committed' AND pg_relation_size(${table.oid}::oid) > 0)) AS "${i}"`,
  );
  const { rows } = await session.query<Record<string, boolean>>(`SELECT ${checks.join(', ')}`);
  const answer = rows[0]!;
  return tables.filter((_, i) => answer[String(i)] === true);
}

/** ALTER SEQUENCE ... RESTART is transactional, like TRUNCATE ... RESTART IDENTITY. */
async function restartSequences(session: AdapterSession, tables: readonly CatalogTable[]): Promise<void> {
  const { rows } = await session.query<{ sequence: string }>(OWNED_SEQUENCES, [tables.map((table) => table.oid)]);
  if (rows.length === 0) return;
  // regclass::text is already quoted as the server needs it.
  await session.query(rows.map((row) => `ALTER SEQUENCE ${row.sequence} RESTART`).join('; '));
}

function qualifiedName(table: CatalogTable): string {
  return `${table.schema}.${table.name}`;
}

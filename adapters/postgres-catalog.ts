import type { AdapterSession, QueryResult } from '../lib/driver.js';
import { TableNotFoundError } from '../lib/errors.js';
import { formatTableName, type TableName } from '../lib/identifiers.js';
import type { TableState } from '../lib/truncate-plan.js';

/** A session that can keep sqlpin's own catalog queries prepared. */
export interface CatalogSession extends AdapterSession {
  prepared<Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
}

/** A table as the catalog knows it. */
export interface CatalogTable {
  readonly oid: string;
  readonly schema: string;
  readonly name: string;
  /** 'r' plain table, 'p' partitioned table. */
  readonly kind: string;
  /** Tables (oids) whose foreign keys reference this one. */
  readonly referencedBy: string[];
  /** Sequences RESTART IDENTITY would restart, already quoted, with their start values. */
  readonly sequences: { name: string; start: string }[];
}

/** The named tables and, for each, the tables referencing it transitively. */
export interface Catalog {
  readonly named: CatalogTable[];
  /** Every table met: the named ones and all that reference them, by oid. */
  readonly tables: Map<string, CatalogTable>;
}

/**
 * One round trip: resolves the names exactly as the server would (to_regclass
 * honours search_path), follows foreign keys to every referencing table
 * (UNION ends cycles), and lists the sequences each table owns (serial or identity).
 */
const CATALOG = `
WITH RECURSIVE named AS (
  SELECT r.ord, to_regclass(r.name) AS oid FROM unnest($1::text[]) WITH ORDINALITY AS r(name, ord)
), edges AS (
  SELECT con.conrelid AS child, con.confrelid AS parent FROM pg_constraint con
   WHERE con.contype = 'f' AND con.confrelid IN (SELECT oid FROM named WHERE oid IS NOT NULL)
  UNION
  SELECT con.conrelid, con.confrelid FROM pg_constraint con JOIN edges e ON con.confrelid = e.child WHERE con.contype = 'f'
), met AS (
  SELECT oid FROM named WHERE oid IS NOT NULL UNION SELECT child FROM edges
)
SELECT named.ord, NULL AS oid, NULL AS schema, NULL AS name, NULL AS kind, NULL AS "referencedBy", NULL AS sequences
  FROM named WHERE named.oid IS NULL
UNION ALL
SELECT named.ord, c.oid::text, n.nspname, c.relname, c.relkind::text,
       ARRAY(SELECT e.child::text FROM edges e WHERE e.parent = c.oid),
       (SELECT json_agg(json_build_object('name', s.oid::regclass::text, 'start', q.seqstart::text))
          FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_sequence q ON q.seqrelid = s.oid
         WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
           AND d.deptype IN ('a', 'i') AND d.refobjid = c.oid)
  FROM met JOIN pg_class c ON c.oid = met.oid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN named ON named.oid = met.oid`;

/** Resolves the named tables; a missing one, or one that is not a table, is `TableNotFoundError` before anything changes. */
export async function readCatalog(
  session: CatalogSession,
  tables: readonly TableName[],
  quote: (part: string) => string,
): Promise<Catalog> {
  const qualified = tables.map((table) =>
    table.schema === undefined ? quote(table.name) : `${quote(table.schema)}.${quote(table.name)}`,
  );
  const { rows } = await session.prepared<Omit<CatalogTable, 'sequences'> & { ord: string | null; sequences: CatalogTable['sequences'] | null }>(
    CATALOG,
    [qualified],
  );
  const found = new Map<string, CatalogTable>();
  const namedByPosition = new Map<number, string | null>();
  for (const row of rows) {
    if (row.ord !== null) namedByPosition.set(Number(row.ord), row.oid);
    if (row.oid !== null) found.set(row.oid, { ...row, sequences: row.sequences ?? [] });
  }
  const named = new Map<string, CatalogTable>();
  tables.forEach((table, i) => {
    const oid = namedByPosition.get(i + 1);
    const entry = oid === null || oid === undefined ? undefined : found.get(oid);
    if (entry === undefined || (entry.kind !== 'r' && entry.kind !== 'p')) throw new TableNotFoundError(formatTableName(table));
    named.set(entry.oid, entry);
  });
  return { named: [...named.values()], tables: found };
}

/** `ONLY` keeps inheritance children out; a partitioned table cannot take it, and its partitions are part of it. */
export function target(table: CatalogTable, quote: (part: string) => string): string {
  return (table.kind === 'p' ? '' : 'ONLY ') + `${quote(table.schema)}.${quote(table.name)}`;
}

/**
 * One round trip for the state of every table: rows, and whether each owned
 * sequence is where RESTART would put it. Where the transaction's snapshot may
 * be older than the lock (REPEATABLE READ, SERIALIZABLE) rows committed while we
 * waited are invisible, so there a table whose heap is not empty counts as
 * holding rows: refusing or emptying it is safe, losing rows is not.
 */
export async function readStates(
  session: CatalogSession,
  tables: readonly CatalogTable[],
  quote: (part: string) => string,
): Promise<TableState[]> {
  const columns = tables.flatMap((table, i) => {
    const stale = ` OR (current_setting('transaction_isolation') <> 'read committed' AND pg_relation_size(${table.oid}::oid) > 0)`;
    const atStart = table.sequences.map((s) => `(SELECT NOT is_called AND last_value = ${s.start}::int8 FROM ${s.name})`);
    return [`(EXISTS (SELECT 1 FROM ${target(table, quote)})${stale}) AS "r${i}"`, `(${atStart.join(' AND ') || 'true'}) AS "c${i}"`];
  });
  const { rows } = await session.prepared<Record<string, boolean>>(`SELECT ${columns.join(', ')}`);
  const answer = rows[0]!;
  return tables.map((_, i) => ({ hasRows: answer[`r${i}`] === true, counterAtStart: answer[`c${i}`] === true }));
}

/** The name used in errors: schema-qualified, unquoted. */
export function qualifiedName(table: CatalogTable): string {
  return `${table.schema}.${table.name}`;
}

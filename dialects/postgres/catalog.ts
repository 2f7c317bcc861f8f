import type { TruncateTarget } from '../../lib/driver.js';
import { InvalidArgumentError, TableNotFoundError } from '../../lib/errors.js';
import { formatTableName, type TableName } from '../../lib/identifiers.js';
import { quotePostgres } from './names.js';
import type { PostgresSession } from './session.js';

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
  /**
   * A DELETE would not leave what TRUNCATE leaves: a user trigger on DELETE or
   * TRUNCATE, a DELETE rule, row-level security (a DELETE sees only some rows),
   * or a partitioned table (triggers of its partitions).
   */
  readonly mustTruncate: boolean;
}

/** The tables to empty and, for each, the tables referencing it transitively. */
export interface Catalog {
  readonly named: CatalogTable[];
  /** Every table met: the named ones and all that reference them, by oid. */
  readonly tables: Map<string, CatalogTable>;
}

/**
 * Follows foreign keys from the `named` CTE to every referencing table (UNION
 * ends cycles) and describes each. What each table owns is read by joins on
 * aggregates, not by a subquery per table: with a subquery per row the planner
 * multiplies its cost by its (poor) estimate of the tables in a schema, and on a
 * catalog bloated by tests creating and dropping tables the total crossed
 * jit_above_cost, so every reset paid ~40 ms of JIT compilation. The tables
 * met are looked up by oid (LATERAL, OFFSET 0 keeps it a per-row index scan):
 * a hash join would scan all of pg_class a second time.
 */
const FOLLOW = `
edges AS (
  SELECT con.conrelid AS child, con.confrelid AS parent FROM pg_constraint con
   WHERE con.contype = 'f' AND con.confrelid IN (SELECT oid FROM named WHERE oid IS NOT NULL)
  UNION
  SELECT con.conrelid, con.confrelid FROM pg_constraint con JOIN edges e ON con.confrelid = e.child WHERE con.contype = 'f'
), met AS (
  SELECT oid FROM named WHERE oid IS NOT NULL UNION SELECT child FROM edges
), referencing AS (
  SELECT parent, array_agg(child::text) AS children FROM edges GROUP BY parent
), owned AS (
  SELECT d.refobjid AS rel, json_agg(json_build_object('name', s.oid::regclass::text, 'start', q.seqstart::text)) AS sequences
    FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_sequence q ON q.seqrelid = s.oid
   WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
     AND d.refobjid IN (SELECT oid FROM met)
   GROUP BY d.refobjid
), deleting_differs AS (
  SELECT tgrelid AS rel FROM pg_trigger WHERE NOT tgisinternal AND (tgtype & 40) <> 0 AND tgrelid IN (SELECT oid FROM met)
  UNION
  SELECT ev_class FROM pg_rewrite WHERE ev_type = '4' AND ev_class IN (SELECT oid FROM met)
)
SELECT lookup.role, lookup.ord, lookup.oid::oid::text, NULL AS schema, NULL AS name, k.relkind::text AS kind,
       NULL AS "referencedBy", NULL AS sequences, NULL AS "mustTruncate", NULL AS "isNamed"
  FROM lookup LEFT JOIN pg_class k ON k.oid = lookup.oid
UNION ALL
SELECT 'met', NULL, c.oid::text, n.nspname, c.relname, c.relkind::text,
       COALESCE(r.children, '{}'), o.sequences,
       c.relkind = 'p' OR c.relrowsecurity OR c.oid IN (SELECT rel FROM deleting_differs),
       c.oid IN (SELECT oid FROM named)
  FROM met CROSS JOIN LATERAL (SELECT * FROM pg_class WHERE pg_class.oid = met.oid OFFSET 0) AS c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN referencing r ON r.parent = c.oid LEFT JOIN owned o ON o.rel = c.oid
UNION ALL
SELECT 'backend', pg_backend_pid()::int8, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`;

/** The named tables (`names`, a text[] literal), resolved exactly as the server would (to_regclass honours search_path). */
const catalogTables = (names: string) => `
WITH RECURSIVE named AS (
  SELECT r.ord, to_regclass(r.name) AS oid FROM unnest(${names}) WITH ORDINALITY AS r(name, ord)
), lookup AS (
  SELECT 'name' AS role, ord, oid FROM named
), ${FOLLOW}`;

/**
 * Every base table of one schema (the current one when `schema` is NULL) but
 * the excepted ones (`except`, a text[] literal, resolved like named tables).
 * Partitions are emptied with their partitioned table; views, sequences and
 * foreign tables are not tables to empty. Both arguments are SQL literals.
 */
const catalogAll = (schema: string, except: string) => `
WITH RECURSIVE excepted AS (
  SELECT r.ord, to_regclass(r.name) AS oid FROM unnest(${except}) WITH ORDINALITY AS r(name, ord)
), space AS (
  SELECT oid FROM pg_namespace WHERE nspname = COALESCE(${schema}, current_schema())
), named AS (
  SELECT c.oid FROM pg_class c
   WHERE c.relnamespace IN (SELECT oid FROM space) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     AND c.oid NOT IN (SELECT oid FROM excepted WHERE oid IS NOT NULL)
), lookup AS (
  SELECT 'except' AS role, ord, oid FROM excepted
  UNION ALL
  SELECT 'schema', NULL, (SELECT oid FROM space)
), ${FOLLOW}`;

interface CatalogRow extends Omit<CatalogTable, 'sequences' | 'oid' | 'kind' | 'mustTruncate'> {
  readonly role: 'name' | 'except' | 'schema' | 'met' | 'backend';
  readonly ord: string | null;
  readonly oid: string | null;
  readonly kind: string | null;
  readonly sequences: CatalogTable['sequences'] | null;
  readonly mustTruncate: boolean | null;
  readonly isNamed: boolean | null;
}

/**
 * One round trip: resolves what to empty, follows foreign keys to every
 * referencing table, and lists what each table owns (sequences, triggers),
 * and which server backend answered (in a row of its own).
 * A missing name, or one that is not a table, is `TableNotFoundError` before
 * anything changes; so is a missing `except` entry.
 *
 * `opening` (a BEGIN, or nothing) goes in the same simple-query message, so the
 * names travel as literals, not bound parameters: a message with parameters
 * carries one statement only. Nothing is prepared: the plan of a catalog query
 * costs less than the round trip a Parse of its own would.
 */
export async function readCatalog(session: PostgresSession, target: TruncateTarget, opening: string): Promise<Catalog> {
  const { rows } = await session.query<CatalogRow>(opening + catalogQuery(target));
  const tables = new Map<string, CatalogTable>();
  const lookups = new Map<string, CatalogRow>();
  const named: CatalogTable[] = [];
  for (const { role, ord, isNamed, ...row } of rows) {
    if (role === 'backend') session.connection.answeredBy(Number(ord));
    else if (role !== 'met') lookups.set(`${role}:${ord}`, { role, ord, isNamed, ...row });
    else {
      const table: CatalogTable = {
        ...row,
        oid: row.oid!,
        kind: row.kind!,
        sequences: row.sequences ?? [],
        mustTruncate: row.mustTruncate === true,
      };
      tables.set(table.oid, table);
      if (isNamed === true) named.push(table);
    }
  }
  return target.kind === 'tables'
    ? { named: namedInOrder(target.tables, lookups, tables), tables }
    : checkAll(target, lookups, named, tables);
}

function catalogQuery(target: TruncateTarget): string {
  const qualified = (table: TableName) =>
    table.schema === undefined ? quotePostgres(table.name) : `${quotePostgres(table.schema)}.${quotePostgres(table.name)}`;
  const names = (tables: readonly TableName[]) => textArray(tables.map(qualified));
  if (target.kind === 'tables') return catalogTables(names(target.tables));
  return catalogAll(target.schema === undefined ? 'NULL::text' : `${quoteLiteral(target.schema)}::text`, names(target.except));
}

const isTable = (row: CatalogRow | undefined) => row?.oid != null && (row.kind === 'r' || row.kind === 'p');

/** The named tables in the order given, each once; a name that is not a table is `TableNotFoundError`. */
function namedInOrder(names: readonly TableName[], lookups: Map<string, CatalogRow>, tables: Map<string, CatalogTable>): CatalogTable[] {
  const inOrder = new Map<string, CatalogTable>();
  names.forEach((table, i) => {
    const row = lookups.get(`name:${i + 1}`);
    if (!isTable(row)) throw new TableNotFoundError(formatTableName(table));
    inOrder.set(row!.oid!, tables.get(row!.oid!)!);
  });
  return [...inOrder.values()];
}

/** For every table of a schema: each excepted name must be a table, and the schema must exist. */
function checkAll(
  target: Extract<TruncateTarget, { kind: 'all' }>,
  lookups: Map<string, CatalogRow>,
  named: CatalogTable[],
  tables: Map<string, CatalogTable>,
): Catalog {
  target.except.forEach((table, i) => {
    if (!isTable(lookups.get(`except:${i + 1}`))) throw new TableNotFoundError(formatTableName(table));
  });
  if (lookups.get('schema:null')?.oid == null) throw new InvalidArgumentError(`schema ${target.schema ?? '(current)'} does not exist`);
  return { named, tables };
}

/**
 * The one way sqlpin writes a string as an SQL literal. The escape-string form
 * (E'...', backslashes and quotes doubled) reads the same whatever
 * standard_conforming_strings says. Names are validated to hold no NUL, which
 * no PostgreSQL text can; one here is refused, never sent.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new InvalidArgumentError('a NUL character cannot be sent in an SQL literal');
  return `E'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/** A text[] literal of the values, each quoted by `quoteLiteral`. */
function textArray(values: readonly string[]): string {
  return `ARRAY[${values.map(quoteLiteral).join(', ')}]::text[]`;
}

/** `ONLY` keeps inheritance children out; a partitioned table cannot take it, and its partitions are part of it. */
export function target(table: CatalogTable): string {
  return `${table.kind === 'p' ? '' : 'ONLY '}${quotePostgres(table.schema)}.${quotePostgres(table.name)}`;
}

/** The name used in errors: schema-qualified, unquoted. */
export function qualifiedName(table: CatalogTable): string {
  return `${table.schema}.${table.name}`;
}

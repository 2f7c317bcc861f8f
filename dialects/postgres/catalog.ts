import type { TruncateTarget } from '../../lib/driver.js';
import { InvalidArgumentError, NotATableError, TableNotFoundError, TruncateRefusedError, type ObjectKind } from '../../lib/errors.js';
import { formatTableName, type TableName } from '../../lib/identifiers.js';
import { catalogAll, catalogTables } from './catalog-sql.js';
import { quotePostgres } from './names.js';
import { runCatalogStatement, type CatalogStatement, type TransactionOwner } from './prepared.js';
import type { PostgresSession } from './session.js';

/** A sequence a table owns, as RESTART IDENTITY would restart it. */
export interface OwnedSequence {
  /** Schema-qualified and quoted. */
  readonly name: string;
  readonly start: string;
  /** The role may read where it stands (SELECT on it). */
  readonly readable: boolean;
  /** The role owns it, as RESTART IDENTITY and ALTER SEQUENCE require. */
  readonly owned: boolean;
}

/** A foreign key that references a table, with its actions (pg_constraint's confdeltype, confupdtype). */
interface KeyAction {
  readonly child: string;
  readonly del: string;
  readonly upd: string;
}

/** A table as the catalog knows it. */
export interface CatalogTable {
  readonly oid: string;
  readonly schema: string;
  readonly name: string;
  /** 'r' plain table, 'p' partitioned table. */
  readonly kind: string;
  /**
   * Named (or in a named table's family): emptied with its partitions and
   * inheritance children, as a raw TRUNCATE of it does. A table met only
   * through a foreign key goes alone, as TRUNCATE ... CASCADE adds it.
   */
  readonly named: boolean;
  /** The relations a statement on it reaches (itself, its partitions, and its children when named), by oid. */
  readonly members: readonly string[];
  /** Tables (oids) whose foreign keys reference this one. */
  readonly referencedBy: string[];
  /** Sequences RESTART IDENTITY would restart. */
  readonly sequences: readonly OwnedSequence[];
  /** Row-level security is in force for the current role: a read sees only the rows a policy shows. */
  readonly rowSecurity: boolean;
  readonly canSelect: boolean;
  readonly canTruncate: boolean;
  /** A TRUNCATE of it fires a trigger: it is never skipped as clean. */
  readonly truncateFires: boolean;
  /**
   * A DELETE would not leave what TRUNCATE leaves: it would fire a user
   * trigger or rule here or through a foreign key's action, row-level security
   * would narrow it, the role may not DELETE, it has a TRUNCATE trigger, or it
   * is a partitioned table.
   */
  readonly mustTruncate: boolean;
}

/** The tables to empty and, for each, the tables referencing it transitively. */
export interface Catalog {
  readonly named: CatalogTable[];
  /** Every table met: the named ones and all that reference them, by oid. */
  readonly tables: Map<string, CatalogTable>;
}

/** What the query says of a table met, before the trigger closure. */
interface TableInfo extends Omit<CatalogTable, 'oid' | 'kind' | 'referencedBy' | 'mustTruncate' | 'sequences' | 'members'> {
  /** The tables it inherits from (a partition: its partitioned table). */
  readonly parents: string[] | null;
  /** A named table, or one of their partitions or inheritance children. */
  readonly inFamily: boolean;
  /** It has partitions or inheritance children (pg_class.relhassubclass). */
  readonly hasHeirs: boolean;
  readonly actions: KeyAction[] | null;
  readonly sequences: OwnedSequence[] | null;
  readonly rowSecurityEnabled: boolean;
  readonly canDelete: boolean;
  readonly deleteFires: boolean;
  readonly updateFires: boolean;
}

interface CatalogRow {
  readonly role: 'name' | 'except' | 'schema' | 'moved' | 'met';
  readonly ord: string | null;
  readonly oid: string | null;
  readonly kind: string | null;
  readonly refused: 'partition' | 'inheritance' | 'session setting' | null;
  /** What a name resolved to, schema-qualified. */
  readonly found: string | null;
  readonly info: TableInfo | null;
}

/**
 * One round trip (two when a named table has partitions or inheritance
 * children: reading them in the same query, for every table, would make the
 * planner's estimate cross jit_above_cost): resolves what to empty, follows foreign keys to every
 * referencing table, and lists what each table owns (sequences, triggers,
 * rules), and what the role may do and see there. A missing name is `TableNotFoundError`, one
 * that is not a table `NotATableError`, before anything changes; so is a bad
 * `except` entry, and one that a raw TRUNCATE of another table would empty
 * (a partition, an inheritance child) is refused.
 *
 * `opening` (a BEGIN, or nothing in the caller's transaction) goes in the same simple-query message, so the
 * names travel as literals, not bound parameters: a message with parameters
 * carries one statement only. The query is prepared with SQL's PREPARE where
 * that is safe (see `runCatalogStatement`).
 */
export async function readCatalog(
  session: PostgresSession,
  target: TruncateTarget,
  opening: string,
  transaction: TransactionOwner,
): Promise<Catalog> {
  let rows = await runCatalogStatement<CatalogRow>(session, catalogQuery(target, []), opening, transaction);
  const parents = rows.filter((row) => row.info?.named === true && row.info.hasHeirs).map((row) => row.oid!);
  if (parents.length > 0) rows = await runCatalogStatement<CatalogRow>(session, catalogQuery(target, parents), '', transaction);
  const infos = new Map<string, CatalogRow>();
  const lookups = new Map<string, CatalogRow>();
  for (const row of rows) {
    if (row.role === 'met') infos.set(row.oid!, row);
    else lookups.set(`${row.role}:${row.ord}`, row);
  }
  const { tables, rootOf } = describeTables(infos);
  const named = [...tables.values()].filter((table) => table.named);
  if (target.kind === 'all') return checkAll(target, lookups, named, tables);
  const inOrder = target.tables.map((table, i) => tables.get(rootOf(checkTable(table, lookups.get(`name:${i + 1}`))))!);
  return { named: [...new Set([...inOrder, ...named])], tables };
}

/**
 * The tables a statement names, each with what it stands for: a partition is
 * folded into its partitioned table, and a named table's inheritance children
 * into it, as the server empties them with it. The foreign keys of each
 * member become the table's own, and its triggers and sequences count for it.
 */
function describeTables(infos: ReadonlyMap<string, CatalogRow>): {
  tables: Map<string, CatalogTable>;
  rootOf: (oid: string) => string;
} {
  const fires = firesOnDelete(infos);
  const rootOf = folding(infos);
  const tables = new Map<string, CatalogTable>();
  for (const [oid, row] of infos) if (rootOf(oid) === oid) tables.set(oid, ownTable(oid, row, fires(oid)));
  for (const [oid, row] of infos) {
    const root = rootOf(oid);
    if (root !== oid) tables.set(root, withMember(tables.get(root)!, ownTable(oid, row, fires(oid))));
  }
  for (const [oid, table] of tables) tables.set(oid, { ...table, referencedBy: [...new Set(table.referencedBy.map(rootOf))] });
  return { tables, rootOf };
}

/** One relation as the catalog describes it, before folding. */
function ownTable(oid: string, row: CatalogRow, deleteFires: boolean): CatalogTable {
  const { actions, parents, inFamily, hasHeirs, rowSecurityEnabled, canDelete, updateFires, ...rest } = row.info!;
  return {
    ...rest,
    oid,
    kind: row.kind!,
    members: [oid],
    referencedBy: (actions ?? []).map((action) => action.child),
    sequences: rest.sequences ?? [],
    mustTruncate: row.kind === 'p' || rowSecurityEnabled || !canDelete || rest.truncateFires || deleteFires,
  };
}

/** A table with a member folded in. The statements name the table: its privileges and row security are the ones checked. */
function withMember(table: CatalogTable, member: CatalogTable): CatalogTable {
  return {
    ...table,
    named: table.named || member.named,
    members: [...table.members, ...member.members],
    referencedBy: [...table.referencedBy, ...member.referencedBy],
    sequences: [...table.sequences, ...member.sequences],
    truncateFires: table.truncateFires || member.truncateFires,
    mustTruncate: table.mustTruncate || member.mustTruncate,
  };
}

/** The table each relation met is emptied with: a partitioned table met, or a named ancestor. */
function folding(infos: ReadonlyMap<string, CatalogRow>): (oid: string) => string {
  const into = (oid: string) => {
    const info = infos.get(oid)!.info!;
    return (info.parents ?? []).find((parent) => {
      const up = infos.get(parent);
      return up !== undefined && (up.kind === 'p' || (info.inFamily && up.info!.inFamily));
    });
  };
  const rootOf = (oid: string): string => {
    const parent = into(oid);
    return parent === undefined ? oid : rootOf(parent);
  };
  return rootOf;
}

/**
 * Whether a DELETE from a table fires a trigger or rule anywhere: its own, or
 * one an FK action reaches (ON DELETE CASCADE deletes from the referencing
 * table, SET NULL / SET DEFAULT and ON UPDATE actions update it), transitively.
 * An update is assumed to reach the keys that reference the updated table.
 */
function firesOnDelete(infos: ReadonlyMap<string, CatalogRow>): (oid: string) => boolean {
  return (oid) => {
    const seen = new Set<string>();
    const pending: [string, 'delete' | 'update'][] = [[oid, 'delete']];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const [table, event] = next;
      const info = infos.get(table)?.info;
      if (info == null || seen.has(`${event}:${table}`)) continue;
      seen.add(`${event}:${table}`);
      if (event === 'delete' ? info.deleteFires : info.updateFires) return true;
      for (const action of info.actions ?? []) {
        const on = event === 'delete' ? action.del : action.upd;
        if (on === 'c') pending.push([action.child, event]);
        else if (on === 'n' || on === 'd') pending.push([action.child, 'update']);
      }
    }
    return false;
  };
}

/** The catalog query; `heirsOf`: the named tables whose partitions and inheritance children it must read. */
function catalogQuery(target: TruncateTarget, heirsOf: readonly string[]): CatalogStatement {
  const qualified = (table: TableName) =>
    table.schema === undefined ? quotePostgres(table.name) : `${quotePostgres(table.schema)}.${quotePostgres(table.name)}`;
  const names = (tables: readonly TableName[]) => textArray(tables.map(qualified));
  const args =
    target.kind === 'tables'
      ? [names(target.tables)]
      : [target.schema === undefined ? 'NULL::pg_catalog.text' : `${quoteLiteral(target.schema)}::pg_catalog.text`, names(target.except)];
  if (heirsOf.length > 0) args.push(`ARRAY[${heirsOf.map(Number).join(', ')}]::pg_catalog.oid[]`);
  const types = [...(target.kind === 'tables' ? ['text[]'] : ['text', 'text[]']), ...(heirsOf.length > 0 ? ['oid[]'] : [])];
  const build = (values: readonly string[]) => {
    const parents = heirsOf.length === 0 ? undefined : values[types.length - 1];
    return target.kind === 'tables' ? catalogTables(values[0]!, parents) : catalogAll(values[0]!, values[1]!, parents);
  };
  return {
    name: `sqlpin_catalog_${target.kind}${heirsOf.length > 0 ? '_heirs' : ''}`,
    text: build(types.map((type, i) => `$${i + 1}::pg_catalog.${type}`)),
    args,
    plain: build(args),
  };
}

const KINDS: Readonly<Record<string, ObjectKind>> = {
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
  S: 'sequence',
};

/** A name that resolves to a table; else `TableNotFoundError`, or `NotATableError` naming what it is. */
function checkTable(table: TableName, row: CatalogRow | undefined): string {
  if (row?.oid == null) throw new TableNotFoundError(formatTableName(table));
  if (row.kind !== 'r' && row.kind !== 'p') throw new NotATableError(row.found!, KINDS[row.kind!] ?? 'other object');
  return row.oid;
}

/**
 * For every table of a schema: each excepted name must be a table that no
 * emptied table takes with it, and the schema must exist.
 */
function checkAll(
  target: Extract<TruncateTarget, { kind: 'all' }>,
  lookups: Map<string, CatalogRow>,
  named: CatalogTable[],
  tables: Map<string, CatalogTable>,
): Catalog {
  target.except.forEach((table, i) => {
    const row = lookups.get(`except:${i + 1}`);
    checkTable(table, row);
    if (row!.refused === 'partition' || row!.refused === 'inheritance') throw exceptRefused(row!.found!, row!.refused);
  });
  if (lookups.get('schema:null')?.oid == null) throw new InvalidArgumentError(`schema ${target.schema ?? '(current)'} does not exist`);
  const moved = lookups.get('moved:null');
  if (moved !== undefined)
    throw new TruncateRefusedError(
      'session setting',
      [moved.found ?? '(no schema)'],
      "the session's search_path is not the one the pool opened it with, so its current schema need not be the configured one; pass { schema }, or use resetOnRelease",
    );
  return { named, tables };
}

function exceptRefused(table: string, reason: 'partition' | 'inheritance'): TruncateRefusedError {
  const what = reason === 'partition' ? 'a partition' : 'an inheritance child';
  return new TruncateRefusedError(
    reason,
    [table],
    `it is ${what} of a table being emptied, which a raw TRUNCATE empties with it; except that table too, or none of it`,
  );
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
  return `ARRAY[${values.map(quoteLiteral).join(', ')}]::pg_catalog.text[]`;
}

/**
 * How statements name a table: a named table with its partitions and
 * inheritance children, as a raw TRUNCATE of it; a table met through a
 * foreign key alone (`ONLY`), as TRUNCATE ... CASCADE adds it. A partitioned
 * table cannot take `ONLY`, and its partitions are part of it.
 */
export function target(table: CatalogTable): string {
  return `${table.kind === 'p' || table.named ? '' : 'ONLY '}${quotePostgres(table.schema)}.${quotePostgres(table.name)}`;
}

/** The name used in errors: schema-qualified, unquoted. */
export function qualifiedName(table: CatalogTable): string {
  return `${table.schema}.${table.name}`;
}

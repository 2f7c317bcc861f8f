import type { Dialect } from '../../lib/index.js';

/**
 * A small random schema and data in a form both dialects render: tables with
 * counters and rows, foreign keys between them, triggers, rules, views, and
 * the role and session the call runs under. Indices, not names, so that
 * fast-check shrinks a schema by dropping parts of it.
 */
export type OnDelete = 'NO ACTION' | 'RESTRICT' | 'CASCADE' | 'SET NULL' | 'SET DEFAULT';
/** PostgreSQL: none, serial, identity, a sequence shared by tables, a sequence made OWNED BY; MySQL: none or AUTO_INCREMENT. */
export type Counter = 'none' | 'serial' | 'identity' | 'shared' | 'owned' | 'auto';
export type Engine = 'InnoDB' | 'MyISAM' | 'Aria' | 'MEMORY';
type TableKind = 'plain' | 'partitioned' | 'versioned';

export interface TableSpec {
  readonly kind: TableKind;
  readonly engine: Engine;
  readonly counter: Counter;
  readonly rows: number;
  /** Counter values drawn and thrown away before the rows, so a reset shows. */
  readonly burnt: number;
  /** Row security hides from the call's role none of the rows, those whose v is odd, or all of them (PostgreSQL). */
  readonly hidden: 'none' | 'some' | 'all';
  /** PostgreSQL INHERITS: the index of an earlier plain table. */
  readonly inherits: number | undefined;
  /** Drives which parent row each row references. */
  readonly seed: number;
}

export interface FkSpec {
  readonly from: number;
  readonly to: number;
  readonly onDelete: OnDelete;
  readonly deferrable: 'no' | 'immediate' | 'deferred';
}

export interface TriggerSpec {
  readonly table: number;
  readonly timing: 'BEFORE' | 'AFTER';
  readonly level: 'ROW' | 'STATEMENT';
  readonly event: 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE';
  /** A BEFORE ROW trigger that returns NULL: the row is not deleted (PostgreSQL). */
  readonly skip: boolean;
  /** Drawn on the referencing table of an FK (`table` then picks the FK): where FK actions reach it. */
  readonly onFk: boolean;
}

export interface RuleSpec {
  readonly table: number;
  readonly event: 'DELETE' | 'UPDATE';
  readonly instead: boolean;
}

export interface ViewSpec {
  readonly base: number;
  readonly materialized: boolean;
}

/** Privileges the call's role holds on each table, by table index (absent: the role is the owner/root). */
type Grants = readonly (readonly string[])[];

/** Session state set before the call on the session that makes it. */
export interface SessionSpec {
  /** MySQL sql_mode for the session. */
  readonly sqlMode: string | undefined;
  /** PostgreSQL: a schema of functions shadowing pg_catalog's put first on search_path. */
  readonly shadow: boolean;
  /** The session moves to another database/schema before the call: in the pin, or left by the previous borrower. */
  readonly move: 'none' | 'pinned' | 'previous';
  /** Table names with quotes and backslashes instead of t0, t1, …. */
  readonly oddNames: boolean;
  /** truncateAll without `schema`: the pool's configured database/schema is the one meant. */
  readonly implicit: boolean;
}

export interface Schema {
  readonly tables: readonly TableSpec[];
  readonly fks: readonly FkSpec[];
  readonly triggers: readonly TriggerSpec[];
  readonly rules: readonly RuleSpec[];
  readonly views: readonly ViewSpec[];
  readonly grants: Grants | undefined;
  readonly rls: boolean;
  readonly session: SessionSpec;
  /** MySQL: a temporary table on the calling session that shadows this table. */
  readonly shadowedByTemp: number | undefined;
}

export type Call =
  | { readonly kind: 'truncate'; readonly targets: readonly number[] }
  | { readonly kind: 'all'; readonly except: readonly number[] };

export interface Options {
  readonly cascade: boolean;
  readonly restartIdentity: boolean;
}

export interface Case {
  readonly schema: Schema;
  readonly call: Call;
  readonly options: Options;
}

/** One name of the schema as the call can give it. */
export interface Relation {
  readonly name: string;
  readonly kind: 'table' | 'partition' | 'view' | 'matview';
  /** The table it belongs to (partitions) or shows (views). */
  readonly table: number;
}

const ODD_NAMES = ["it's", 'back\\slash', 'dq"name', 'semi;colon', 'pct%_', 'q`tick', 'sp ace', 'Upper'];

export function tableName(schema: Schema, index: number): string {
  return schema.session.oddNames ? `${ODD_NAMES[index % ODD_NAMES.length]}${index}` : `t${index}`;
}

/**
 * Every name the call can give: tables, then partitions (PostgreSQL, where
 * they are tables of their own), then views.
 */
export function relations(schema: Schema, dialect: Dialect): Relation[] {
  const out: Relation[] = schema.tables.map((_, table) => ({ name: tableName(schema, table), kind: 'table', table }));
  schema.tables.forEach((spec, table) => {
    if (spec.kind !== 'partitioned' || dialect === 'mysql') return;
    for (const part of [1, 2]) out.push({ name: `${tableName(schema, table)}_p${part}`, kind: 'partition', table });
  });
  schema.views.forEach((view, index) => {
    out.push({ name: `${view.materialized ? 'mv' : 'v'}${index}`, kind: view.materialized ? 'matview' : 'view', table: view.base });
  });
  return out;
}

/** The ids a table's rows get, in insert order, with counters simulated (a shared sequence runs across tables). */
export function rowIds(schema: Schema): number[][] {
  let shared = 1;
  return schema.tables.map((spec) => {
    if (spec.inherits !== undefined) return range(spec.rows).map((i) => 1000 + i);
    if (spec.counter === 'none') return range(spec.rows).map((i) => i + 1);
    if (spec.counter === 'shared') {
      const ids = range(spec.rows).map((i) => shared + spec.burnt + i);
      shared += spec.burnt + spec.rows;
      return ids;
    }
    return range(spec.rows).map((i) => spec.burnt + i + 1);
  });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The value row `row` of an FK's child holds: a parent id, or null. */
export function refValue(schema: Schema, ids: number[][], fk: FkSpec, fkIndex: number, row: number): number | null {
  const parent = ids[fk.to] ?? [];
  const seed = schema.tables[fk.from]?.seed ?? 0;
  const pick = (seed * 31 + row * 7 + fkIndex * 13) % (parent.length + 1);
  return pick === parent.length ? null : parent[pick]!;
}

export type { Dialect };

/**
 * Counter values burnt, then the rows, table by table in order (the shared
 * sequence runs across them as `rowIds` says). `name` quotes a table's name in
 * its namespace; `burn` is the dialect's statement that inserts `count` rows.
 */
export function fillStatements(schema: Schema, name: (table: string) => string, burn: (name: string, count: number) => string): string[] {
  const ids = rowIds(schema);
  return schema.tables.flatMap((spec, table) => {
    const quoted = name(tableName(schema, table));
    const out: string[] = [];
    if (spec.counter !== 'none' && spec.burnt > 0) out.push(burn(quoted, spec.burnt), `DELETE FROM ${quoted}`);
    if (spec.rows === 0) return out;
    const fks = schema.fks.map((fk, k) => ({ fk, k })).filter(({ fk }) => fk.from === table);
    const explicit = spec.counter === 'none';
    const columns = [...(explicit ? ['id'] : []), 'v', ...fks.map(({ k }) => `f${k}`)];
    const values = ids[table]!.map((id, row) => {
      const refs = fks.map(({ fk, k }) => String(refValue(schema, ids, fk, k, row)));
      return `(${[...(explicit ? [String(id)] : []), String(row), ...refs].join(', ')})`;
    });
    out.push(`INSERT INTO ${quoted} (${columns.join(', ')}) VALUES ${values.join(', ')}`);
    return out;
  });
}

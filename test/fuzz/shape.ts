import { type Case, type Dialect, type Relation, relations, type Schema } from './model.js';

/** The names the raw statements empty: the targets, or every table and partition but the excepted ones. */
export function callSet(testCase: Case, dialect: Dialect): Relation[] {
  const all = relations(testCase.schema, dialect);
  const { call } = testCase;
  if (call.kind === 'truncate') return [...new Set(call.targets)].map((i) => all[i]!);
  // A partitioned table is one table with its partitions: excepting it keeps them too.
  const kept = new Set(call.except.filter((i) => all[i]?.kind === 'table').map((i) => all[i]!.table));
  return all.filter((r, i) => (r.kind === 'table' || (r.kind === 'partition' && !kept.has(r.table))) && !call.except.includes(i));
}

/**
 * Tables outside `listed` that reference `tables`, directly or through each
 * other. A partitioned table with only some partitions listed is outside.
 */
export function referencingClosure(schema: Schema, tables: ReadonlySet<number>, listed: ReadonlySet<number> = tables): number[] {
  const found = new Set<number>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const fk of schema.fks) {
      if (listed.has(fk.from) || found.has(fk.from)) continue;
      if (tables.has(fk.to) || found.has(fk.to)) {
        found.add(fk.from);
        grew = true;
      }
    }
  }
  return [...found].sort((a, b) => a - b);
}

/** The FK columns of a table: `f<k>` for the schema's k-th FK, when it starts at this table. */
export function fkColumns(schema: Schema, table: number): string[] {
  return schema.fks.flatMap((fk, k) => (fk.from === table ? [`f${k}`] : []));
}

/** The contract's refusal on both dialects: a view or materialized view named as a target gets an error naming its kind. */
export function viewRefusal(testCase: Case, dialect: Dialect): string | undefined {
  if (testCase.call.kind !== 'truncate') return undefined;
  const all = relations(testCase.schema, dialect);
  const view = testCase.call.targets.map((i) => all[i]!).find((r) => r.kind === 'view' || r.kind === 'matview');
  return view === undefined ? undefined : `${view.name} is a ${view.kind === 'view' ? 'view' : 'materialized view'}`;
}

/**
 * PostgreSQL's refusals the contract asks for where the raw statements would
 * succeed: a truncateAll without `schema` on a session whose search_path
 * moved ('session setting'), and an `except` naming a partition or an
 * inheritance child of a table being emptied, which the raw TRUNCATE empties
 * anyway ('partition', 'inheritance').
 */
export function postgresRefusal(testCase: Case): string | undefined {
  const view = viewRefusal(testCase, 'postgres');
  if (view !== undefined || testCase.call.kind !== 'all') return view;
  const { session, tables } = testCase.schema;
  if (session.implicit && (session.move === 'pinned' || session.shadow)) return "the session's search_path moved";
  const all = relations(testCase.schema, 'postgres');
  const excepted = testCase.call.except.map((i) => all[i]!);
  const exceptedTables = new Set(excepted.filter((r) => r.kind === 'table').map((r) => r.table));
  const partition = excepted.find((r) => r.kind === 'partition' && !exceptedTables.has(r.table));
  if (partition !== undefined) return `${partition.name} is a partition of a table being emptied`;
  const ancestors = (table: number): number[] => {
    const parent = tables[table]!.inherits;
    return parent === undefined ? [] : [parent, ...ancestors(parent)];
  };
  const child = excepted.find((r) => r.kind === 'table' && ancestors(r.table).some((a) => !exceptedTables.has(a)));
  return child === undefined ? undefined : `${child.name} is an inheritance child of a table being emptied`;
}

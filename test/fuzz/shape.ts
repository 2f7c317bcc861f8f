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

/** Tables outside `tables` that reference them, directly or through each other. */
export function referencingClosure(schema: Schema, tables: ReadonlySet<number>): number[] {
  const found = new Set<number>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const fk of schema.fks) {
      if (tables.has(fk.from) || found.has(fk.from)) continue;
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

/**
 * The statements of a PostgreSQL truncate, as a pure function of what the
 * catalog and state reads found.
 */
import type { TruncateConfig } from '../../lib/driver.js';
import { ForeignKeyTruncateError } from '../../lib/errors.js';
import {
  counterNeedsReset,
  isClean,
  methodFor,
  onCycle,
  referencingFirst,
  withReferencing,
  type AutoThresholds,
  type TableState,
} from '../../lib/truncate-plan.js';
import { qualifiedName, target, type Catalog, type CatalogTable } from './catalog.js';

/**
 * Where 'auto' stops deleting, from bench W5's threshold curve (README,
 * "Resetting between tests"; PostgreSQL 15). TRUNCATE makes new files for the
 * table and its indexes, about 1.5 to 3 ms a table here; a DELETE of 1,000 rows
 * costs about 1 ms, 2 with the sequence restart (ALTER SEQUENCE ... RESTART,
 * which is transactional where setval is not). The curve crosses later on a
 * loaded machine; the threshold is kept where DELETE wins on a quiet one too.
 */
export const POSTGRES_AUTO: AutoThresholds = { counterKept: 1_000, counterReset: 1_000 };

/**
 * The statements that empty what the call asks, given every table met (the
 * named ones and all that reference them) and its state under the lock.
 *
 * Default: a referencing table that holds rows fails the call with
 * `ForeignKeyTruncateError`; the empty ones join the TRUNCATE that needs them.
 * Cascade: every table met is emptied. Either way, clean tables are left alone;
 * a table emptied by DELETE goes after the tables that reference it.
 */
export function planStatements(catalog: Catalog, stateOf: ReadonlyMap<string, TableState>, options: TruncateConfig): string[] {
  const named = new Set(catalog.named.map((table) => table.oid));
  const tables = [...catalog.tables.values()];
  if (!options.cascade) {
    const withRows = tables.filter((table) => !named.has(table.oid) && stateOf.get(table.oid)!.hasRows);
    if (withRows.length > 0) throw new ForeignKeyTruncateError(catalog.named.map(qualifiedName), withRows.map(qualifiedName));
  }
  const emptied = (options.cascade ? tables : catalog.named).filter((table) => !isClean(stateOf.get(table.oid)!, options.restartIdentity));
  if (emptied.length === 0) return [];
  const { truncated, deleted } = split(catalog, emptied, stateOf, options);
  // Counters restart for the tables the call empties; a table included only because it is empty keeps its own.
  const restarts = (table: CatalogTable) => options.restartIdentity && (options.cascade || named.has(table.oid));
  const sql: string[] = [];
  if (truncated.length > 0) {
    const everyOneRestarts = truncated.every(restarts);
    sql.push(`TRUNCATE ${truncated.map(target).join(', ')} ${everyOneRestarts ? 'RESTART' : 'CONTINUE'} IDENTITY`);
    if (!everyOneRestarts)
      sql.push(...restartSequences(truncated.filter((table) => restarts(table) && !stateOf.get(table.oid)!.counterAtStart)));
  }
  for (const table of deleted) sql.push(`DELETE FROM ${target(table)}`);
  sql.push(...restartSequences(deleted.filter((table) => restarts(table) && counterNeedsReset(stateOf.get(table.oid)!, true))));
  return sql;
}

/**
 * Which emptied tables go in the TRUNCATE and which are deleted from. DELETE
 * must empty referencing tables first: a cycle of references has no such
 * order. Everything that references a table being truncated must be in the
 * same statement; those not emptied are empty.
 */
function split(
  catalog: Catalog,
  emptied: readonly CatalogTable[],
  stateOf: ReadonlyMap<string, TableState>,
  options: TruncateConfig,
): { truncated: CatalogTable[]; deleted: CatalogTable[] } {
  const referencedBy = (oid: string) => catalog.tables.get(oid)!.referencedBy;
  const cyclic = onCycle(
    emptied.map((table) => table.oid),
    referencedBy,
  );
  const truncating = emptied.filter(
    (table) => cyclic.has(table.oid) || methodFor(stateOf.get(table.oid)!, options, POSTGRES_AUTO) === 'truncate',
  );
  const inStatement = withReferencing(
    truncating.map((table) => table.oid),
    referencedBy,
  );
  const deleting = emptied.filter((table) => !inStatement.has(table.oid)).map((table) => table.oid);
  return {
    truncated: [...inStatement].map((oid) => catalog.tables.get(oid)!),
    deleted: referencingFirst(deleting, referencedBy).map((oid) => catalog.tables.get(oid)!),
  };
}

/** ALTER SEQUENCE ... RESTART is transactional, like TRUNCATE ... RESTART IDENTITY (setval is not). */
function restartSequences(tables: readonly CatalogTable[]): string[] {
  return tables.flatMap((table) => table.sequences).map((sequence) => `ALTER SEQUENCE ${sequence.name} RESTART`);
}

/**
 * The statements of a PostgreSQL truncate, as a pure function of what the
 * catalog and state reads found.
 */
import type { TruncateConfig } from '../../lib/driver.js';
import { ForeignKeyTruncateError, TruncateRefusedError } from '../../lib/errors.js';
import {
  counterNeedsReset,
  isClean,
  methodFor,
  onCycle,
  referencingFirst,
  withReferencing,
  type AutoThresholds,
} from '../../lib/truncate-plan.js';
import { qualifiedName, quoteLiteral, target, type Catalog, type CatalogTable } from './catalog.js';
import { unseen, type PostgresTableState } from './probe.js';

type States = ReadonlyMap<string, PostgresTableState>;

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
export function planStatements(catalog: Catalog, stateOf: States, options: TruncateConfig, counters: CounterReset): string[] {
  const named = new Set(catalog.named.map((table) => table.oid));
  const tables = [...catalog.tables.values()];
  if (!options.cascade) {
    const withRows = tables.filter((table) => !named.has(table.oid) && stateOf.get(table.oid)!.hasRows);
    if (withRows.length > 0) throw new ForeignKeyTruncateError(catalog.named.map(qualifiedName), withRows.map(qualifiedName));
  }
  // A TRUNCATE trigger fires on an empty table too: such a table is never skipped, nor is an empty referencing
  // table that has one and that the raw statement would need beside the named ones.
  const needed = tables.filter((table) => !named.has(table.oid) && table.truncateFires);
  const emptied = (options.cascade ? tables : [...catalog.named, ...needed]).filter(
    (table) => table.truncateFires || !isClean(stateOf.get(table.oid)!, options.restartIdentity),
  );
  if (emptied.length === 0) return [];
  const { truncated, deleted } = split(catalog, emptied, stateOf, options);
  // Counters restart for the tables the call empties; a table included only because it is empty keeps its own.
  const restarts = (table: CatalogTable) => options.restartIdentity && (options.cascade || named.has(table.oid));
  const sql: string[] = [];
  const reset: CatalogTable[] = [];
  if (truncated.length > 0) {
    const everyOneRestarts = truncated.every(restarts);
    sql.push(`TRUNCATE ${truncated.map(target).join(', ')} ${everyOneRestarts ? 'RESTART' : 'CONTINUE'} IDENTITY`);
    if (!everyOneRestarts) reset.push(...truncated.filter((table) => restarts(table) && !stateOf.get(table.oid)!.counterAtStart));
  }
  for (const table of deleted) sql.push(`DELETE FROM ${target(table)}`);
  reset.push(...deleted.filter((table) => restarts(table) && counterNeedsReset(stateOf.get(table.oid)!, true)));
  return [...sql, ...restartSequences(reset, counters)];
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
  stateOf: States,
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

/**
 * How counters are set back after a DELETE (or beside a TRUNCATE that keeps
 * others' counters). ALTER SEQUENCE ... RESTART is transactional, like
 * TRUNCATE ... RESTART IDENTITY, but it is DDL: it gives the sequence a new
 * file and makes every other session drop what it cached of it. setval is
 * not DDL and not transactional: it leaves the same counter only where
 * nothing after it can roll the truncate back, which the caller says.
 */
export type CounterReset = 'setval' | 'alter sequence';

/** The counter resets, last in the message: a setval then has only the COMMIT after it. */
function restartSequences(tables: readonly CatalogTable[], how: CounterReset): string[] {
  const sequences = [...new Map(tables.flatMap((table) => table.sequences).map((sequence) => [sequence.name, sequence])).values()];
  if (sequences.length === 0) return [];
  if (how === 'alter sequence') return sequences.map((sequence) => `ALTER SEQUENCE ${sequence.name} RESTART`);
  const calls = sequences.map(
    (sequence) => `pg_catalog.setval(${quoteLiteral(sequence.name)}::pg_catalog.regclass, ${sequence.start}::pg_catalog.int8, false)`,
  );
  return [`SELECT ${calls.join(', ')}`];
}

/**
 * What the catalog alone shows the raw statement would refuse, or sqlpin could
 * not decide: refused before any lock is taken or row read. The raw TRUNCATE
 * needs TRUNCATE on every table it names (with cascade, every table met) and,
 * to restart identity, to own their sequences. Without cascade, a referencing
 * table whose rows sqlpin cannot see may not be taken for empty.
 */
export function refuseBeforeLock(catalog: Catalog, options: TruncateConfig): void {
  const raw = options.cascade ? [...catalog.tables.values()] : catalog.named;
  const forbidden = raw.filter((table) => !table.canTruncate);
  if (forbidden.length > 0)
    throw new TruncateRefusedError(
      'privilege',
      forbidden.map(qualifiedName),
      'the role may not TRUNCATE them, so a raw TRUNCATE fails (42501)',
    );
  const notOwned = options.restartIdentity ? raw.filter((table) => table.sequences.some((sequence) => !sequence.owned)) : [];
  if (notOwned.length > 0)
    throw new TruncateRefusedError(
      'privilege',
      notOwned.map(qualifiedName),
      'RESTART IDENTITY needs to own their sequences, which the role does not (a raw TRUNCATE fails with 42501); restartIdentity: false keeps the counters',
    );
  if (options.cascade) return;
  const named = new Set(catalog.named);
  for (const reason of ['row security', 'privilege'] as const) {
    const hidden = [...catalog.tables.values()].filter((table) => !named.has(table) && unseen(table) === reason);
    if (hidden.length > 0)
      throw new TruncateRefusedError(
        reason,
        hidden.map(qualifiedName),
        `they reference ${catalog.named.map(qualifiedName).join(', ')} and the role cannot see whether they hold rows, so they cannot be taken for empty; cascade: true empties them too`,
      );
  }
}

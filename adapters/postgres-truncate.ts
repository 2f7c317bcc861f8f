import type { TruncateConfig, TruncateTarget } from '../lib/driver.js';
import { ForeignKeyTruncateError } from '../lib/errors.js';
import { lockWithin, type BlockerSource } from './postgres-blockers.js';
import { qualifiedName, readCatalog, readStates, target, type CatalogSession, type CatalogTable } from './postgres-catalog.js';
import {
  counterNeedsReset,
  isClean,
  methodFor,
  onCycle,
  referencingFirst,
  rowProbeLimit,
  withReferencing,
  type AutoThresholds,
  type TableState,
} from '../lib/truncate-plan.js';

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
 * PostgreSQL truncate in three round trips: BEGIN with the catalog, LOCK with
 * the states, the statements with COMMIT. Where `begins` is false the caller
 * has opened a transaction (or savepoint) and closes it; where it is true no
 * transaction is open and this opens and commits its own. Either way the core
 * rolls back on a throw, so a throw here changes nothing.
 *
 * Default: the named tables, plus the referencing tables they need in the same
 * statement, which must hold no rows — checked under an ACCESS EXCLUSIVE lock,
 * so rows committed while we waited are seen. Any referencing table with rows
 * fails the call with `ForeignKeyTruncateError`.
 * Cascade: every referencing table is emptied too.
 * Either way, tables that are already clean are left alone, and the statements
 * go in one simple-query message.
 */
export async function truncatePostgres(
  session: CatalogSession & BlockerSource,
  what: TruncateTarget,
  options: TruncateConfig,
  quote: (part: string) => string,
  begins: boolean,
): Promise<void> {
  const catalog = await readCatalog(session, what, quote, begins ? 'BEGIN;\n' : '');
  const named = new Set(catalog.named.map((table) => table.oid));
  // Locked before anything is read, in one order for every caller: reading first
  // and upgrading to the TRUNCATE's lock later would deadlock two concurrent truncates.
  const everything = [...catalog.tables.values()].sort((a, b) => Number(a.oid) - Number(b.oid));
  if (everything.length === 0) return;
  // Lock, then read the tables' states, in one round trip.
  const lock = `LOCK TABLE ${list(everything, quote)} IN ACCESS EXCLUSIVE MODE`;
  let states: TableState[] = [];
  await lockWithin(
    session,
    options.lockTimeoutMillis,
    everything.map((table) => table.oid),
    async () => {
      states = await readStates(session, everything, quote, rowProbeLimit(options.strategy, POSTGRES_AUTO), lock);
    },
  );
  const stateOf = new Map(everything.map((table, i) => [table.oid, states[i]!]));

  if (!options.cascade) {
    const withRows = everything.filter((table) => !named.has(table.oid) && stateOf.get(table.oid)!.hasRows);
    if (withRows.length > 0) throw new ForeignKeyTruncateError(catalog.named.map(qualifiedName), withRows.map(qualifiedName));
  }
  // Cascade empties every table met; otherwise only the named ones (the others are empty).
  const emptied = (options.cascade ? everything : catalog.named).filter(
    (table) => !isClean(stateOf.get(table.oid)!, options.restartIdentity),
  );
  if (emptied.length === 0) return;

  const referencedBy = (oid: string) => catalog.tables.get(oid)!.referencedBy;
  // DELETE must empty referencing tables first: a cycle of references has no such order.
  const cyclic = onCycle(
    emptied.map((table) => table.oid),
    referencedBy,
  );
  const truncating = emptied.filter(
    (table) => cyclic.has(table.oid) || methodFor(stateOf.get(table.oid)!, options, POSTGRES_AUTO) === 'truncate',
  );
  // Everything that references a table being truncated must be in the same statement; those not emptied are empty.
  const statement = [
    ...withReferencing(
      truncating.map((table) => table.oid),
      referencedBy,
    ),
  ].map((oid) => catalog.tables.get(oid)!);
  const inStatement = new Set(statement.map((table) => table.oid));
  const deleting = referencingFirst(
    emptied.filter((table) => !inStatement.has(table.oid)).map((table) => table.oid),
    referencedBy,
  ).map((oid) => catalog.tables.get(oid)!);

  // Counters restart for the tables the call empties; a table included only because it is empty keeps its own.
  const restarts = (table: CatalogTable) => options.restartIdentity && (options.cascade || named.has(table.oid));
  const sql: string[] = [];
  if (statement.length > 0) {
    const everyOneRestarts = statement.every(restarts);
    sql.push(`TRUNCATE ${list(statement, quote)} ${everyOneRestarts ? 'RESTART' : 'CONTINUE'} IDENTITY`);
    if (!everyOneRestarts)
      sql.push(...restartSequences(statement.filter((table) => restarts(table) && !stateOf.get(table.oid)!.counterAtStart)));
  }
  for (const table of deleting) sql.push(`DELETE FROM ${target(table, quote)}`);
  sql.push(...restartSequences(deleting.filter((table) => restarts(table) && counterNeedsReset(stateOf.get(table.oid)!, true))));
  // One simple-query message: sqlpin's own text, no parameters. Where this call
  // began the transaction it commits it too; a failing statement skips the COMMIT.
  if (begins) sql.push('COMMIT');
  await session.query(sql.join(';\n'));
}

/** ALTER SEQUENCE ... RESTART is transactional, like TRUNCATE ... RESTART IDENTITY (setval is not). */
function restartSequences(tables: readonly CatalogTable[]): string[] {
  return tables.flatMap((table) => table.sequences).map((sequence) => `ALTER SEQUENCE ${sequence.name} RESTART`);
}

function list(tables: readonly CatalogTable[], quote: (part: string) => string): string {
  return tables.map((table) => target(table, quote)).join(', ');
}

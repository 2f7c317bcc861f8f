import { TruncateRefusedError } from '../../lib/errors.js';
import { formatTableName } from '../../lib/identifiers.js';
import type { Session, TruncateConfig } from '../../lib/driver.js';
import { isClean, mayDelete, rowProbeLimit, type AutoThresholds, type TableState } from '../../lib/truncate-plan.js';
import { keyOf, literal, refuseVersioned, VERSIONED, type Candidate, type CatalogTable } from './catalog.js';
import { quoteMysql } from './names.js';
import type { Unprivileged } from './refusals.js';

/**
 * Where 'auto' stops deleting, from bench W5's threshold curve (README,
 * "Resetting between tests"; MariaDB 10.11). A DELETE that leaves the counter
 * alone beats TRUNCATE's new tablespace up to a few hundred rows (0.6 against
 * 1.1 ms a table at 300 rows, 1.6 against 1.3 at 1,000). Setting a moved
 * counter back (ALTER TABLE ... AUTO_INCREMENT = 1) is DDL that costs more
 * than the TRUNCATE itself (2 to 6 ms a table), so then TRUNCATE is never slower.
 */
export const MYSQL_AUTO: AutoThresholds = { counterKept: 300, counterReset: -1 };

/** A table to empty, with what the state look-up said of it. */
export interface Dirty extends CatalogTable {
  readonly state: TableState;
}

/** A counter is where TRUNCATE puts it: 1, or the table has none. */
const atStart = (counter: number | null) => (counter ?? 1) <= 1;

/**
 * The tables that need emptying, with their state: a table with no rows whose
 * counter is already where TRUNCATE would put it (1, or no counter) is left
 * alone, since emptying it would change nothing. One round trip asks only what
 * is unknown: rows of the tables that could be clean, counters not read yet
 * (cascaded tables), and, for 'auto', whether a table where a DELETE may be
 * chosen holds more rows than its threshold.
 */
export async function dirtyTables(
  session: Session,
  tables: readonly Candidate[],
  options: TruncateConfig,
  { truncateOnly, noAlter }: Unprivileged,
): Promise<Dirty[]> {
  const columns = tables.flatMap((table, i) => stateColumns(table, i, options, truncateOnly.has(keyOf(table))));
  const answer = columns.length === 0 ? {} : (await session.query<Record<string, unknown>>(`SELECT ${columns.join(', ')}`)).rows[0]!;
  const read = tables.map((table, i) => (table.autoIncrement === undefined ? { ...table, ...catalogFacts(answer[`a${i}`]) } : table));
  // Cascaded tables are known only now: one that is system-versioned is refused, clean or not, as the raw TRUNCATE would be.
  refuseVersioned(read);
  const dirty = read.flatMap((table, i) => {
    const autoIncrement = table.autoIncrement ?? null;
    const rows = rowsSeen(answer[`r${i}`], answer[`m${i}`], rowProbeLimit(options.strategy, MYSQL_AUTO));
    // Else not known yet: DELETE triggers are read for the tables a DELETE is chosen for.
    const mustTruncate = truncateOnly.has(keyOf(table));
    const state: TableState = { hasRows: rows > 0, rows, counterAtStart: atStart(autoIncrement), mustTruncate };
    return isClean(state, options.restartIdentity) ? [] : [{ schema: table.schema, name: table.name, autoIncrement, state }];
  });
  if (!options.restartIdentity) refuseCounterKept(dirty, noAlter);
  return dirty;
}

/** `restartIdentity: false` puts a moved counter back with ALTER TABLE after the TRUNCATE: refused up front where ALTER is missing. */
function refuseCounterKept(tables: readonly Dirty[], noAlter: ReadonlySet<string>): void {
  const stuck = tables.filter((table) => !atStart(table.autoIncrement) && noAlter.has(keyOf(table)));
  if (stuck.length === 0) return;
  throw new TruncateRefusedError(
    'privilege',
    stuck.map(formatTableName).sort(),
    'restartIdentity: false puts each counter back with ALTER TABLE, which needs the ALTER privilege the current user lacks on these',
  );
}

/**
 * The columns the state read asks of table number `i`: its counter (if
 * unknown), and its rows where they matter and may be read (`unread`: not,
 * so it counts as holding rows).
 */
function stateColumns(table: Candidate, i: number, options: TruncateConfig, unread: boolean): string[] {
  const target = `${quoteMysql(table.schema)}.${quoteMysql(table.name)}`;
  const columns: string[] = [];
  if (table.autoIncrement === undefined) {
    // Equality on both columns lets MariaDB open just this table; BINARY makes the match exact.
    const [schema, name] = [literal(table.schema), literal(table.name)];
    columns.push(`(SELECT CONCAT(TABLE_TYPE, '/', COALESCE(AUTO_INCREMENT, '')) FROM information_schema.TABLES
                    WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ${name} AND BINARY TABLE_SCHEMA = ${schema} AND BINARY TABLE_NAME = ${name}) AS a${i}`);
  }
  const known = table.autoIncrement === undefined ? undefined : atStart(table.autoIncrement);
  if (unread) return columns;
  if (rowProbeLimit(options.strategy, MYSQL_AUTO) > 1 && mayDelete(known, options, MYSQL_AUTO)) {
    // More rows than the threshold exactly when the row after it exists: no derived table to materialise per table.
    columns.push(
      `EXISTS (SELECT 1 FROM ${target}) AS r${i}`,
      `(SELECT 1 FROM ${target} LIMIT 1 OFFSET ${threshold(known, options)}) IS NOT NULL AS m${i}`,
    );
  } else if (known === undefined || isClean({ hasRows: false, counterAtStart: known }, options.restartIdentity)) {
    columns.push(`EXISTS (SELECT 1 FROM ${target}) AS r${i}`);
  }
  return columns;
}

/** A cascaded table's kind and counter, read as `TABLE_TYPE/AUTO_INCREMENT` (a type holds no slash). */
function catalogFacts(value: unknown): { autoIncrement: number | null; versioned: boolean } {
  const text = String(value ?? '/');
  const slash = text.lastIndexOf('/');
  const counter = text.slice(slash + 1);
  return { autoIncrement: counter === '' ? null : Number(counter), versioned: text.slice(0, slash) === VERSIONED };
}

/** The threshold 'auto' will apply to a table: known once its counter is (`atStart`), else the larger one. */
function threshold(counterAtStart: boolean | undefined, options: TruncateConfig): number {
  if (counterAtStart === undefined) return rowProbeLimit(options.strategy, MYSQL_AUTO) - 1;
  return options.restartIdentity && !counterAtStart ? MYSQL_AUTO.counterReset : MYSQL_AUTO.counterKept;
}

/**
 * Rows as the state read saw them. Not asked: the counter alone says the table
 * needs emptying, and it will be truncated (counted as the limit). Asked: none,
 * some (at most the threshold: 1 stands for them), or more than the threshold.
 */
function rowsSeen(any: unknown, more: unknown, limit: number): number {
  if (any === undefined) return limit;
  if (Number(any) === 0) return 0;
  return Number(more ?? 0) === 1 ? limit : 1;
}

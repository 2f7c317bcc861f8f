import type { Session } from '../../lib/driver.js';
import type { TableState } from '../../lib/truncate-plan.js';
import { target, type CatalogTable } from './catalog.js';

/**
 * A table's state, and why its rows could not be read where they could not:
 * row-level security shows the role only some of them, or it may not SELECT.
 * Such a table counts as holding rows, and is emptied only by TRUNCATE.
 */
export interface PostgresTableState extends TableState {
  readonly unseen: 'row security' | 'privilege' | undefined;
  /** The transaction is READ COMMITTED. */
  readonly readCommitted: boolean;
}

/** Why sqlpin cannot count a table's rows, if it cannot. */
export function unseen(table: CatalogTable): PostgresTableState['unseen'] {
  if (table.rowSecurity) return 'row security';
  return table.canSelect ? undefined : 'privilege';
}

/** The state columns of one table, numbered `i`; its counters only where they will be restarted (`readCounters`). */
function stateColumns(table: CatalogTable, i: number, rowLimit: number, readCounters: boolean): string[] {
  const heaps = table.members.map((oid) => `pg_catalog.pg_relation_size(${Number(oid)}::pg_catalog.oid) > 0`).join(' OR ');
  const stale = `(pg_catalog.current_setting('transaction_isolation') <> 'read committed' AND (${heaps}))`;
  // A counter the role may not read is taken as moved: a restart is then never skipped.
  const atStart = (readCounters ? table.sequences : []).map((s) =>
    s.readable ? `(SELECT NOT is_called AND last_value = ${s.start}::pg_catalog.int8 FROM ${s.name})` : 'false',
  );
  let rows: string;
  if (unseen(table) !== undefined) rows = `${rowLimit}`;
  else if (rowLimit === 1) rows = `(EXISTS (SELECT FROM ${target(table)}))::pg_catalog.int4`;
  else rows = `(SELECT pg_catalog.count(*) FROM (SELECT FROM ${target(table)} LIMIT ${rowLimit}) AS probe)::pg_catalog.int4`;
  return [`${rows} AS "r${i}"`, `${stale} AS "s${i}"`, `(${atStart.join(' AND ') || 'true'}) AS "c${i}"`];
}

/**
 * One round trip for the state of every table: rows (counted up to
 * `rowLimit`), and whether each owned sequence is where RESTART would put it
 * (not read with `restartIdentity: false`, where no counter moves and the
 * state of one decides nothing: each sequence read opens a relation).
 * Where the transaction's snapshot may be older than the lock (REPEATABLE READ,
 * SERIALIZABLE) rows committed while we waited are invisible, so there a table
 * whose heap is not empty counts as holding rows (refusing or emptying it is
 * safe, losing rows is not), and only TRUNCATE is used: a DELETE would leave
 * the rows it cannot see. So does a table whose rows the role cannot see.
 *
 * `first` (the LOCK) goes in the same simple-query message, ahead of the read:
 * one round trip for both, and the read still comes after the lock, since each
 * statement of a message takes a snapshot of its own (READ COMMITTED). The text
 * is not prepared: TRUNCATE invalidates every plan that names the tables, so a
 * prepared read was planned again on every call anyway.
 */
export async function readStates(
  session: Session,
  tables: readonly CatalogTable[],
  { rowLimit, readCounters }: { rowLimit: number; readCounters: boolean },
  first: string,
): Promise<PostgresTableState[]> {
  const columns = tables.flatMap((table, i) => stateColumns(table, i, rowLimit, readCounters));
  columns.push(`pg_catalog.current_setting('transaction_isolation') <> 'read committed' AS "snapshot"`);
  // sqlpin's own text, no parameters: several statements may share one message.
  const { rows } = await session.query<Record<string, boolean | number>>(`${first};\nSELECT ${columns.join(', ')}`);
  const answer = rows[0]!;
  return tables.map((table, i) => {
    const counted = Number(answer[`r${i}`]);
    const hidden = unseen(table);
    return {
      hasRows: counted > 0 || answer[`s${i}`] === true,
      rows: counted,
      counterAtStart: answer[`c${i}`] === true,
      mustTruncate: table.mustTruncate || hidden !== undefined || answer.snapshot === true,
      unseen: hidden,
      readCommitted: answer.snapshot !== true,
    };
  });
}

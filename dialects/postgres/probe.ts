import type { Session } from '../../lib/driver.js';
import type { TableState } from '../../lib/truncate-plan.js';
import { target, type CatalogTable } from './catalog.js';

/**
 * One round trip for the state of every table: rows (counted up to
 * `rowLimit`), and whether each owned sequence is where RESTART would put it.
 * Where the transaction's snapshot may be older than the lock (REPEATABLE READ,
 * SERIALIZABLE) rows committed while we waited are invisible, so there a table
 * whose heap is not empty counts as holding rows (refusing or emptying it is
 * safe, losing rows is not), and only TRUNCATE is used: a DELETE would leave
 * the rows it cannot see.
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
  rowLimit: number,
  first: string,
): Promise<TableState[]> {
  const columns = tables.flatMap((table, i) => {
    const stale = `(current_setting('transaction_isolation') <> 'read committed' AND pg_relation_size(${table.oid}::oid) > 0)`;
    const atStart = table.sequences.map((s) => `(SELECT NOT is_called AND last_value = ${s.start}::int8 FROM ${s.name})`);
    const rows =
      rowLimit === 1
        ? `(EXISTS (SELECT 1 FROM ${target(table)}))::int`
        : `(SELECT count(*) FROM (SELECT FROM ${target(table)} LIMIT ${rowLimit}) AS probe)::int`;
    return [`${rows} AS "r${i}"`, `${stale} AS "s${i}"`, `(${atStart.join(' AND ') || 'true'}) AS "c${i}"`];
  });
  columns.push(`current_setting('transaction_isolation') <> 'read committed' AS "snapshot"`);
  // sqlpin's own text, no parameters: several statements may share one message.
  const { rows } = await session.query<Record<string, boolean | number>>(`${first};\nSELECT ${columns.join(', ')}`);
  const answer = rows[0]!;
  return tables.map((table, i) => {
    const counted = Number(answer[`r${i}`]);
    return {
      hasRows: counted > 0 || answer[`s${i}`] === true,
      rows: counted,
      counterAtStart: answer[`c${i}`] === true,
      mustTruncate: table.mustTruncate || answer.snapshot === true,
    };
  });
}

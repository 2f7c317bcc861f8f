import type { Test } from 'tap';
import type { Dialect, Pool } from '../../lib/index.js';
import { TableHolder } from './gates.js';
import { outcomeLabel, outcomeUnknown, settle, tally, type Settled } from './outcomes.js';
import { PAIR_ROWS, createPair, pairCounts } from './pair-tables.js';
import { watchProcess, type ProcessWatch } from './process-watch.js';
import { labelledUrl } from './server-view.js';
import { createScratch, type Scratch } from './servers.js';

/**
 * Where a failed-truncate suite plays: a scratch namespace `name` with p, c and
 * bystander, a session that holds their locks, a watch for crashes, and the
 * URL whose sessions the suite can find on the server.
 */
export async function pairScene(t: Test, dialect: Dialect, name: string) {
  const scratch = await createScratch(dialect, name);
  t.teardown(() => scratch.drop());
  await createPair(scratch);
  const holder = await TableHolder.open(scratch);
  t.teardown(() => holder.close());
  return { scratch, holder, watch: watchProcess(t), url: labelledUrl(scratch) };
}

/**
 * What another session holds while a truncate of p and c waits. A plain read
 * in an open transaction blocks TRUNCATE on its metadata lock (MySQL) or
 * ACCESS SHARE (PostgreSQL): on p before anything is emptied, on c after
 * MySQL has emptied p. A row of c locked FOR UPDATE makes MariaDB's TRUNCATE
 * of p wait inside InnoDB, where a KILL QUERY does not stop it (issue case 4).
 */
export const HOLDS = [
  { table: 'p', forUpdate: false, label: 'a read of p' },
  { table: 'c', forUpdate: false, label: 'a read of c' },
  { table: 'p', forUpdate: true, label: 'SELECT … FOR UPDATE on p' },
  { table: 'c', forUpdate: true, label: 'SELECT … FOR UPDATE on c' },
] as const;

/** What one try leaves for the summary comment. */
export interface TryRecord {
  readonly outcome: string;
  /** Tables whose rows changed, comma-separated; empty when none did. */
  readonly changed: string;
}

/**
 * After a truncate that was struck: if it rejected, p, c and bystander hold
 * what they held (unless the error says the outcome is unknown); if it
 * resolved (a cancel that came too late to matter), it emptied `emptied` and
 * nothing else. Either way no rejection escaped and the pool serves a plain
 * query. `bystanderEmptied`: another caller emptied bystander meanwhile.
 */
export async function leftAsItWas(
  t: Test,
  scratch: Scratch,
  db: Pool,
  watch: ProcessWatch,
  what: string,
  outcome: Settled<unknown>,
  { bystanderEmptied = false, emptied = ['p', 'c'] as readonly string[] } = {},
): Promise<TryRecord> {
  const after = await settle(db.query('SELECT 1 AS one'));
  t.same(outcomeLabel(after), 'ok', `${what}: the pool serves a plain query`);
  const counts = await pairCounts(scratch);
  const before: Record<string, number> = { ...PAIR_ROWS, ...(bystanderEmptied ? { bystander: 0 } : {}) };
  const changed = Object.keys(before).filter((table) => counts[table] !== before[table]);
  if (outcome.ok) {
    const expected = Object.fromEntries(Object.entries(before).map(([table, rows]) => [table, emptied.includes(table) ? 0 : rows]));
    t.same(counts, expected, `${what}: it resolved, and emptied ${emptied.join(', ')} and nothing else`);
  } else if (!outcomeUnknown(outcome.error)) {
    t.same(counts, before, `${what}: it rejected, and every table holds what it held`);
  }
  watch.check(t, what);
  return { outcome: outcomeLabel(outcome), changed: changed.join(',') };
}

export function summarise(t: Test, records: readonly TryRecord[]): void {
  t.comment(
    `outcomes: ${JSON.stringify(tally(records.map((r) => r.outcome)))}; ` +
      `tables changed: ${JSON.stringify(tally(records.map((r) => r.changed || 'none')))}`,
  );
}

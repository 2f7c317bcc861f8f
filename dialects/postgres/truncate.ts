import type { TruncateConfig, TruncateFrame, TruncateTarget } from '../../lib/driver.js';
import { rowProbeLimit } from '../../lib/truncate-plan.js';
import { lockWithin } from './blockers.js';
import { readCatalog, target } from './catalog.js';
import type { PostgresSession } from './session.js';
import { planStatements, POSTGRES_AUTO, refuseBeforeLock } from './plan.js';
import type { TransactionOwner } from './prepared.js';
import { readStates, type PostgresTableState } from './probe.js';

/**
 * PostgreSQL truncate in three round trips: the catalog (after the frame's
 * opening; two when a named table has partitions or inheritance children),
 * LOCK with the states, the statements (before the frame's closing). What the
 * catalog shows the raw statement would refuse is refused before the lock.
 * The core's frame makes it a transaction of its own, or the core has opened a
 * savepoint around it; either way a throw here changes nothing.
 *
 * Every table met is locked ACCESS EXCLUSIVE before its state is read, so rows
 * committed while we waited are seen. The statements go in one simple-query
 * message: sqlpin's own text, no parameters; a failing statement skips the rest.
 */
export async function truncatePostgres(
  session: PostgresSession,
  what: TruncateTarget,
  options: TruncateConfig,
  frame: TruncateFrame,
): Promise<void> {
  // The frame opens a transaction of sqlpin's own, or there is none and the call is in the caller's.
  const transaction: TransactionOwner = frame.opening === '' ? 'caller' : 'sqlpin';
  const catalog = await readCatalog(session, what, frame.opening, transaction);
  refuseBeforeLock(catalog, options);
  // Locked before anything is read, in one order for every caller: reading first
  // and upgrading to the TRUNCATE's lock later would deadlock two concurrent truncates.
  const everything = [...catalog.tables.values()].sort((a, b) => Number(a.oid) - Number(b.oid));
  if (everything.length === 0) return;
  const lock = `LOCK TABLE ${everything.map(target).join(', ')} IN ACCESS EXCLUSIVE MODE`;
  let states: PostgresTableState[] = [];
  await lockWithin(
    session,
    options.lockTimeoutMillis,
    everything.map((table) => table.oid),
    async () => {
      const probe = { rowLimit: rowProbeLimit(options.strategy, POSTGRES_AUTO), readCounters: options.restartIdentity };
      states = await readStates(session, everything, probe, lock);
    },
  );
  // setval leaves what ALTER SEQUENCE does where nothing can roll the truncate back after it: in a
  // transaction of our own, under READ COMMITTED (where COMMIT cannot fail on a serialization conflict).
  const counters = transaction === 'sqlpin' && states.every((state) => state.readCommitted) ? 'setval' : 'alter sequence';
  const sql = planStatements(catalog, new Map(everything.map((table, i) => [table.oid, states[i]!])), options, counters);
  if (sql.length > 0) await session.query(sql.join(';\n') + frame.closing);
}

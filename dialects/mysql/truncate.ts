import type { TruncateConfig, TruncateFrame, TruncateTarget } from '../../lib/driver.js';
import { methodFor } from '../../lib/truncate-plan.js';
import { addReferencing, deleteTriggered, keyOf, resolve, type Resolution } from './catalog.js';
import type { MysqlSession } from './session.js';
import { runTruncate } from './execute.js';
import { deleteProbe, emptyStatements, qualified, turnLocks, type Envelope } from './plan.js';
import { dirtyTables, MYSQL_AUTO, type Dirty } from './probe.js';
import { refuseReadOnlyMysql } from './read-only.js';
import { refuseInexact } from './refusals.js';

/**
 * MySQL truncate on one pinned session, outside any transaction (the core
 * refuses it inside one: TRUNCATE commits implicitly, so `frame` is empty).
 *
 * FOREIGN_KEY_CHECKS is per session: it is saved, turned off, and restored on
 * this same session, so no other session ever sees it off and this one goes
 * back to the pool as it came. If the restore fails, the session is condemned
 * and the pool destroys it. Tables already clean are left alone.
 */
export async function truncateMysql(
  session: MysqlSession,
  what: TruncateTarget,
  options: TruncateConfig,
  _frame: TruncateFrame,
): Promise<void> {
  // Read-only steps: nothing is changed before they all succeed, so a deadlock among them is retried.
  const { resolution, emptied } = await session.retryReads(() => readTables(session, what, options));
  // Refused on a read-only server even when every table is clean: the call was aimed at the wrong server.
  if (resolution.readOnly && resolution.first !== undefined) await refuseReadOnlyMysql(session, qualified(resolution.first));
  if (emptied.length === 0) return;
  const statements = emptied.flatMap((table) => emptyStatements(table, options));
  const galera = session.connection.galera === true;
  const envelope: Envelope = { checks: resolution.checks, locks: turnLocks(emptied, galera) };
  const probes = emptied.flatMap((table) => deleteProbe(table, options));
  const emptying = { statements, probes, compound: session.connection.mariadb && !resolution.oracleMode, tableLocks: !galera };
  return runTruncate(session, envelope, emptying, {
    lockTimeoutMillis: options.lockTimeoutMillis,
    lockWait: resolution.lockWait,
    tables: emptied,
  });
}

/** Resolves the call's tables and reads their state: what to empty, and what the session's settings were. */
async function readTables(
  session: MysqlSession,
  what: TruncateTarget,
  options: TruncateConfig,
): Promise<{ resolution: Resolution; emptied: Dirty[] }> {
  const resolution = await resolve(session, what);
  const candidates = options.cascade ? await addReferencing(session, resolution.named, resolution.grants) : resolution.named;
  const unprivileged = await refuseInexact(session, resolution, candidates, options);
  const dirty = await dirtyTables(session, candidates, options, unprivileged);
  return { resolution, emptied: await withTriggers(session, dirty, options) };
}

/**
 * Marks the tables with DELETE triggers among those a DELETE was chosen for,
 * so that they are truncated instead.
 */
async function withTriggers(session: MysqlSession, tables: Dirty[], options: TruncateConfig): Promise<Dirty[]> {
  const deleting = tables.filter((table) => methodFor(table.state, options, MYSQL_AUTO) === 'delete');
  if (deleting.length === 0) return tables;
  const triggered = await deleteTriggered(session, deleting);
  return tables.map((table) => (triggered.has(keyOf(table)) ? { ...table, state: { ...table.state, mustTruncate: true } } : table));
}

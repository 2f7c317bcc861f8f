import type { Session } from '../../lib/driver.js';
import { QueryCancelledError } from '../../lib/errors.js';
import { withOutcome } from '../../lib/transaction.js';
import { ER_QUERY_INTERRUPTED, lockTables, lockWaitSeconds, takeTurns, type LockBound } from './blockers.js';
import { releaseLocks, restoreSettings, type Envelope } from './plan.js';

/** The statements that empty the tables, and whether the server runs them as one compound statement (MariaDB). */
export interface Emptying {
  readonly statements: readonly string[];
  /** Statements that change nothing and fail, before anything is emptied, where the server refuses a DELETE under LOCK TABLES (see `deleteProbe`). */
  readonly probes: readonly string[];
  readonly compound: boolean;
  /**
   * Whether the tables are locked first. Not on Galera: LOCK TABLES is not
   * replicated, and a node whose session holds them while its TRUNCATE waits
   * for its turn in total order cannot apply another node's TRUNCATE of the
   * same table: both wait for ever.
   */
  readonly tableLocks: boolean;
}

/** ER_TABLE_NOT_LOCKED: a statement under LOCK TABLES needs a table the locks do not cover. */
const ER_TABLE_NOT_LOCKED = 1100;

/** A step that can no longer wait on another session: it is finished, not cut (see `runTruncate`). */
const UNCUT = { timeoutMillis: 0, finish: true } as const;

/**
 * Empties the tables in two stages. First every table is write-locked (the
 * turn lock of each database, then LOCK TABLES of all targets at once): a
 * wait behind another session happens only here, and a fault here (timeout,
 * abort, KILL, a cut link) leaves every table as it was, since no emptying
 * statement has been sent. Then the emptying statements run under those
 * locks, where nothing can make them wait: they are not cut by a timeout or
 * the call's signal, so a call that times out has emptied nothing. Only a
 * fault from outside in that second stage (KILL, a cut link) can leave some
 * tables emptied and others not: its error then says `outcome: 'unknown'`.
 * A user without the LOCK TABLES privilege (the raw statements need none)
 * gets the statements alone, where any fault says `outcome: 'unknown'`.
 */
export async function runTruncate(session: Session, envelope: Envelope, emptying: Emptying, lock: LockBound): Promise<void> {
  const progress: Progress = { emptying: false, restored: false, locked: false };
  let failure: unknown;
  try {
    await lockAndEmpty(session, envelope, emptying, lock, progress);
  } catch (error) {
    failure = error;
  }
  await restore(session, envelope, lock.lockTimeoutMillis === 0 ? undefined : lock.lockWait, progress);
  // Every table was emptied: a restore that failed condemned the session, whose state goes with it.
  if (failure === undefined) return;
  if (!session.isReusable()) await endThread(session);
  throw settled(failure, progress.emptying);
}

/**
 * How far a truncate went: emptying statements sent; settings put back and
 * turn locks freed already; LOCK TABLES sent and not undone (a cut one may
 * have been granted all the same).
 */
interface Progress {
  emptying: boolean;
  restored: boolean;
  locked: boolean;
}

/**
 * What the caller hears: the error, typed where it is the server's own cancel
 * (KILL QUERY from another session), saying that the outcome is unknown once
 * emptying statements were sent.
 */
function settled(error: unknown, emptying: boolean): unknown {
  const outcome = emptying ? 'unknown' : undefined;
  if ((error as { errno?: unknown } | null)?.errno === ER_QUERY_INTERRUPTED) return new QueryCancelledError(error, outcome);
  return outcome === undefined ? error : withOutcome(error, outcome);
}

async function lockAndEmpty(session: Session, envelope: Envelope, emptying: Emptying, lock: LockBound, progress: Progress): Promise<void> {
  const bounded = lock.lockTimeoutMillis > 0;
  // On MariaDB the checks go off inside the compound statement below: a round trip fewer.
  const settings = [
    ...(emptying.compound ? [] : ['FOREIGN_KEY_CHECKS = 0']),
    ...(bounded ? [`lock_wait_timeout = ${lockWaitSeconds(lock.lockTimeoutMillis)}`] : []),
  ];
  if (settings.length > 0) await session.query(`SET ${settings.join(', ')}`);
  const deadline = bounded ? Date.now() + lock.lockTimeoutMillis : undefined;
  await takeTurns(session, envelope.locks, lock, deadline);
  progress.locked = emptying.tableLocks;
  progress.locked &&= await lockTables(session, lock, deadline);
  progress.emptying = true;
  if (progress.locked && emptying.compound) {
    const compound = emptyingCompound(envelope, [...emptying.probes, ...emptying.statements], bounded ? lock.lockWait : undefined);
    progress.locked = await underLocks(session, () => session.query(compound, undefined, UNCUT));
    if (progress.locked) {
      progress.restored = true;
      return;
    }
  } else if (progress.locked && emptying.probes.length > 0) {
    progress.locked = await underLocks(session, async () => {
      for (const probe of emptying.probes) await session.query(probe, undefined, UNCUT);
    });
  }
  if (emptying.compound) await session.query('SET FOREIGN_KEY_CHECKS = 0');
  // Without the locks (on Galera, without the LOCK TABLES privilege, or a DELETE the server refuses under them) each
  // statement may wait, and is bounded and cut as any other.
  for (const statement of emptying.statements) await session.query(statement, undefined, progress.locked ? UNCUT : undefined);
}

/**
 * Runs `step` under the table locks. When the server refuses a DELETE under
 * them (a probe, before anything was emptied), the locks are let go and the
 * call goes on as without the LOCK TABLES privilege: false.
 */
async function underLocks(session: Session, step: () => Promise<unknown>): Promise<boolean> {
  try {
    await step();
    return true;
  } catch (error) {
    if ((error as { errno?: unknown } | null)?.errno !== ER_TABLE_NOT_LOCKED) throw error;
    await session.query('UNLOCK TABLES', undefined, UNCUT);
    return false;
  }
}

/**
 * MariaDB: checks off, every emptying statement, the settings put back and the
 * turn locks freed, in one compound statement (MySQL has none outside stored
 * programs). Should it fail part-way, `restore` does it all again.
 */
function emptyingCompound(envelope: Envelope, statements: readonly string[], lockWait: number | undefined): string {
  const release = releaseLocks(envelope);
  const after = [restoreSettings(envelope, lockWait), ...(release === undefined ? [] : [release])];
  return `BEGIN NOT ATOMIC SET FOREIGN_KEY_CHECKS = 0; ${[...statements, ...after].join('; ')}; END`;
}

/** Restoring the session is not cut by the call's signal: it must run once the call has changed anything. */
const FINISH = { finish: true } as const;

/**
 * Unlocks the tables where they may be locked, puts FOREIGN_KEY_CHECKS (and
 * `lock_wait_timeout`) back and frees the turn locks (only the unlocking when
 * the call did the rest). A session that is lost or where that fails is
 * condemned: it is destroyed, and its state with it.
 */
async function restore(session: Session, envelope: Envelope, lockWait: number | undefined, progress: Progress): Promise<void> {
  if (!session.isReusable()) return;
  try {
    if (progress.locked) await session.query('UNLOCK TABLES', undefined, FINISH);
    if (progress.restored) return;
    await session.query(restoreSettings(envelope, lockWait), undefined, FINISH);
    const release = releaseLocks(envelope);
    if (release !== undefined) await session.query(release, undefined, FINISH);
  } catch {
    session.condemn();
  }
}

/** How long a failed call waits for the server thread of its lost session to end. */
const THREAD_END_MILLIS = 2_000;

/**
 * Kills the server thread of a session given up (killed, its link cut, or a
 * cut statement that did not end in time) and waits, bounded, until the
 * server no longer lists it: a thread the client left may wait on in LOCK
 * TABLES or GET_LOCK, holding sqlpin's turn lock, until the server notices.
 * Best effort: the truncate's outcome does not depend on it.
 */
async function endThread(session: Session): Promise<void> {
  const deadline = Date.now() + THREAD_END_MILLIS;
  const ended = session
    .aside(async (query) => {
      // 1094: the thread has already gone.
      await query(`KILL ${session.id}`).catch(() => undefined);
      while (Date.now() < deadline) {
        if ((await query('SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ?', [session.id])).length === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })
    .catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, THREAD_END_MILLIS)));
  await Promise.race([ended, expired]);
  clearTimeout(timer);
}

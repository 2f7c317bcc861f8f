import type { Session } from '../../lib/driver.js';
import { lockTables, lockWaitSeconds } from './blockers.js';
import type { Dirty } from './probe.js';
import { compoundStatement, releaseLocks, restoreSettings, type Envelope } from './plan.js';

/** MariaDB without a lock bound: one round trip (see `compoundStatement`). */
export async function runCompound(session: Session, envelope: Envelope, statements: readonly string[]): Promise<void> {
  try {
    await session.query(compoundStatement(envelope, statements));
  } catch (error) {
    // The handler ran unless the statement was killed or the session failed; checking costs a round trip on failures only.
    await restore(session, envelope, undefined);
    throw error;
  }
}

/**
 * One statement at a time: MySQL has no compound statements outside stored
 * programs, and under a lock bound every table is locked (LOCK TABLES, bounded
 * on the client too) before any is emptied, so that a timeout leaves all of
 * them as they were. lock_wait_timeout is saved, set and restored with the FK
 * checks, on this same session.
 */
export async function runStepwise(
  session: Session,
  envelope: Envelope,
  statements: readonly string[],
  bound: { readonly lockTimeoutMillis: number; readonly lockWait: number; readonly tables: readonly Dirty[] } | undefined,
): Promise<void> {
  const setLockWait = bound === undefined ? '' : `, lock_wait_timeout = ${lockWaitSeconds(bound.lockTimeoutMillis)}`;
  await session.query(`SET FOREIGN_KEY_CHECKS = 0${setLockWait}`);
  try {
    for (const lock of envelope.locks) await takeTurn(session, lock);
    if (bound !== undefined) await lockTables(session, bound.tables, bound.lockTimeoutMillis);
    for (const statement of statements) await session.query(statement);
  } finally {
    await restore(session, envelope, bound?.lockWait);
  }
}

async function takeTurn(session: Session, lock: string): Promise<void> {
  const { rows } = await session.query<{ held: number | null }>(`SELECT GET_LOCK('${lock}', @@lock_wait_timeout) AS held`);
  if (Number(rows[0]?.held) !== 1) {
    throw Object.assign(new Error('sqlpin: timed out waiting for another truncate of this database'), {
      errno: 1205,
      code: 'ER_LOCK_WAIT_TIMEOUT',
    });
  }
}

/** Restoring the session is not cut by the call's signal: it must run once the call has changed anything. */
const FINISH = { finish: true } as const;

/** Puts FOREIGN_KEY_CHECKS back and frees the truncate locks; a session where that fails is condemned. */
async function restore(session: Session, envelope: Envelope, lockWait: number | undefined): Promise<void> {
  try {
    if (lockWait !== undefined) await session.query('UNLOCK TABLES', undefined, FINISH);
    await session.query(restoreSettings(envelope, lockWait), undefined, FINISH);
    const release = releaseLocks(envelope);
    if (release !== undefined) await session.query(release, undefined, FINISH);
  } catch (error) {
    session.condemn();
    throw error;
  }
}

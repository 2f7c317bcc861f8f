import type { ErrorReporter } from './driver.js';
import type { Lifetimes } from './lifetime.js';
import type { ManagedSession } from './session.js';
import type { PoolEvent } from './tracing.js';

/** How and why a session leaves the pool, for `sqlpin:pool`. */
export type Ending = Required<Pick<PoolEvent, 'event' | 'reason'>>;

export const RETIRED: Ending = { event: 'close', reason: 'maxLifetimeMillis or maxUses reached' };
export const UNUSABLE: Ending = { event: 'destroy', reason: 'unusable: a fatal error, killed by the server, or its state unknown' };

/** A lent session on its way back. */
export interface Returned {
  readonly session: ManagedSession;
  ending?: Ending;
}

/** What the release policy acts through. */
export interface ReleaseTarget {
  readonly config: { readonly resetOnRelease: boolean; readonly report: ErrorReporter };
  readonly lifetimes: Lifetimes;
  release(slot: Returned): void;
  destroy(slot: Returned, ending: Ending): Promise<void>;
}

/**
 * The one place that decides release or destroy. A session goes back only
 * once nothing runs on it (a statement that timed out has ended and its cancel
 * was taken), if it is reusable, out of any transaction and (with
 * `resetOnRelease`) freshly reset; any doubt destroys it, and so does the end
 * of its lifetime. The caller does not wait for a statement still settling.
 * Returns a promise only when there is something to wait for; it never rejects.
 */
export function giveBack(pool: ReleaseTarget, slot: Returned): Promise<void> | undefined {
  const { session } = slot;
  const busy = session.whenIdle();
  if (busy !== undefined) {
    void busy.then(() => giveBack(pool, slot));
    return undefined;
  }
  // Judged between borrows, never during one: closing ends anything the session still held.
  if (pool.lifetimes.returned(session)) return pool.destroy(slot, session.isReusable() ? RETIRED : UNUSABLE);
  if (session.isReusable() && (session.inTransaction() || pool.config.resetOnRelease)) return cleanThenGiveBack(pool, slot);
  putBack(pool, slot);
  return undefined;
}

/** Rolls back a transaction left open, and resets the session if asked; a failure condemns the session. */
async function cleanThenGiveBack(pool: ReleaseTarget, slot: Returned): Promise<void> {
  const { session } = slot;
  try {
    if (session.isReusable() && session.inTransaction()) await session.query('ROLLBACK');
    if (session.isReusable() && pool.config.resetOnRelease) await session.reset();
  } catch (error) {
    session.condemn();
    pool.config.report(error);
  }
  putBack(pool, slot);
}

/** Release or destroy, as the session's own word says now. */
function putBack(pool: ReleaseTarget, slot: Returned): void {
  if (slot.session.isReusable()) pool.release(slot);
  else void pool.destroy(slot, UNUSABLE);
}

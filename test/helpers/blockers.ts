import type { Test } from 'tap';
import type { LockTimeoutError } from '../../lib/index.js';
import type { Scratch } from './servers.js';

/**
 * Whether the server can name the sessions that hold a table's locks: always
 * on PostgreSQL (pg_locks); on MariaDB only with the METADATA_LOCK_INFO plugin
 * (without it no view shows who holds a metadata lock).
 */
export async function namesLockHolders(scratch: Scratch): Promise<boolean> {
  if (scratch.dialect === 'postgres') return true;
  const rows = await scratch.admin(
    "SELECT 1 FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'",
  );
  return rows.length > 0;
}

/**
 * The holder is named among a LockTimeoutError's blockers where the server can
 * tell (`namesLockHolders`); where it cannot, the error names no one and says so.
 */
export function checkHolderNamed(t: Test, error: unknown, holderId: number, canTell: boolean, what: string): void {
  const { blockers = [], blockersKnown } = (error ?? {}) as Partial<LockTimeoutError>;
  if (canTell) {
    t.ok(
      blockers.some((b) => b.id === holderId),
      `${what}: the holder (session ${holderId}) is named among the blockers: ${JSON.stringify(blockers)}`,
    );
  } else {
    t.same({ blockers, blockersKnown }, { blockers: [], blockersKnown: false }, `${what}: the server cannot tell, and the error says so`);
  }
}

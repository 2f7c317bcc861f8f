import type { AdapterSession } from '../lib/driver.js';

/**
 * Galera (MariaDB cluster) support for sqlpin's own reads.
 *
 * A node applies other nodes' commits asynchronously, so its local reads can
 * trail the cluster: a truncate deciding from such a read that a table is
 * clean would skip a row committed elsewhere before the call began. The read
 * is made causal with `wsrep_sync_wait`, for that one statement only
 * (`SET STATEMENT ... FOR`, so nothing is left to restore): the node first
 * applies everything the cluster committed before it, and every later read of
 * the call sees at least that.
 */

/** A MySQL-family session that learns whether it talks to a Galera node. */
export interface ClusterSession extends AdapterSession {
  /** From the handshake: MariaDB always has `wsrep_on` (OFF without a cluster); MySQL has no such variable. */
  readonly mariadb: boolean;
  /**
   * Whether the server is a Galera node with replication on (`@@wsrep_on`);
   * undefined until sqlpin's first read on the session reported it, beside
   * what that read asks anyway: nothing extra is sent on one server.
   */
  galera: boolean | undefined;
}

/** The expression that reports `wsrep_on` in sqlpin's first read. */
export function wsrepOn(session: ClusterSession): string {
  return session.mariadb ? '@@wsrep_on' : '0';
}

/** The text of a read that must see every commit the cluster made before it; unchanged on one server. */
export function causal(session: ClusterSession, text: string): string {
  return session.galera === true ? `SET STATEMENT wsrep_sync_wait = 1 FOR ${text}` : text;
}

/** ER_LOCK_DEADLOCK: on Galera also a certification conflict, or a read aborted by a replicated DDL. */
const DEADLOCK = 1213;
/** Attempts in all, and no new attempt once this long has passed since the first. */
export const READ_RETRY_ATTEMPTS = 5;
export const READ_RETRY_WITHIN_MILLIS = 1_000;

/**
 * Runs sqlpin's own read-only steps, again when the server aborted them with
 * a deadlock (1213): they change nothing, so running them again is safe.
 * Bounded in attempts and time; any other error, or a session that is no
 * longer usable, goes to the caller at once. Never used for a statement that
 * changes data.
 */
export async function retryReads<T>(session: AdapterSession, reads: () => Promise<T>, onRetry: () => void): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await reads();
    } catch (error) {
      const retryable =
        (error as { errno?: unknown }).errno === DEADLOCK &&
        session.isReusable() &&
        !session.inTransaction() &&
        attempt < READ_RETRY_ATTEMPTS &&
        Date.now() - started < READ_RETRY_WITHIN_MILLIS;
      if (!retryable) throw error;
      onRetry();
      // A short, growing, jittered pause lets the conflicting write finish first.
      await new Promise((resolve) => setTimeout(resolve, (5 << attempt) * (0.5 + Math.random())));
    }
  }
}

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

/** A MySQL-family connection that learns whether it talks to a Galera node. */
export interface ClusterFacts {
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
export function wsrepOn(facts: ClusterFacts): string {
  return facts.mariadb ? '@@wsrep_on' : '0';
}

/** The text of a read that must see every commit the cluster made before it; unchanged on one server. */
export function causal(facts: ClusterFacts, text: string): string {
  return facts.galera === true ? `SET STATEMENT wsrep_sync_wait = 1 FOR ${text}` : text;
}

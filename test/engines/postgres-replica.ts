/**
 * A throwaway PostgreSQL primary and a hot standby streaming from it, with
 * Debian's binaries. The standby is cloned from this throwaway primary with
 * pg_basebackup, never from the machine's main server.
 */
import path from 'node:path';
import { startEngine, type Engine, type StartOptions } from './engine.js';
import { freePort, run, waitUntil } from './host.js';
import { DEBIAN_POSTGRES_BIN, createTestDatabase, initdb, postgresUrl, postgresUser, queryOnce, startPostgres } from './postgres.js';

/** A running pair: root URLs into `test` on each. */
export type PostgresReplica = Engine<{ primary: string; replica: string }>;

/** Starts the pair and resolves once the standby streams and has the `test` database. */
export async function startPostgresReplica(options: StartOptions = {}): Promise<PostgresReplica> {
  const user = await postgresUser();
  return startEngine('pg-replica', user, options, async (context) => {
    const [primaryPort, replicaPort] = [await freePort(), await freePort()];
    const primaryDir = path.join(context.dir, 'primary');
    const replicaDir = path.join(context.dir, 'replica');
    await initdb(DEBIAN_POSTGRES_BIN, primaryDir, user);
    await startPostgres(context, DEBIAN_POSTGRES_BIN, primaryDir, primaryPort, user, ['wal_level=replica', 'max_wal_senders=4']);
    await createTestDatabase(primaryPort);
    await run(
      path.join(DEBIAN_POSTGRES_BIN, 'pg_basebackup'),
      ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replicaDir, '-R', '-X', 'stream', '-c', 'fast'],
      { user, timeoutMillis: 60_000 },
    );
    await startPostgres(context, DEBIAN_POSTGRES_BIN, replicaDir, replicaPort, user, ['hot_standby=on']);
    const replica = postgresUrl(replicaPort);
    await waitUntil('the standby streaming from the primary', 30_000, async () => {
      const [row] = await queryOnce<{ streaming: boolean }>(
        replica,
        "SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS streaming",
      );
      return row?.streaming ? true : undefined;
    });
    return { primary: postgresUrl(primaryPort), replica };
  });
}

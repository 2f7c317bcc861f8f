/**
 * A MariaDB primary and a read-only replica following it by GTID. A non-root
 * user is created on the primary and replicated: root bypasses read_only, so
 * only such a user sees the replica refuse writes (1290).
 */
import { startEngine, type Engine, type StartOptions } from './engine.js';
import { freePort, waitUntil } from './host.js';
import { installDataDir, mariadbUrl, mysqlUser, queryMariadb, startMariadbd } from './mariadb.js';

/** The non-root user, with every privilege on `test` and the tests' `sqlpin_*` databases, and no password. */
export const MARIADB_REPLICA_USER = 'sqlpin';

/**
 * A running pair. `primary` and `replica` are root URLs into `test`;
 * `replicaUser` reaches the replica as the non-root user.
 */
export type MariadbReplica = Engine<{ primary: string; replica: string; replicaUser: string }>;

/** Starts the pair and resolves once the replica runs both replication threads and has the user and `test`. */
export async function startMariadbReplica(options: StartOptions = {}): Promise<MariadbReplica> {
  return startEngine('mariadb-replica', await mysqlUser(), options, async (context) => {
    const [primaryPort, replicaPort] = [await freePort(), await freePort()];
    await Promise.all([installDataDir(context, 'primary'), installDataDir(context, 'replica')]);
    await Promise.all([
      startMariadbd(context, 'primary', primaryPort, ['--server-id=1', `--log-bin=${context.dir}/binlog`, '--binlog-format=ROW']),
      startMariadbd(context, 'replica', replicaPort, ['--server-id=2', '--read-only=ON', `--relay-log=${context.dir}/relay`]),
    ]);
    const primary = mariadbUrl(primaryPort, { database: '' });
    const replica = mariadbUrl(replicaPort, { database: '' });
    await queryMariadb(
      primary,
      'CREATE DATABASE test',
      `CREATE USER '${MARIADB_REPLICA_USER}'@'%'`,
      `GRANT ALL ON test.* TO '${MARIADB_REPLICA_USER}'@'%'`,
      // Tests work in scratch databases of their own, named sqlpin_*.
      `GRANT ALL ON \`sqlpin\\_%\`.* TO '${MARIADB_REPLICA_USER}'@'%'`,
    );
    await queryMariadb(
      replica,
      `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primaryPort}, MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos`,
      'START SLAVE',
    );
    await waitUntil('the replica replaying the primary', 30_000, async () => {
      const [status] = await queryMariadb<{ Slave_IO_Running: string; Slave_SQL_Running: string; Last_Error: string }>(
        replica,
        'SHOW SLAVE STATUS',
      );
      if (status?.Last_Error) throw new Error(status.Last_Error);
      const users = await queryMariadb(replica, `SELECT 1 FROM mysql.user WHERE User = '${MARIADB_REPLICA_USER}'`);
      const running = status?.Slave_IO_Running === 'Yes' && status.Slave_SQL_Running === 'Yes';
      return running && users.length === 1 ? true : undefined;
    });
    return {
      primary: mariadbUrl(primaryPort),
      replica: mariadbUrl(replicaPort),
      replicaUser: mariadbUrl(replicaPort, { user: MARIADB_REPLICA_USER }),
    };
  });
}

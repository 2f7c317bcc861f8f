/**
 * A three-node MariaDB Galera cluster on 127.0.0.1, from the machine's
 * MariaDB and galera-4. Node 1 bootstraps the cluster; the joiners follow one
 * at a time, since a donor serves one state transfer at a time.
 */
import { startEngine, type Engine, type StartOptions } from './engine.js';
import { freePort, waitUntil } from './host.js';
import { installDataDir, mariadbUrl, mysqlUser, queryMariadb, showValue, startMariadbd } from './mariadb.js';

const PROVIDER = '/usr/lib/galera/libgalera_smm.so';
const NODES = ['n1', 'n2', 'n3'] as const;

/** The ports one node needs: SQL, group communication, incremental and full state transfer. */
interface NodePorts {
  readonly sql: number;
  readonly group: number;
  readonly ist: number;
  readonly sst: number;
}

/** A running cluster: `node1`..`node3` are root URLs into each node's `test` database. */
export type Galera = Engine<{ node1: string; node2: string; node3: string }>;

/**
 * Starts the cluster and resolves once every node reports Synced in a
 * cluster of 3, with a `test` database created through node 1.
 */
export async function startGalera(options: StartOptions = {}): Promise<Galera> {
  return startEngine('galera', await mysqlUser(), options, async (context) => {
    const ports: NodePorts[] = [];
    for (let i = 0; i < NODES.length; i++)
      ports.push({ sql: await freePort(), group: await freePort(), ist: await freePort(), sst: await freePort() });
    const clusterAddress = `gcomm://${ports.map((p) => `127.0.0.1:${p.group}`).join(',')}`;
    await Promise.all(NODES.map((name) => installDataDir(context, name)));

    // Status is read outside any database: `test` exists only once node 1 has created it.
    const serverUrls = ports.map((p) => mariadbUrl(p.sql, { database: '' }));
    for (const [i, name] of NODES.entries()) {
      const p = ports[i]!;
      const settings = [
        '--binlog-format=ROW',
        '--default-storage-engine=InnoDB',
        '--innodb-autoinc-lock-mode=2',
        '--wsrep-on=ON',
        `--wsrep-provider=${PROVIDER}`,
        `--wsrep-cluster-name=sqlpin-${context.dir.slice(-6)}`,
        `--wsrep-node-name=${name}`,
        `--wsrep-cluster-address=${clusterAddress}`,
        `--wsrep-node-address=127.0.0.1:${p.group}`,
        '--wsrep-sst-method=rsync',
        `--wsrep-sst-receive-address=127.0.0.1:${p.sst}`,
        `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${p.group};ist.recv_addr=127.0.0.1:${p.ist};gcache.size=32M`,
        ...(i === 0 ? ['--wsrep-new-cluster'] : []),
      ];
      // A joiner answers SQL only once its state transfer is done, which can take a while.
      await startMariadbd(context, name, p.sql, settings, 90_000);
      await waitForSynced(serverUrls[i]!, i + 1);
      if (i === 0) await queryMariadb(serverUrls[0]!, 'CREATE DATABASE test');
    }
    for (const url of serverUrls) await waitForSynced(url, NODES.length);
    const [node1, node2, node3] = ports.map((p) => mariadbUrl(p.sql));
    return { node1: node1!, node2: node2!, node3: node3! };
  });
}

/** Waits until the node is Synced and sees `size` members. */
async function waitForSynced(url: string, size: number): Promise<void> {
  await waitUntil(`${url} Synced in a cluster of ${size}`, 60_000, async () => {
    const state = await showValue(url, 'STATUS', 'wsrep_local_state_comment');
    const members = Number(await showValue(url, 'STATUS', 'wsrep_cluster_size'));
    return state === 'Synced' && members === size ? true : undefined;
  });
}

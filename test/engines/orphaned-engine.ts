// Run by lifecycle.test.ts as a process of its own: starts a throwaway PostgreSQL, says where, and waits to be killed.
import { startPostgresCluster } from './postgres-cluster.js';

const cluster = await startPostgresCluster(18);
console.log(JSON.stringify({ dir: cluster.dir, pids: cluster.processes.map((owned) => owned.pid) }));
setInterval(() => undefined, 60_000);

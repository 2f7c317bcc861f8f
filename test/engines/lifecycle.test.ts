import { existsSync } from 'node:fs';
import t from 'tap';
import { processesIn } from './host.js';
import { queryOnce } from './postgres.js';
import { startPostgresCluster } from './postgres-cluster.js';

/** What every engine promises, shown on the quickest one: running once started, nothing left once stopped. */
t.test('an engine runs in its dir until stopped, then leaves no process and no dir', async (t) => {
  const cluster = await startPostgresCluster(18);
  t.teardown(() => cluster.stop());
  t.ok(existsSync(cluster.dir), 'its dir exists');
  t.not(await processesIn(cluster.dir), [], 'its processes run there');
  const [row] = await queryOnce<{ major: string }>(cluster.urls.url, "SELECT current_setting('server_version_num')::int / 10000 AS major");
  t.equal(Number(row!.major), 18, 'the URL reaches the major asked for');
  await cluster.stop();
  t.notOk(existsSync(cluster.dir), 'the dir is removed');
  t.same(await processesIn(cluster.dir), [], 'no process is left');
  await cluster.stop();
  t.pass('stopping again does nothing');
});

t.test('a start that cannot succeed rejects with the reason', async (t) => {
  await t.rejects(startPostgresCluster(99), /no embedded PostgreSQL pinned for major 99/);
});

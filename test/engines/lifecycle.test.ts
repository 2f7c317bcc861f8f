import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { processesIn, waitUntil } from './host.js';
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
  await t.resolves(cluster.stop(), 'stopping again does nothing');
  t.notOk(existsSync(cluster.dir), 'and leaves nothing behind');
});

t.test('a start that cannot succeed rejects with the reason', async (t) => {
  await t.rejects(startPostgresCluster(99), /no embedded PostgreSQL pinned for major 99/);
});

/** Whether a pid runs: exists and is not a zombie (an orphan's exit is reaped by init, maybe late). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

t.test('a test process killed outright leaves no engine behind: its watchdog stops it', async (t) => {
  const script = fileURLToPath(new URL('./orphaned-engine.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await createInterface({ input: child.stdout })
    [Symbol.asyncIterator]()
    .next()
    .then(({ value }) => [String(value)]);
  const { dir, pids } = JSON.parse(line!) as { dir: string; pids: number[] };
  t.teardown(async () => {
    // Only if the watchdog failed: nothing of this test may outlive it either.
    for (const pid of await processesIn(dir)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  t.not(await processesIn(dir), [], 'the engine runs in its dir');
  child.kill('SIGKILL');
  const gone = await waitUntil('the engine gone', 30_000, async () =>
    !existsSync(dir) && (await processesIn(dir)).length === 0 ? true : undefined,
  ).catch(() => false);
  t.ok(gone, 'within 30 s of the SIGKILL no process runs in its dir and the dir is removed');
  t.same(pids.filter(running), [], 'none of its pids still runs');
});

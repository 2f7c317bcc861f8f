import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { freePort, processesIn } from '../engines/host.js';

/**
 * With PG_URL unset and nothing answering at the default, the demo runs its
 * PostgreSQL half on an embedded PostgreSQL 18 and leaves nothing behind.
 * The default is pointed at a closed port through SQLPIN_DEFAULT_PG_URL.
 */
const run = promisify(execFile);

t.test('no PostgreSQL at the default and PG_URL unset: the demo uses an embedded PostgreSQL 18, then removes it', async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, SQLPIN_DEFAULT_PG_URL: `postgres://postgres@127.0.0.1:${await freePort()}/test` };
  delete env.PG_URL;
  // The demo exits non-zero when its MySQL half cannot run; only the PostgreSQL half is judged here.
  const { stdout } = await run(process.execPath, ['--import=tsx', 'examples/demo.ts'], { env, timeout: 120_000 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  const said = /using an embedded PostgreSQL 18 at (\S+) \(in (\S+), removed at exit\)/.exec(stdout);
  t.ok(said, 'it says so in one line');
  const [, url, dir] = said ?? [];
  const half = stdout.slice(stdout.indexOf(`\nPostgreSQL at ${url}\n`));
  t.ok(stdout.includes(`\nPostgreSQL at ${url}\n`), 'the PostgreSQL half ran on the embedded server');
  t.match(half, /✓ db\.truncate\('parent'\) succeeded/, 'and showed the fix there');
  t.notMatch(half, /✗/, 'with every PostgreSQL expectation met');
  t.notOk(existsSync(dir!), 'its directory is gone');
  t.same(await processesIn(dir!), [], 'no process runs in or on its directory');
});

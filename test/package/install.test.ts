import { cp, lstat, mkdtemp, readlink, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { CONSUMERS, ROOT, sh, snapshot } from './shell.js';

/**
 * sqlpin installed without the registry, as from a clone: `npm install git+file://…` and `npm install <path>`,
 * each into a fresh project outside the repository with pg beside it, then loaded by `import` and by
 * `require()` and used against the PostgreSQL server. The repository is copied as it is now, committed or not.
 */
const work = await mkdtemp(join(tmpdir(), 'sqlpin-install-'));
t.teardown(() => rm(work, { recursive: true, force: true }));

/** A fresh project with the consumer programs, sqlpin installed from `spec`, and pg. */
async function project(name: string, spec: string): Promise<string> {
  const dir = join(work, name);
  await cp(join(CONSUMERS, 'installed'), dir, { recursive: true });
  await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', spec, 'pg'], dir);
  return dir;
}

/** Runs a consumer program and parses the JSON line it prints last. */
async function report(dir: string, main: string): Promise<unknown> {
  const lines = (await sh(process.execPath, [main], dir)).trim().split('\n');
  return JSON.parse(lines.at(-1) ?? '');
}

async function loadsBothWays(t: Test, dir: string): Promise<void> {
  t.same(await report(dir, 'main.mjs'), { loadedBy: 'import', answer: 42, configError: 'ERR_CONFIG' }, 'import: a query on PostgreSQL');
  t.same(await report(dir, 'main.cjs'), { loadedBy: 'require', answer: 42, configError: 'ERR_CONFIG' }, 'require(): a query on PostgreSQL');
}

const source = join(work, 'sqlpin');
await snapshot(source);

t.test('npm install git+file://<clone>: npm installs the dev dependencies and builds dist/ (prepare)', async (t) => {
  const dir = await project('from-git', `git+file://${source}`);
  const entry = join(dir, 'node_modules', 'sqlpin', 'dist', 'lib', 'index.js');
  t.ok(await stat(entry).then((s) => s.isFile()), 'dist/lib/index.js is installed');
  await loadsBothWays(t, dir);
});

t.test('npm install <path to a clone>', async (t) => {
  const clone = join(work, 'clone');
  await sh('git', ['clone', '-q', source, clone], work);

  // Nothing installed in the clone yet: npm runs prepare there without dev dependencies, so the build says what to do.
  const bare = join(work, 'from-bare-path');
  await cp(join(CONSUMERS, 'installed'), bare, { recursive: true });
  await t.rejects(
    sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', clone], bare),
    { message: /needs sqlpin's dev dependencies[\s\S]*Run `npm ci`/ },
    'a clone without its dev dependencies: the install fails, telling to run npm ci there',
  );

  // The clone's own `npm ci`, which installs exactly the lockfile's packages, stood in for by the repository's.
  await symlink(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
  const dir = await project('from-path', clone);
  const installed = join(dir, 'node_modules', 'sqlpin');
  t.ok((await lstat(installed)).isSymbolicLink(), 'npm links the directory');
  t.equal(resolve(dir, 'node_modules', await readlink(installed)), clone, 'to the clone');
  t.ok(await stat(join(clone, 'dist', 'lib', 'index.js')).then((s) => s.isFile()), 'prepare built dist/ in the clone');
  await loadsBothWays(t, dir);
});

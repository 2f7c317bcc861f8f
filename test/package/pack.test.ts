import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import t from 'tap';
import { CONSUMERS, ROOT, sh } from './shell.js';

/**
 * The package as users get it: `npm pack`, then the tarball installed into throwaway
 * projects outside the repository, each with only the driver it uses, run against the
 * real servers on the Node that runs this test.
 */
const BIN = join(ROOT, 'node_modules', '.bin');

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

const work = await mkdtemp(join(tmpdir(), 'sqlpin-pack-'));
t.teardown(() => rm(work, { recursive: true, force: true }));

const [packed] = JSON.parse(await sh('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as [Packed];
const tarball = join(work, packed.filename);
t.comment(
  `tarball ${packed.filename}: ${(packed.size / 1024).toFixed(1)} kB packed, ${(packed.unpackedSize / 1024).toFixed(1)} kB unpacked, ${packed.entryCount} files`,
);

t.test('the tarball holds the build with its types, and no tests', async (t) => {
  const paths = packed.files.map((file) => file.path);
  for (const expected of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/lib/index.js', 'dist/lib/index.d.ts']) {
    t.ok(paths.includes(expected), `holds ${expected}`);
  }
  t.same(
    paths.filter((path) => /(^|\/)(test|bench|examples|fixtures)\/|\.test\.|\.ts$(?<!\.d\.ts)/.test(path)),
    [],
    'no tests, sources or tooling',
  );
  // The dialects are reached only through the composition point, never by a consumer's types: they ship
  // as JavaScript alone, so their declarations, which name the drivers' own types, stay out.
  const js = paths.filter((path) => path.endsWith('.js'));
  t.ok(
    js.some((path) => path.startsWith('dist/dialects/mysql/')) && js.some((path) => path.startsWith('dist/dialects/postgres/')),
    'holds the dialects',
  );
  t.same(
    js.filter((path) => path.startsWith('dist/lib/') && !paths.includes(path.replace(/\.js$/, '.d.ts'))),
    [],
    'every core module has its .d.ts',
  );
  t.same(
    paths.filter((path) => path.startsWith('dist/dialects/') && path.endsWith('.d.ts')),
    [],
    'no dialect declarations',
  );

  const unpacked = join(work, 'unpacked');
  await mkdir(unpacked);
  await sh('tar', ['xzf', tarball, '-C', unpacked], work);
  const declarations = await readDeclarations(join(unpacked, 'package'));
  t.ok(declarations.size > 0, 'declarations were read');
  const leaking = (pattern: RegExp) => [...declarations].filter(([, text]) => pattern.test(text)).map(([path]) => path);
  t.same(leaking(/@internal/), [], '@internal members are stripped');
  t.same(leaking(/from ['"](pg|mysql2)(\/[^'"]*)?['"]|import\(['"](pg|mysql2)/), [], 'no declaration imports a driver');
  t.same(leaking(/['"]\.\.\/dialects\//), [], 'no declaration points at the dialects, whose declarations stay out');
});

t.test('publint finds nothing, warnings included', async (t) => {
  await t.resolves(sh(join(BIN, 'publint'), ['run', tarball, '--strict'], work), 'publint --strict exits 0');
});

t.test('attw finds no problem for ESM, bundler and require(esm) consumers', async (t) => {
  // esm-only: attw cannot model require(esm) yet (arethetypeswrong issue #252) and calls every
  // CommonJS resolution of an ESM package a problem; the CommonJS consumer below runs it instead.
  const args = [tarball, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'ascii'];
  await t.resolves(sh(join(BIN, 'attw'), args, work), 'attw --profile esm-only exits 0');
});

/** Copies a consumer project out of the repository and installs the tarball and the packages named. */
async function consumer(name: string, packages: string[]): Promise<string> {
  const dir = join(work, name);
  await cp(join(CONSUMERS, name), dir, { recursive: true });
  await sh('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--prefer-offline', tarball, ...packages], dir);
  return dir;
}

async function installed(dir: string, name: string): Promise<boolean> {
  return readFile(join(dir, 'node_modules', name, 'package.json')).then(
    () => true,
    () => false,
  );
}

/** What the consumer programs print; each fills in the fields of what it exercises. */
interface Seen {
  answer: number;
  pinned: { sessionId: number; pid?: number; id?: number; value?: string; parentRows?: number };
  parentRowsAfterTruncate: number;
  childRowsAfterTruncate?: number;
  orphanInsert?: { errno: number | null };
  missingDriver?: { isConfigError: boolean; code: string; message: string } | { error: null };
  refused?: { isForeignKeyTruncateError: boolean; referencingTables: string[] };
  configError?: string;
}

/** Runs a consumer's program and parses the one JSON line it prints last. */
async function report<Printed = Seen>(dir: string, main: string): Promise<Printed> {
  const lines = (await sh(process.execPath, [main], dir)).trim().split('\n');
  return JSON.parse(lines.at(-1) ?? '') as Printed;
}

t.test('ESM JavaScript with only pg installed', async (t) => {
  const dir = await consumer('esm-pg', ['pg']);
  t.equal(await installed(dir, 'mysql2'), false, 'mysql2 is not installed');
  const seen = await report(dir, 'main.js');
  t.equal(seen.answer, 42, 'a query with the sql tag');
  t.equal(seen.pinned.pid, seen.pinned.sessionId, 'withConnection stays on its session');
  t.equal(seen.pinned.parentRows, 3, 'session state set in the callback is seen by its next query');
  t.equal(seen.parentRowsAfterTruncate, 0, 'truncate emptied a table referenced by a foreign key');
  t.match(
    seen.missingDriver,
    { isConfigError: true, code: 'ERR_CONFIG', message: /mysql2/ },
    'the MySQL dialect without mysql2 is a ConfigError naming it',
  );
});

t.test('CommonJS require() with only mysql2 installed', async (t) => {
  const dir = await consumer('cjs-mysql', ['mysql2']);
  t.equal(await installed(dir, 'pg'), false, 'pg is not installed');
  const seen = await report(dir, 'main.js');
  t.equal(seen.answer, 42, 'a query with the sql tag');
  t.equal(seen.pinned.id, seen.pinned.sessionId, 'withConnection stays on its session');
  t.equal(seen.pinned.value, 'pinned', 'session state set in the callback is seen by its next query');
  t.equal(seen.parentRowsAfterTruncate, 0, 'truncate emptied a table referenced by a foreign key');
  t.equal(seen.childRowsAfterTruncate, 1, 'the referencing table kept its row');
  t.equal(seen.orphanInsert?.errno, 1452, 'FK checks are back on for the session truncate used');
  t.match(
    seen.missingDriver,
    { isConfigError: true, code: 'ERR_CONFIG', message: /\bpg\b/ },
    'the PostgreSQL dialect without pg is a ConfigError naming it',
  );
});

t.test('TypeScript, strict, no skipLibCheck, no @types/pg', async (t) => {
  const dir = await consumer('typescript', ['pg', '@types/node@20']);
  t.equal(await installed(dir, '@types/pg'), false, '@types/pg is not installed');
  t.equal(await installed(dir, 'mysql2'), false, 'mysql2 (which ships its own types) is not installed');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const resolution of ['bundler', 'nodenext']) {
    await t.resolves(
      sh(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], dir),
      `type-checks with moduleResolution ${resolution}`,
    );
  }
  const seen = await report(dir, 'out/main.js');
  t.equal(seen.answer, 42, 'a typed query with the sql tag');
  t.equal(seen.pinned.pid, seen.pinned.sessionId, 'withConnection stays on its session');
  t.equal(seen.pinned.parentRows, 3, 'session state set in the callback is seen by its next query');
  t.match(
    seen.refused,
    { isForeignKeyTruncateError: true, referencingTables: [/child/] },
    'a referencing table with rows is refused by class',
  );
  t.equal(seen.refused?.referencingTables.length, 1, 'naming only the table with rows');
  t.equal(seen.parentRowsAfterTruncate, 0, 'truncate with cascade emptied the table');
  t.equal(seen.configError, 'ERR_CONFIG', 'ConfigError narrows by instanceof');
  const required = await report<Record<string, unknown>>(dir, 'out/require.cjs');
  t.same(required, { configError: 'ERR_CONFIG', loadedBy: 'function' }, 'CommonJS TypeScript loads it with require()');
});

async function readDeclarations(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true })) {
    if (entry.endsWith('.d.ts')) found.set(relative(dir, join(dir, entry)), await readFile(join(dir, entry), 'utf8'));
  }
  return found;
}

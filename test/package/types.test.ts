import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CONSUMERS, ROOT, sh, snapshot } from './shell.js';

/**
 * The published .d.ts on its own: the packed tarball installed into a project with nothing else (no driver,
 * no @types/node), type-checked under strict with no skipLibCheck and no DOM, then again with each major of
 * @types/node from 20 to the newest on the registry. The consumer's files say what they check
 * (test/package/consumers/types/).
 */
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const work = await mkdtemp(join(tmpdir(), 'sqlpin-types-'));
t.teardown(() => rm(work, { recursive: true, force: true }));

/** Packs a copy of the tree, so that this test never rebuilds the repository's own dist/ while another packs it. */
async function pack(): Promise<string> {
  const copy = join(work, 'sqlpin');
  await snapshot(copy);
  await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const [packed] = JSON.parse(await sh('npm', ['pack', '--json', '--pack-destination', work], copy)) as [{ filename: string }];
  return join(work, packed.filename);
}

/** Every major of @types/node from 20 up, as the registry lists them now. */
async function typesNodeMajors(): Promise<number[]> {
  const versions = JSON.parse(await sh('npm', ['view', '@types/node', 'versions', '--json'], work)) as string[];
  const majors = versions.filter((version) => /^\d+\.\d+\.\d+$/.test(version)).map((version) => Number(version.split('.')[0]));
  return [...new Set(majors)].filter((major) => major >= 20).sort((a, b) => a - b);
}

/** Installs @types/node@major in a directory of its own; returns the typeRoots entry that holds it. */
async function installTypesNode(major: number): Promise<string> {
  const dir = join(work, `types-node-${major}`);
  await mkdir(dir);
  await writeFile(join(dir, 'package.json'), '{ "private": true }\n');
  await sh('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--prefer-offline', `@types/node@${major}`], dir);
  return join(dir, 'node_modules', '@types');
}

/** Diagnostics of one tsc run, by file: the consumer's own files, sqlpin's declarations, anything else. */
async function typeCheck(dir: string, project: string): Promise<Map<string, string[]>> {
  const output = await sh(process.execPath, [TSC, '-p', project, '--pretty', 'false'], dir).then(
    (stdout) => stdout,
    (error: { stdout?: string }) => error.stdout ?? String(error),
  );
  const byFile = new Map<string, string[]>();
  for (const line of output.split('\n').filter((line) => /error TS\d+/.test(line))) {
    const file = /^(.*?)\(\d+,\d+\)/.exec(line)?.[1] ?? 'elsewhere';
    const key = file.includes('node_modules/sqlpin/') ? 'sqlpin .d.ts' : file;
    byFile.set(key, [...(byFile.get(key) ?? []), line]);
  }
  return byFile;
}

const [tarball, majors] = await Promise.all([pack(), typesNodeMajors()]);
const consumer = join(work, 'consumer');
await cp(join(CONSUMERS, 'types'), consumer, { recursive: true });
await sh('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--prefer-offline', tarball], consumer);
t.comment(`@types/node majors on the registry from 20: ${majors.join(', ')}`);
// Installed all at once: npm waits on the network far more than on the CPU.
const typeRoots = new Map(await Promise.all(majors.map(async (major) => [major, await installTypesNode(major)] as const)));

async function checks(t: Test, project: string): Promise<void> {
  const found = await typeCheck(consumer, project);
  t.same(found.get('sqlpin .d.ts') ?? [], [], "sqlpin's declarations type-check");
  t.same(found.get('api.ts') ?? [], [], 'the public API: literal error codes, their union, a misspelt code refused');
  t.same(found.get('construct.ts') ?? [], [], 'new Pool() and new Connection() do not compile');
  const other = [...found].filter(([file]) => !['sqlpin .d.ts', 'api.ts', 'construct.ts'].includes(file));
  t.same(other, [], 'nothing else fails');
}

t.test('no @types/node at all', async (t) => {
  const installed = await readFile(join(consumer, 'node_modules', '@types', 'node', 'package.json')).then(
    () => true,
    () => false,
  );
  t.equal(installed, false, 'the consumer has no @types/node');
  await checks(t, 'tsconfig.json');
});

for (const major of majors) {
  t.test(`@types/node ${major}`, async (t) => {
    const typeRoot = typeRoots.get(major)!;
    const project = `tsconfig.node-${major}.json`;
    const config = { extends: './tsconfig.json', compilerOptions: { typeRoots: [typeRoot], types: ['node'] } };
    await writeFile(join(consumer, project), `${JSON.stringify(config, null, 2)}\n`);
    const { version } = JSON.parse(await readFile(join(typeRoot, 'node', 'package.json'), 'utf8')) as { version: string };
    t.comment(`@types/node ${version}`);
    await checks(t, project);
  });
}

t.test('diagnostics are read: a planted error is reported against its file', async (t) => {
  // A planted file whose errors must be reported under their own names, or a clean run above proves nothing.
  await writeFile(
    join(consumer, 'planted.ts'),
    "import { SqlpinError } from 'sqlpin';\nexport const code: 'ERR_NOPE' = (new SqlpinError('ERR_CONFIG', 'x')).code;\n",
  );
  const config = { extends: './tsconfig.json', files: ['planted.ts'] };
  await writeFile(join(consumer, 'tsconfig.planted.json'), `${JSON.stringify(config, null, 2)}\n`);
  const found = await typeCheck(consumer, 'tsconfig.planted.json');
  t.match(found.get('planted.ts'), [/TS2322/], 'a planted type error is reported against its file');
});

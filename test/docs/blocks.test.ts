import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import type { Dialect } from '../../lib/index.js';
import { createScratch } from '../helpers/servers.js';
import { type Block, type CodeBlock, codeBlocks, type SqlBlock, statements } from './markdown.js';
import { compile, compiledOf, ROOT, setUpProject } from './project.js';

/**
 * Every code block of README.md and docs/*.md, as a user would copy it: compiled under strict
 * TypeScript against sqlpin built as it is published, then run as a program of its own on the
 * dialect its info string names, in a scratch database that holds the example tables and nothing
 * else. The grammar of info strings is in markdown.ts and the README's "Developing" section.
 */
const run = promisify(execFile);
/** A block is a program that must end by itself: one still running after this has left something open (a pool). */
const BLOCK_MILLIS = 20_000;
// About forty programs, each a Node process of its own in a scratch database, each bounded by BLOCK_MILLIS.
t.setTimeout(300_000);
/** What a user's shell has: none of npm's, tap's or the test's own loader settings. */
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|TAP|_TAPJS|NODE_OPTIONS$)/i.test(key)));
const DOCS = ['README.md', ...(await readdir(join(ROOT, 'docs'))).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

const blocks: Block[] = [];
for (const file of DOCS) blocks.push(...codeBlocks(file, await readFile(join(ROOT, file), 'utf8')));
const code = blocks.filter((block): block is CodeBlock => block.kind === 'code');
const sql = blocks.filter((block): block is SqlBlock => block.kind === 'sql');
const schema = sql.filter((block) => block.schema);

// Every subtest is queued after the set-up: tap ends the root test, and runs its teardown, once none is pending.
// sqlpin as its package.json publishes it, built from the sources into a project outside the repository.
const project = await mkdtemp(join(tmpdir(), 'sqlpin-docs-'));
t.teardown(() => rm(project, { recursive: true, force: true }));
await setUpProject(project);
const diagnostics = await compile(project, code);

t.test('every block says what it is; those not run say why', async (t) => {
  for (const block of blocks) {
    if (block.kind === 'not run') t.comment(`${block.where} ${block.language}: ${block.reason || 'not code'}`);
  }
  const invalid = blocks.flatMap((block) => (block.kind === 'invalid' ? [`${block.where}: ${block.why}`] : []));
  t.same(invalid, [], 'info strings follow the grammar in the README\'s "Developing" section');
  t.ok(code.length > 0 && schema.length > 0, 'there are code blocks, and the example tables, to run');
});

t.test('the generated programs compile with nothing reported outside the blocks', async (t) => {
  t.same(diagnostics.get('elsewhere') ?? [], []);
});

for (const block of code) {
  const info = [
    block.language,
    block.dialects.length === 2 ? 'both' : block.dialects[0],
    block.fragment && 'fragment',
    block.commonjs && 'cjs',
  ];
  t.test(`${block.where} ${info.filter(Boolean).join(' ')}`, async (t) => {
    t.same(diagnostics.get(block.where) ?? [], [], 'compiles under strict TypeScript');
    for (const dialect of block.dialects) {
      const { failure, output } = await runBlock(block, dialect);
      t.equal(failure, undefined, `runs on ${dialect}`, { output });
    }
  });
}

for (const block of sql.filter((block) => !block.schema)) {
  t.test(`${block.where} sql`, async (t) => {
    for (const dialect of block.dialects) {
      const failure = await inScratch(dialect, block.where, (admin) => runStatements(admin, block.source));
      t.equal(failure, undefined, `runs on ${dialect}`);
    }
  });
}

type Admin = (sql: string) => Promise<unknown>;

/** Runs `body` in a scratch database of its own holding the example tables; resolves to the failure, if any. */
async function inScratch(dialect: Dialect, where: string, body: (admin: Admin, url: string) => Promise<void>): Promise<unknown> {
  const scratch = await createScratch(dialect, `doc_${where.replace(/\W+/g, '_')}`);
  try {
    for (const block of schema.filter((block) => block.dialects.includes(dialect))) await runStatements(scratch.admin, block.source);
    await body(scratch.admin, scratch.url);
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await scratch.drop();
  }
}

async function runStatements(admin: Admin, text: string): Promise<void> {
  for (const statement of statements(text)) await admin(statement);
}

/**
 * Runs a block's compiled program on one dialect. A database URL written in the block (a literal
 * `mysql://…` or `postgres://…`, which readers replace with their own) and DATABASE_URL both point at the scratch.
 */
async function runBlock(block: CodeBlock, dialect: Dialect): Promise<{ failure: unknown; output: string }> {
  const compiled = join(project, compiledOf(block));
  let output = '';
  const failure = await inScratch(dialect, block.where, async (_admin, url) => {
    const text = await readFile(compiled, 'utf8');
    const runnable = compiled.replace(/(\.[cm]js)$/, `.${dialect}$1`);
    await writeFile(runnable, text.replace(/(['"`])(mysql|mariadb|postgres|postgresql):\/\/[^'"`]*\1/g, JSON.stringify(url)));
    const env = { ...userEnv, DATABASE_URL: url };
    const result = await run(process.execPath, [runnable], { cwd: project, env, timeout: BLOCK_MILLIS }).catch(
      (error: { stdout?: string; stderr?: string; killed?: boolean }) => {
        const hung = error.killed ? `still running after ${BLOCK_MILLIS} ms (is a pool left open?)\n` : '';
        output = `${hung}${error.stdout ?? ''}${error.stderr ?? ''}`;
        throw error;
      },
    );
    output = `${result.stdout}${result.stderr}`;
  });
  return { failure, output };
}

import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CodeBlock } from './markdown.js';

/**
 * A project outside the repository in which the docs' code blocks are compiled as a user's code
 * would be: sqlpin built from the sources as its package.json publishes it, under node_modules/sqlpin.
 */
const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** What a user's projects typically set, strict included; no option of this repository's own tsconfig. */
const COMPILER_OPTIONS = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  allowJs: true,
  checkJs: true,
  skipLibCheck: true,
  types: ['node'],
  rootDir: 'src',
  outDir: 'out',
};

export async function setUpProject(dir: string): Promise<void> {
  const sqlpin = join(dir, 'node_modules', 'sqlpin');
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
  await run(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--outDir', join(sqlpin, 'dist')], { cwd: ROOT });
  await cp(join(ROOT, 'package.json'), join(sqlpin, 'package.json'));
  // Everything else the blocks or sqlpin import (the drivers, generic-pool, @types/node) is the repository's.
  for (const name of await readdir(join(ROOT, 'node_modules'))) {
    if (!name.startsWith('.') && name !== 'sqlpin') await symlink(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
  }
}

/** The source file a block becomes, named after where it is: README-42.mts, truncate-101.cjs. */
function sourceOf(block: CodeBlock): string {
  const [file, line] = block.where.split(':');
  return `${basename(file!, '.md')}-${line}.${block.commonjs ? 'c' : 'm'}${block.language}`;
}

/** The compiled program of a block, relative to the project. */
export function compiledOf(block: CodeBlock): string {
  return join('out', sourceOf(block).replace(/\.([cm])ts$/, '.$1js'));
}

/** A block as a program, with its lines where they are in the doc, so that diagnostics map back. */
function program(block: CodeBlock): string {
  if (!block.fragment) return block.source;
  // A fragment's imports stay at the top; `db` is declared on its first line of code, and closed after its last.
  const lines = block.source.split('\n');
  const start = firstCodeLine(lines);
  lines[start] = `const db = docPool.createPool({ url: process.env.DATABASE_URL ?? '' }); try { ${lines[start]}`;
  return [...lines, '} finally { await db.close(); }', "import * as docPool from 'sqlpin';"].join('\n');
}

function firstCodeLine(lines: readonly string[]): number {
  let inImport = false;
  for (const [i, line] of lines.entries()) {
    const text = line.trim();
    if (inImport || text.startsWith('import ')) {
      inImport = !text.endsWith(';');
      continue;
    }
    if (text !== '' && !text.startsWith('//')) return i;
  }
  return lines.length - 1;
}

/**
 * Compiles every block in one tsc run. Returns the diagnostics by block (`where`), each with the
 * doc's own file and line; those that belong to no block are under 'elsewhere'.
 */
export async function compile(dir: string, blocks: readonly CodeBlock[]): Promise<Map<string, string[]>> {
  const sources = new Map(blocks.map((block) => [sourceOf(block), block]));
  for (const [source, block] of sources) await writeFile(join(dir, 'src', source), program(block));
  const files = [...sources.keys()].map((source) => `src/${source}`);
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: COMPILER_OPTIONS, files }));
  const output = await run(process.execPath, [TSC, '-p', '.', '--pretty', 'false'], { cwd: dir }).then(
    ({ stdout }) => stdout,
    (error: { stdout?: string }) => error.stdout ?? String(error),
  );
  const found = new Map<string, string[]>();
  let where = 'elsewhere';
  for (const line of output.split('\n').filter((line) => line.trim() !== '')) {
    const diagnostic = /^src\/([^(]+)\((\d+),(\d+)\): (.*)$/.exec(line);
    const block = diagnostic && sources.get(diagnostic[1]!);
    // An indented line continues the diagnostic before it.
    if (diagnostic || !line.startsWith(' ')) where = block ? block.where : 'elsewhere';
    const message = block
      ? `${block.where.split(':')[0]}:${block.firstLine + Number(diagnostic[2]) - 1}:${diagnostic[3]} ${diagnostic[4]}`
      : line;
    found.set(where, [...(found.get(where) ?? []), message]);
  }
  return found;
}

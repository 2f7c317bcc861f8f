import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as source from '../lib/index.js';

/** sqlpin's public API, as every build exports it. */
export type Sqlpin = typeof source;

/**
 * One way of loading sqlpin: the compiled dist/ users run, the TypeScript
 * sources through tsx, or (with BENCH_BASE) the dist/ of an earlier commit,
 * so that a change is measured against its base in the same run.
 */
export interface Build {
  readonly label: 'dist' | 'src' | 'base';
  readonly sqlpin: Sqlpin;
  /** Whether the loaded code carries esbuild's per-definition `__name` calls (tsx adds them; tsc does not). */
  readonly namingWrappers: boolean;
  /** For the base build: the commit it was built from. */
  readonly commit?: string;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Loads the builds. dist/ is imported by a computed URL so that type checking
 * never depends on a build being present; tsx leaves plain .js files as tsc wrote them.
 */
export async function loadBuilds(base = process.env.BENCH_BASE): Promise<Build[]> {
  const entry = packageEntry(ROOT);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`make build\` first (\`make bench\` does)`);
  const builds = [build('dist', (await import(pathToFileURL(entry).href)) as Sqlpin), build('src', source)];
  if (base !== undefined && base !== '') builds.push(await loadBase(base));
  return builds;
}

/**
 * Builds an earlier commit's dist/ in a temporary folder (kept per commit, so
 * a rerun reuses it) that borrows this checkout's node_modules.
 */
async function loadBase(revision: string): Promise<Build> {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${revision}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `sqlpin-bench-base-${commit.slice(0, 12)}`);
  if (!existsSync(join(dir, 'package.json'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('bash', ['-c', `git archive ${commit} | tar -x -C "${dir}"`], { cwd: ROOT, stdio: 'inherit' });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  }
  const entry = packageEntry(dir);
  if (!existsSync(entry)) execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
  return { ...build('base', (await import(pathToFileURL(entry).href)) as Sqlpin), commit };
}

/** The ESM entry a package's own package.json names. */
function packageEntry(dir: string): string {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    main?: string;
    exports?: { '.'?: { import?: string | { default?: string } } };
  };
  const esm = manifest.exports?.['.']?.import;
  return join(dir, (typeof esm === 'object' ? esm.default : esm) ?? manifest.main ?? 'dist/lib/index.js');
}

function build(label: Build['label'], sqlpin: Sqlpin): Build {
  return { label, sqlpin, namingWrappers: String(sqlpin.Pool).includes('__name(') };
}

/**
 * The layering rules of STYLE.md, read from the sources: the core owns the seam
 * and names a dialect only at the one composition point; each dialect's facts
 * load no driver; each driver package is imported by its own dialect's driver
 * file only; dialects never import each other; and no module imports itself
 * back through others.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const COMPOSITION_POINT = 'lib/dialects.ts';
const DRIVER_HOMES: Readonly<Record<string, string>> = { mysql2: 'dialects/mysql/driver.ts', pg: 'dialects/postgres/driver.ts' };

/** Every module specifier a file names: static imports and re-exports, and dynamic import() apart. */
function specifiers(source: string): { readonly static: string[]; readonly dynamic: string[] } {
  return {
    static: [...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((match) => match[1]!),
    dynamic: [...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((match) => match[1]!),
  };
}

function sources(folder: string): string[] {
  return readdirSync(join(root, folder)).flatMap((name) => {
    const path = `${folder}/${name}`;
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const files = [...sources('lib'), ...sources('dialects')];

/** A specifier as a repository path (local modules) or a package name. */
const resolveFrom = (file: string) => (spec: string) =>
  spec.startsWith('.') ? relative(root, normalize(join(root, dirname(file), spec))).replace(/\.js$/, '.ts') : spec;

const imports = new Map(
  files.map((file) => {
    const found = specifiers(readFileSync(join(root, file), 'utf8'));
    return [file, { static: found.static.map(resolveFrom(file)), dynamic: found.dynamic.map(resolveFrom(file)) }] as const;
  }),
);
const all = (file: string) => [...imports.get(file)!.static, ...imports.get(file)!.dynamic];

/** The modules `start` loads when it loads, following static imports only. */
function staticClosure(start: string): Set<string> {
  const seen = new Set<string>([start]);
  for (const file of seen) for (const target of imports.get(file)?.static ?? []) seen.add(target);
  return seen;
}

t.test('the core names no dialect, except the composition point', async (t) => {
  for (const file of imports.keys()) {
    if (!file.startsWith('lib/') || file === COMPOSITION_POINT) continue;
    t.same(
      all(file).filter((target) => target.startsWith('dialects/')),
      [],
      `${file} imports nothing from dialects/`,
    );
  }
  t.ok(
    imports.get(COMPOSITION_POINT)?.static.some((target) => target.startsWith('dialects/')),
    'the composition point is where dialects are named',
  );
});

t.test('loading the core loads no driver: dialect facts import none, drivers load lazily', async (t) => {
  const loaded = staticClosure('lib/index.ts');
  for (const driver of Object.keys(DRIVER_HOMES)) t.notOk(loaded.has(driver), `${driver} is not loaded with the core`);
  for (const home of Object.values(DRIVER_HOMES)) t.notOk(loaded.has(home), `${home} is not loaded with the core`);
  t.ok(loaded.has('dialects/mysql/dialect.ts') && loaded.has('dialects/postgres/dialect.ts'), 'the dialect facts are');
});

t.test('each driver is imported by its own dialect driver file only', async (t) => {
  for (const [driver, home] of Object.entries(DRIVER_HOMES)) {
    const importers = [...imports.keys()].filter((file) =>
      all(file).some((target) => target === driver || target.startsWith(`${driver}/`)),
    );
    t.same(importers, [home], `${driver} is imported only in ${home}`);
  }
});

t.test('a dialect imports the core and itself, never another dialect', async (t) => {
  for (const file of imports.keys()) {
    const own = file.split('/').slice(0, 2).join('/');
    if (!file.startsWith('dialects/')) continue;
    const foreign = all(file).filter((target) => target.startsWith('dialects/') && !target.startsWith(`${own}/`));
    t.same(foreign, [], `${file} imports no other dialect`);
  }
});

t.test('no import cycle among lib/ and dialects/', async (t) => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const target of all(file)) if (imports.has(target)) visit(target, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of imports.keys()) visit(file, []);
  t.same(cycles, [], 'no cycles');
  t.ok(imports.size > 20, `read ${imports.size} modules`);
});

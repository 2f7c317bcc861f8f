/**
 * The layering rules of STYLE.md, read from the sources: the core owns the seam
 * and never imports an adapter (but for the one lazy composition point), each
 * driver is imported by its own adapter only, and no module imports itself
 * back through others.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const COMPOSITION_POINT = 'lib/dialects.ts';
const DRIVER_HOMES: Readonly<Record<string, string>> = { mysql2: 'adapters/mysql.ts', pg: 'adapters/postgres.ts' };

/** Every module specifier a file names: static imports, re-exports and dynamic import(). */
function specifiers(source: string): string[] {
  const found = [
    ...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/g),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ];
  return found.map((match) => match[1]!);
}

const files = ['lib', 'adapters'].flatMap((folder) =>
  readdirSync(join(root, folder))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => `${folder}/${name}`),
);

/** Each source file's imports: local ones as repository paths, packages by name. */
const graph = new Map(
  files.map((file) => {
    const targets = specifiers(readFileSync(join(root, file), 'utf8')).map((spec) =>
      spec.startsWith('.') ? relative(root, normalize(join(root, dirname(file), spec))).replace(/\.js$/, '.ts') : spec,
    );
    return [file, targets] as const;
  }),
);

t.test('the core imports no adapter, except the composition point', async (t) => {
  for (const [file, targets] of graph) {
    if (!file.startsWith('lib/') || file === COMPOSITION_POINT) continue;
    t.same(
      targets.filter((target) => target.startsWith('adapters/')),
      [],
      `${file} imports nothing from adapters/`,
    );
  }
  t.ok(
    graph.get(COMPOSITION_POINT)?.some((target) => target.startsWith('adapters/')),
    'the composition point is where adapters are loaded',
  );
});

t.test('each driver is imported by its own adapter only', async (t) => {
  for (const [driver, home] of Object.entries(DRIVER_HOMES)) {
    const importers = [...graph]
      .filter(([, targets]) => targets.some((target) => target === driver || target.startsWith(`${driver}/`)))
      .map(([file]) => file);
    t.same(importers, [home], `${driver} is imported only in ${home}`);
  }
});

t.test('no import cycle among lib/ and adapters/', async (t) => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  t.same(cycles, [], 'no cycles');
  t.ok(graph.size > 10, `read ${graph.size} modules`);
});

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as source from '../lib/index.js';

/** sqlpin's public API, as both builds export it. */
export type Sqlpin = typeof source;

/** One way of loading sqlpin: the compiled dist/ users run, or the TypeScript sources through tsx. */
export interface Build {
  readonly label: 'dist' | 'src';
  readonly sqlpin: Sqlpin;
  /** Whether the loaded code carries esbuild's per-definition `__name` calls (tsx adds them; tsc does not). */
  readonly namingWrappers: boolean;
}

const DIST_ENTRY = new URL('../dist/lib/index.js', import.meta.url);

/**
 * Loads both builds. dist/ is imported by a computed URL so that type checking
 * never depends on a build being present; tsx leaves plain .js files as tsc wrote them.
 */
export async function loadBuilds(): Promise<Build[]> {
  if (!existsSync(DIST_ENTRY)) {
    throw new Error(`${fileURLToPath(DIST_ENTRY)} is missing: run \`make build\` first (\`make bench\` does)`);
  }
  const dist = (await import(DIST_ENTRY.href)) as Sqlpin;
  return [build('dist', dist), build('src', source)];
}

function build(label: Build['label'], sqlpin: Sqlpin): Build {
  return { label, sqlpin, namingWrappers: String(sqlpin.Pool).includes('__name(') };
}

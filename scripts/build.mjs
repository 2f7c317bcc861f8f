// Builds dist/ from the TypeScript sources. npm runs it as `prepare`: on `npm ci` / `npm install` in this
// repository, on `npm pack` and `npm publish`, and when sqlpin is installed from git (npm installs the dev
// dependencies first) or from a local path (npm runs it in that directory, with whatever is installed there).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function findTsc() {
  try {
    return createRequire(`${root}package.json`).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

const tsc = findTsc();
if (tsc === undefined) {
  // A path install of a fresh clone: npm runs this script there without installing the dev dependencies.
  console.error(
    `sqlpin: dist/ is built from the TypeScript sources, which needs sqlpin's dev dependencies (typescript).\n` +
      `Run \`npm ci\` (or \`make build\`) in ${root} first, then install it again.`,
  );
  process.exit(1);
}
rmSync(`${root}dist`, { recursive: true, force: true });
const { status, error } = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (error) throw error;
process.exit(status ?? 1);

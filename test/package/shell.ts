import { execFile } from 'node:child_process';
import { cp, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Helpers of the package tests, which run npm, tsc and node in projects outside the repository as a user would. */
const run = promisify(execFile);

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CONSUMERS = fileURLToPath(new URL('consumers/', import.meta.url));

/** What a user's shell has: none of npm's, tap's or the test's own loader settings. */
export const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|TAP|_TAPJS|NODE_OPTIONS$)/i.test(key)));

/** Runs a command in `cwd` with the user's environment; resolves to its stdout, rejects with its stderr on failure. */
export async function sh(command: string, args: string[], cwd: string): Promise<string> {
  const { stdout } = await run(command, args, { cwd, env: userEnv, maxBuffer: 16 << 20, timeout: 180_000 });
  return stdout;
}

/** A git repository holding the working tree's files (tracked and untracked, minus ignored ones), one commit. */
export async function snapshot(dir: string): Promise<void> {
  const listed = (await sh('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT)).split('\0').filter(Boolean);
  for (const path of listed) {
    const exists = await stat(join(ROOT, path)).then(
      () => true,
      () => false,
    );
    if (exists) await cp(join(ROOT, path), join(dir, path));
  }
  await sh('git', ['init', '-q'], dir);
  await sh('git', ['add', '-A'], dir);
  await sh('git', ['-c', 'user.name=sqlpin test', '-c', 'user.email=test@sqlpin.invalid', 'commit', '-q', '-m', 'snapshot'], dir);
}

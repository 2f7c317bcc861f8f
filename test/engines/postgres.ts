/**
 * A throwaway PostgreSQL server from a given bin dir: initdb, pg_ctl start on
 * 127.0.0.1 with its socket in the engine's dir, stopped by the postmaster's
 * pid (SIGINT: fast shutdown, since SIGTERM waits for every client to leave).
 */
import path from 'node:path';
import pg from 'pg';
import type { EngineContext } from './engine.js';
import { pidFromFile, run, systemUser, tail, type SystemUser } from './host.js';

/** Debian's own binaries, the same major as the main server. */
export const DEBIAN_POSTGRES_BIN = '/usr/lib/postgresql/15/bin';

/** PostgreSQL refuses to run as root; every server and tool runs as this user. */
export function postgresUser(): Promise<SystemUser> {
  return systemUser('postgres');
}

/** `postgres://postgres@127.0.0.1:<port>/<database>` */
export function postgresUrl(port: number, database = 'test'): string {
  return `postgres://postgres@127.0.0.1:${port}/${database}`;
}

/** Creates a cluster in `dataDir`: trust auth, superuser postgres, no fsync (nothing here needs to survive a crash). */
export async function initdb(bin: string, dataDir: string, user: SystemUser): Promise<void> {
  await run(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
    user,
    timeoutMillis: 60_000,
  });
}

/**
 * Starts the server of `dataDir` on `port`, waits until it accepts
 * connections, and tracks the postmaster. `settings` are extra `-c` options.
 */
export async function startPostgres(
  context: EngineContext,
  bin: string,
  dataDir: string,
  port: number,
  user: SystemUser,
  settings: readonly string[] = [],
): Promise<number> {
  const logFile = `${dataDir}.log`;
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${context.dir}`,
    '-c fsync=off',
    ...settings.map((s) => `-c ${s}`),
  ];
  // -w: pg_ctl returns once the server accepts connections (a hot standby included).
  const failure = await run(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', options.join(' '), 'start'], {
    user,
    timeoutMillis: 70_000,
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
  // Even a failed pg_ctl may have left a postmaster running: track whatever pid it wrote.
  const pid = await pidFromFile(path.join(dataDir, 'postmaster.pid'), failure === undefined ? 10_000 : 1_000).catch(() => undefined);
  if (pid !== undefined) context.track(pid, 'SIGINT');
  if (failure !== undefined || pid === undefined) {
    throw new Error(`PostgreSQL in ${dataDir} did not start on port ${port}\n${await tail(logFile)}`, { cause: failure });
  }
  return pid;
}

/** Runs one statement on a connection of its own and returns the rows. */
export async function queryOnce<Row = Record<string, unknown>>(url: string, text: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(text)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** Creates the `test` database the suites and the demo connect to. */
export async function createTestDatabase(port: number): Promise<void> {
  await queryOnce(postgresUrl(port, 'postgres'), 'CREATE DATABASE test');
}

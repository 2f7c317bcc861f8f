/**
 * A throwaway mariadbd from the machine's MariaDB: its own datadir, port,
 * socket and pid file in the engine's dir. Started as root with --user=mysql
 * (mariadbd switches user itself, so the pid is the server's own), stopped by
 * pid with SIGTERM.
 */
import { chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import mysql from 'mysql2/promise';
import type { EngineContext } from './engine.js';
import { GaveUp, isAlive, run, startDetached, systemUser, tail, waitUntil } from './host.js';

const MARIADBD = '/usr/sbin/mariadbd';

/** `mysql://<user>@127.0.0.1:<port>/<database>` */
export function mariadbUrl(port: number, { user = 'root', database = 'test' } = {}): string {
  return `mysql://${user}@127.0.0.1:${port}/${database}`;
}

/** Creates an empty datadir `<dir>/<name>` (system tables, root without a password, no test database). */
export async function installDataDir(context: EngineContext, name: string): Promise<string> {
  const dataDir = path.join(context.dir, name);
  // Bootstraps that run at once must not share a tmpdir: they trip over each other's temporary tables.
  const tmpDir = path.join(context.dir, `${name}.tmp`);
  const owner = await mysqlUser();
  await mkdir(tmpDir);
  await chown(tmpDir, owner.uid, owner.gid);
  await run(
    'mariadb-install-db',
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      '--user=mysql',
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      `--tmpdir=${tmpDir}`,
    ],
    { timeoutMillis: 60_000 },
  );
  return dataDir;
}

/**
 * Starts mariadbd on `<dir>/<name>` and waits until it answers on `port`.
 * `settings` are extra command-line options (server id, binlog, wsrep ...).
 */
export async function startMariadbd(
  context: EngineContext,
  name: string,
  port: number,
  settings: readonly string[],
  readyMillis = 30_000,
): Promise<number> {
  const file = (suffix: string) => path.join(context.dir, `${name}.${suffix}`);
  const pid = await startDetached(
    MARIADBD,
    [
      '--no-defaults',
      '--user=mysql',
      `--datadir=${path.join(context.dir, name)}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-name-resolve',
      `--socket=${file('sock')}`,
      `--pid-file=${file('pid')}`,
      `--log-error=${file('err')}`,
      `--tmpdir=${file('tmp')}`,
      '--innodb-buffer-pool-size=64M',
      '--innodb-log-file-size=16M',
      ...settings,
    ],
    { logFile: file('out') },
  );
  context.track(pid, 'SIGTERM');
  await waitUntil(
    `MariaDB ${name} answering on port ${port}`,
    readyMillis,
    async () => {
      if (!isAlive(pid)) throw new GaveUp(`mariadbd (pid ${pid}) exited`);
      return queryMariadb(mariadbUrl(port, { database: '' }), 'SELECT 1').then(() => true);
    },
    () => tail(file('err')),
  );
  return pid;
}

/** The mysql user mariadbd switches to; the engine's dir must be reachable by it. */
export function mysqlUser() {
  return systemUser('mysql');
}

/** Runs statements in order on a connection of its own; returns the rows of the last. */
export async function queryMariadb<Row = Record<string, unknown>>(url: string, ...statements: string[]): Promise<Row[]> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: 5_000 });
  try {
    let rows: unknown = [];
    for (const statement of statements) [rows] = await connection.query(statement);
    return Array.isArray(rows) ? (rows as Row[]) : [];
  } finally {
    await connection.end();
  }
}

/** A server variable or status value, read with SHOW (works for both). */
export async function showValue(url: string, kind: 'VARIABLES' | 'STATUS', name: string): Promise<string | undefined> {
  const rows = await queryMariadb<{ Value: string }>(
    url,
    `SHOW ${kind === 'STATUS' ? 'GLOBAL STATUS' : 'GLOBAL VARIABLES'} LIKE '${name}'`,
  );
  return rows[0]?.Value;
}

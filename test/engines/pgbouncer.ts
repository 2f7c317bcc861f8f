/**
 * PgBouncer (Debian's package, installed when missing) in front of the
 * machine's PostgreSQL, one database entry per pool mode. It refuses to run
 * as root, so it runs as postgres; SIGINT shuts it down at once.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startEngine, type Engine, type StartOptions } from './engine.js';
import { GaveUp, ensureDebianPackage, freePort, isAlive, startDetached, tail, waitUntil } from './host.js';
import { postgresUser, queryOnce } from './postgres.js';

const PGBOUNCER = '/usr/sbin/pgbouncer';

/** Server-side sessions per database entry and user: small, so tests can fill a pool. */
export const PGBOUNCER_POOL_SIZE = 2;

/**
 * A running PgBouncer: `transaction` and `session` reach the same database
 * (the one of PG_URL, default `test` on 127.0.0.1:5432) through
 * `pool_mode=transaction` and `pool_mode=session`.
 */
export type PgBouncer = Engine<{ transaction: string; session: string }>;

/** Starts PgBouncer on a free port and resolves once a query answers through each mode. */
export async function startPgBouncer(options: StartOptions = {}): Promise<PgBouncer> {
  await ensureDebianPackage('pgbouncer', PGBOUNCER);
  const user = await postgresUser();
  const server = new URL(process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
  return startEngine('pgbouncer', user, options, async (context) => {
    const port = await freePort();
    const file = (name: string) => path.join(context.dir, name);
    const target = `host=${server.hostname} port=${server.port || 5432} dbname=${server.pathname.slice(1) || 'postgres'} user=${decodeURIComponent(server.username) || 'postgres'}`;
    await writeFile(file('users.txt'), '"postgres" ""\n');
    await writeFile(
      file('pgbouncer.ini'),
      [
        '[databases]',
        `sqlpin_tx = ${target} pool_mode=transaction`,
        `sqlpin_session = ${target} pool_mode=session`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${file('users.txt')}`,
        `default_pool_size = ${PGBOUNCER_POOL_SIZE}`,
        `logfile = ${file('pgbouncer.log')}`,
        '',
      ].join('\n'),
    );
    const pid = await startDetached(PGBOUNCER, [file('pgbouncer.ini')], { logFile: file('pgbouncer.out'), user });
    context.track(pid, 'SIGINT');
    const urls = {
      transaction: `postgres://postgres@127.0.0.1:${port}/sqlpin_tx`,
      session: `postgres://postgres@127.0.0.1:${port}/sqlpin_session`,
    };
    for (const url of Object.values(urls)) {
      await waitUntil(
        `PgBouncer answering at ${url}`,
        15_000,
        async () => {
          if (!isAlive(pid)) throw new GaveUp(`pgbouncer (pid ${pid}) exited`);
          return queryOnce(url, 'SELECT 1').then(() => true);
        },
        async () => `${await tail(file('pgbouncer.out'))}\n${await tail(file('pgbouncer.log'))}`,
      );
    }
    return urls;
  });
}

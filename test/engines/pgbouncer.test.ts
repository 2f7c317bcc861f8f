import t from 'tap';
import { testPool } from '../helpers/pools.js';
import { startPgBouncer } from './pgbouncer.js';

/**
 * PgBouncer in front of the main PostgreSQL, reached with a plain
 * `createPool`: one-shot queries and transactions through both pool modes.
 * Pinning a session through `pool_mode=transaction` (the `pooler` option) is
 * not covered here: without it, a pinned callback's statements may run on
 * different server sessions, which this file shows instead of hiding.
 */
const bouncer = await startPgBouncer();
t.teardown(() => bouncer.stop());
t.comment(`PgBouncer ready in ${bouncer.startupSeconds} s`);

const backend = 'SELECT pg_backend_pid() AS pid';

for (const mode of ['transaction', 'session'] as const) {
  t.test(`pool_mode=${mode}: a query and a transaction through a plain pool`, async (t) => {
    const db = testPool(t, bouncer.urls[mode], { max: 2 });
    const { rows } = await db.query<{ one: number; db: string }>('SELECT 1 AS one, current_database() AS db');
    t.same(rows, [{ one: 1, db: 'test' }], 'answered by the server behind PgBouncer');
    const pids = await db.transaction(async (tx) => [
      (await tx.query<{ pid: number }>(backend)).rows[0]!.pid,
      (await tx.query<{ pid: number }>(backend)).rows[0]!.pid,
    ]);
    t.equal(pids[0], pids[1], 'a transaction stays on one server session in either mode');
  });
}

t.test('pool_mode=session: a pinned callback keeps its server session, and SET stays on it', async (t) => {
  const db = testPool(t, bouncer.urls.session, { max: 2 });
  const seen = await db.withConnection(async (conn) => {
    await conn.query("SET application_name = 'sqlpin-pinned'");
    const first = (await conn.query<{ pid: number }>(backend)).rows[0]!.pid;
    const second = (await conn.query<{ pid: number; name: string }>(`${backend}, current_setting('application_name') AS name`)).rows[0]!;
    return { same: first === second.pid, name: second.name };
  });
  t.same(seen, { same: true, name: 'sqlpin-pinned' });
});

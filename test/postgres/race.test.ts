import t from 'tap';
import pg from 'pg';
import { ForeignKeyTruncateError } from '../../lib/index.js';
import { createScratch } from '../helpers/servers.js';
import { scratchPool, warm } from '../helpers/pools.js';
import { createShapes, rowCounts, seed } from '../helpers/tables.js';
import { nextTwo, onSession, pinBoth, waitFor } from '../helpers/two-sessions.js';
import { racyTries } from '../helpers/env.js';

/**
 * PostgreSQL's form of the bug: a plain TRUNCATE of a referenced table fails
 * (0A000), and the session-level escape hatch (session_replication_role =
 * replica, which stops FK enforcement) sent as a separate pooled call lands on
 * another session and stays there.
 */
const TRIES = racyTries(10);
/** Sessions waiting for a lock that the given session holds: other test runs share the server. */
const BLOCKED_BY = 'SELECT pid FROM pg_stat_activity WHERE $1::int = ANY (pg_blocking_pids(pid))';

t.test('postgres: session settings and TRUNCATE as two pooled calls', async (t) => {
  const scratch = await createScratch('postgres', 'race');
  t.teardown(() => scratch.drop());
  await createShapes(scratch);
  const db = scratchPool(t, scratch, { min: 2, max: 2, order: 'fifo' });
  await warm(db, 2);
  const roles = () =>
    pinBoth(db, async (conn) => (await conn.query<{ v: string }>("SELECT current_setting('session_replication_role') AS v")).rows[0]!.v);

  t.test(`the naive approach fails ${TRIES} of ${TRIES} and poisons the other session`, async (t) => {
    let failed = 0;
    for (let i = 0; i < TRIES; i++) {
      await seed(scratch, { parent: 2 });
      const [setOn] = await nextTwo(db);
      const error = await db
        .query('SET session_replication_role = replica')
        .then(() => db.query('TRUNCATE parent'))
        .then(
          () => undefined,
          (e: { code?: string }) => e,
        );
      if (error?.code === '0A000') failed++;
      const orphan = await onSession(db, setOn, (conn) => conn.query("INSERT INTO child (parent_id, name) VALUES (999, 'orphan')")).then(
        () => 'inserted',
        () => 'refused',
      );
      t.equal(orphan, 'inserted', `try ${i + 1}: an orphan insert succeeds on the SET's session ${setOn}`);
      await onSession(db, setOn, async (conn) => {
        await conn.query('SET session_replication_role = origin');
        await conn.query('DELETE FROM child');
      });
    }
    t.equal(failed, TRIES, `SQLSTATE 0A000 in ${failed} of ${TRIES}`);
  });

  t.test(`db.truncate succeeds ${TRIES} of ${TRIES} and leaves every session clean`, async (t) => {
    let emptied = 0;
    for (let i = 0; i < TRIES; i++) {
      await seed(scratch, { parent: 2 });
      await db.truncate('parent');
      if ((await rowCounts(scratch, ['parent'])).parent === 0) emptied++;
    }
    t.equal(emptied, TRIES);
    t.same(await roles(), ['origin', 'origin']);
    const refused = await pinBoth(db, (conn) =>
      conn.query("INSERT INTO child (parent_id, name) VALUES (999, 'orphan')").then(
        () => 'inserted',
        (e: { code?: string }) => e.code,
      ),
    );
    t.same(refused, ['23503', '23503'], 'an orphan insert fails on every session');
  });

  t.test('a truncate cancelled while it waits for its lock changes nothing and leaves no open transaction', async (t) => {
    await seed(scratch, { parent: 2 });
    await scratch.admin('BEGIN');
    await scratch.admin('LOCK TABLE parent IN ACCESS SHARE MODE');
    const truncating = db.truncate('parent').then(
      () => undefined,
      (e: { code?: string }) => e,
    );
    const [{ admin }] = (await scratch.admin('SELECT pg_backend_pid() AS admin')) as [{ admin: number }];
    const pid = await waitFor(async () => {
      const rows = await scratch.admin(BLOCKED_BY, [admin]);
      return rows[0]?.pid as number | undefined;
    });
    await scratch.admin('SELECT pg_cancel_backend($1)', [pid]);
    const error = await truncating;
    await scratch.admin('COMMIT');
    t.equal(error?.code, '57014', 'the truncate was cancelled (query_canceled)');
    t.same(await rowCounts(scratch, ['parent']), { parent: 2 }, 'nothing changed');
    const state = await scratch.admin('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]);
    t.same(state, [{ state: 'idle' }], 'the session went back idle, outside any transaction');
  });

  t.test('rows committed into a referencing table while truncate waits for its lock are never lost', async (t) => {
    await seed(scratch, { parent: 2 });
    const writer = new pg.Client({ connectionString: scratch.url });
    await writer.connect();
    t.teardown(() => writer.end());
    await writer.query('BEGIN');
    await writer.query("INSERT INTO child (parent_id, name) VALUES (1, 'committed while waiting')");
    const truncating = db.truncate('parent').then(
      () => undefined,
      (e: unknown) => e,
    );
    const holder = (await writer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await waitFor(async () => {
      const rows = await scratch.admin(BLOCKED_BY, [holder]);
      return rows.length > 0 ? true : undefined;
    });
    await writer.query('COMMIT');
    const error = await truncating;
    t.ok(error instanceof ForeignKeyTruncateError, 'the committed row is seen under the lock');
    t.same(await rowCounts(scratch, ['parent', 'child']), { parent: 2, child: 1 }, 'no row was lost');
  });
});

import t from 'tap';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createPool, ReadOnlyServerError } from '../../lib/index.js';
import { holdsWithin, until } from '../helpers/pools.js';
import { startMariadbReplica } from './mariadb-replica.js';
import { startPostgresReplica } from './postgres-replica.js';

/**
 * truncate aimed at a read-only server fails with ReadOnlyServerError before
 * anything that could half-work is sent, and nothing changes anywhere. Each
 * replica gets a pool of its own; sqlpin never routes.
 */
t.test('mariadb primary and replica', async (t) => {
  const pair = await startMariadbReplica();
  t.teardown(() => pair.stop());
  t.comment(`pair ready in ${pair.startupSeconds} s`);
  const primary = await mysql.createConnection({ uri: pair.urls.primary });
  const replica = await mysql.createConnection({ uri: pair.urls.replica });
  t.teardown(() => Promise.all([primary.end(), replica.end()]));
  await primary.query('CREATE TABLE parent (id INT AUTO_INCREMENT PRIMARY KEY)');
  await primary.query(
    'CREATE TABLE child (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT, FOREIGN KEY (parent_id) REFERENCES parent (id))',
  );
  await primary.query('CREATE TABLE empty_one (id INT AUTO_INCREMENT PRIMARY KEY)');
  await primary.query('INSERT INTO parent VALUES (1), (2)');
  await primary.query('INSERT INTO child (parent_id) VALUES (1)');
  const counts = async (conn: mysql.Connection) => {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      'SELECT (SELECT COUNT(*) FROM parent) AS parent, (SELECT COUNT(*) FROM child) AS child',
    );
    return { parent: Number(rows[0]!.parent), child: Number(rows[0]!.child) };
  };
  await until(async () => (await counts(replica).catch(() => ({ parent: 0, child: 0 }))).child === 1, 15_000);

  const db = createPool({ url: pair.urls.replicaUser, max: 2 });
  t.teardown(() => db.close());
  for (const [label, tables] of [
    ['a table with rows', 'parent'],
    ['a table already clean', 'empty_one'],
  ] as const) {
    const error = await db.truncate(tables).catch((e: unknown) => e);
    t.type(error, ReadOnlyServerError, `${label}: ReadOnlyServerError`);
    t.match(error, { code: 'ERR_READ_ONLY', message: /read-only \(read_only is on/, cause: { errno: 1290 } });
  }
  const cascade = await db.truncate('parent', { cascade: true }).catch((e: unknown) => e);
  t.type(cascade, ReadOnlyServerError, 'cascade too');
  t.same(await counts(replica), { parent: 2, child: 1 }, 'nothing changed on the replica');
  t.same(await counts(primary), { parent: 2, child: 1 }, 'nothing changed on the primary');
  const checks = await Promise.all(
    [1, 2].map(() =>
      db.withConnection(async (conn) => Number((await conn.query<{ v: number }>('SELECT @@foreign_key_checks AS v')).rows[0]!.v)),
    ),
  );
  t.same(checks, [1, 1], 'FK checks on every session of the replica pool');
  const [status] = await replica.query<mysql.RowDataPacket[]>('SHOW SLAVE STATUS');
  t.same([status[0]!.Slave_IO_Running, status[0]!.Slave_SQL_Running], ['Yes', 'Yes'], 'replication still running');

  const writes = createPool({ url: pair.urls.primary, max: 1 });
  t.teardown(() => writes.close());
  await writes.truncate('parent', { cascade: true });
  // The replica applies the emptying statement by statement, without the primary's table locks, so a reader
  // there may see one table emptied before the other: wait for both.
  const emptied = async () => {
    const now = await counts(replica);
    return now.parent === 0 && now.child === 0;
  };
  await holdsWithin(emptied, 15_000);
  t.same(await counts(replica), { parent: 0, child: 0 }, 'a pool on the primary truncates, and the replica follows');
});

t.test('postgresql primary and streaming standby', async (t) => {
  const pair = await startPostgresReplica();
  t.teardown(() => pair.stop());
  t.comment(`pair ready in ${pair.startupSeconds} s`);
  const primary = new pg.Client({ connectionString: pair.urls.primary });
  const replica = new pg.Client({ connectionString: pair.urls.replica });
  await primary.connect();
  await replica.connect();
  t.teardown(() => Promise.all([primary.end(), replica.end()]));
  await primary.query(
    'CREATE TABLE parent (id SERIAL PRIMARY KEY); CREATE TABLE child (id SERIAL PRIMARY KEY, parent_id INT REFERENCES parent (id))',
  );
  await primary.query('INSERT INTO parent DEFAULT VALUES; INSERT INTO parent DEFAULT VALUES; INSERT INTO child (parent_id) VALUES (1)');
  const counts = async (client: pg.Client) => {
    const { rows } = await client.query<{ parent: string; child: string }>(
      'SELECT (SELECT count(*) FROM parent) AS parent, (SELECT count(*) FROM child) AS child',
    );
    return { parent: Number(rows[0]!.parent), child: Number(rows[0]!.child) };
  };
  await until(async () => (await counts(replica).catch(() => ({ parent: 0, child: 0 }))).child === 1, 15_000);

  t.test('a standby in recovery', async (t) => {
    const db = createPool({ url: pair.urls.replica, max: 1 });
    t.teardown(() => db.close());
    for (const options of [undefined, { cascade: true }]) {
      const error = await db.truncate(['parent', 'child'], options).catch((e: unknown) => e);
      t.type(error, ReadOnlyServerError);
      t.match(error, { code: 'ERR_READ_ONLY', message: /read-only \(a standby in recovery\)/ });
    }
    t.same((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'the session is still usable');
    t.same(await counts(replica), { parent: 2, child: 1 });
    t.same(await counts(primary), { parent: 2, child: 1 }, 'nothing changed on the primary');
  });

  t.test('default_transaction_read_only on a writable server', async (t) => {
    const url = new URL(pair.urls.primary);
    url.searchParams.set('options', '-c default_transaction_read_only=on');
    const db = createPool({ url: url.toString(), max: 1 });
    t.teardown(() => db.close());
    const error = await db.truncate('parent', { cascade: true }).catch((e: unknown) => e);
    t.type(error, ReadOnlyServerError);
    t.match(error, { message: /default_transaction_read_only is on/, cause: { code: '25006' } });
    t.same(await counts(primary), { parent: 2, child: 1 });
  });

  t.test("a READ ONLY transaction of the caller's keeps the server's own error", async (t) => {
    const db = createPool({ url: pair.urls.primary, max: 1 });
    t.teardown(() => db.close());
    const error = await db
      .withConnection(async (conn) => {
        await conn.query('BEGIN READ ONLY');
        try {
          await conn.truncate('child');
        } finally {
          await conn.query('ROLLBACK');
        }
      })
      .catch((e: unknown) => e);
    t.notOk(error instanceof ReadOnlyServerError, 'the server is writable');
    t.match(error, { code: '25006' });
    t.same(await counts(primary), { parent: 2, child: 1 });
  });
});

import t from 'tap';
import mysql from 'mysql2/promise';
import { createPool, LockTimeoutError } from '../../lib/index.js';
import { startMariadbLockInfo } from './mariadb-lock-info.js';

/**
 * On a MariaDB that can tell (METADATA_LOCK_INFO loaded), LockTimeoutError
 * names the sessions that hold locks on the target tables, and only those: not
 * a session with an open transaction on another table, nor one in another
 * database. The main server cannot tell, so there the same suites check that
 * the error names no one and says so.
 */
const server = await startMariadbLockInfo();
t.teardown(() => server.stop());
t.comment(`server ready in ${server.startupSeconds} s`);
// The shared suite reaches its server through MYSQL_URL, read when its helpers load.
process.env.MYSQL_URL = server.urls.root;
const { lockTimeoutsSuite } = await import('../shared/lock-timeouts.js');
lockTimeoutsSuite('mysql');

t.test('the holder is named, and bystanders with open transactions are not', async (t) => {
  const open = () => mysql.createConnection({ uri: server.urls.root });
  const setup = await open();
  t.teardown(() => setup.end());
  await setup.query('CREATE DATABASE sqlpin_elsewhere');
  t.teardown(() => setup.query('DROP DATABASE IF EXISTS sqlpin_elsewhere'));
  await setup.query('CREATE TABLE test.target (id INT PRIMARY KEY)');
  await setup.query('CREATE TABLE test.unrelated (id INT PRIMARY KEY)');
  await setup.query('CREATE TABLE sqlpin_elsewhere.other (id INT PRIMARY KEY)');
  t.teardown(() => setup.query('DROP TABLE IF EXISTS test.target, test.unrelated'));
  await setup.query('INSERT INTO test.target VALUES (1), (2)');

  const [holder, sameDatabase, otherDatabase] = await Promise.all([open(), open(), open()]);
  t.teardown(() => Promise.all([holder, sameDatabase, otherDatabase].map((c) => c.end())));
  await holder.query('BEGIN');
  await holder.query('SELECT * FROM test.target');
  await sameDatabase.query('BEGIN');
  await sameDatabase.query('INSERT INTO test.unrelated VALUES (1)');
  await otherDatabase.query('BEGIN');
  await otherDatabase.query('INSERT INTO sqlpin_elsewhere.other VALUES (1)');

  const db = createPool({ url: server.urls.root, max: 1 });
  t.teardown(() => db.close());
  const error = await db.truncate('target', { lockTimeoutMillis: 300 }).catch((e: unknown) => e);
  t.type(error, LockTimeoutError, 'LockTimeoutError');
  const { blockers, blockersKnown } = error as LockTimeoutError;
  t.equal(blockersKnown, true, 'the server can tell');
  t.same(
    blockers.map((b) => b.id),
    [holder.threadId],
    `only the holder is named (holder ${holder.threadId}, bystanders ${sameDatabase.threadId}, ${otherDatabase.threadId})`,
  );
  await holder.query('ROLLBACK');
  const [rows] = await setup.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM test.target');
  t.equal(Number(rows[0]!.n), 2, 'nothing was emptied');
  await Promise.all([sameDatabase.query('ROLLBACK'), otherDatabase.query('ROLLBACK')]);
});

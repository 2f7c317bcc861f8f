import t from 'tap';
import mysql from 'mysql2/promise';
import { createPool, type Pool } from '../../lib/index.js';
import { startGalera } from './galera.js';
import { until } from '../helpers/pools.js';

/**
 * sqlpin on a throwaway 3-node MariaDB Galera cluster: truncate on one node
 * is final on every node, even when that node trails the cluster; sqlpin's
 * own reads survive deadlocks; certification conflicts reach the caller as
 * 1213 and leave the session usable. An engine that cannot start fails the test.
 */
const REPETITIONS = 5;
const BURST_ROWS = 50_000;

t.test('galera', async (t) => {
  const galera = await startGalera();
  t.teardown(() => galera.stop());
  t.comment(`cluster synced in ${galera.startupSeconds} s`);
  const urls = [galera.urls.node1, galera.urls.node2, galera.urls.node3].map((url) => url.replace(/\/test$/, '/scale'));
  const admins = await Promise.all([galera.urls.node1, galera.urls.node2, galera.urls.node3].map((uri) => mysql.createConnection({ uri })));
  t.teardown(() => Promise.all(admins.map((admin) => admin.end())));
  const [admin1] = admins;
  await admin1!.query('CREATE DATABASE scale');
  await admin1!.query('USE scale');
  for (const admin of admins)
    await until(async () => (await admin.query<mysql.RowDataPacket[]>("SHOW DATABASES LIKE 'scale'"))[0].length === 1, 10_000).then(() =>
      admin.query('USE scale'),
    );
  await admin1!.query('CREATE TABLE parent (id INT AUTO_INCREMENT PRIMARY KEY, v INT)');
  await admin1!.query(
    'CREATE TABLE child (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT NOT NULL, FOREIGN KEY (parent_id) REFERENCES parent (id))',
  );
  await admin1!.query('CREATE TABLE burst (id INT AUTO_INCREMENT PRIMARY KEY, v INT, pad CHAR(50))');
  await admin1!.query('CREATE TABLE counter (id INT PRIMARY KEY, v INT)');
  await admin1!.query('INSERT INTO counter VALUES (1, 0)');
  const count = async (node: number, table: string) =>
    Number((await admins[node]!.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${table}`))[0][0]!.n);
  /** Every node has applied everything committed so far: a causal read on each. */
  const settled = async () => {
    for (const admin of admins) await admin.query('SET STATEMENT wsrep_sync_wait = 1 FOR SELECT 1 FROM parent LIMIT 1');
  };
  const rowsLeft = async (table: string) => {
    await settled();
    return [await count(0, table), await count(1, table), await count(2, table)];
  };
  const pool = (node: number, options = {}): Pool => {
    const db = createPool({ url: urls[node]!, max: 2, ...options });
    t.teardown(() => db.close());
    return db;
  };

  t.test('the node is recognised as Galera: ids step by the cluster size', async (t) => {
    const db = pool(0);
    await db.query('INSERT INTO parent (v) VALUES (1), (2)');
    const { rows } = await db.query<{ id: number }>('SELECT id FROM parent ORDER BY id');
    t.equal(rows[1]!.id - rows[0]!.id, 3, 'auto_increment_increment is 3');
    await db.truncate('parent');
    t.same(await rowsLeft('parent'), [0, 0, 0]);
  });

  t.test(`lagging node, a truncate that would be skipped: ${REPETITIONS} repetitions`, async (t) => {
    const db = pool(0);
    let trailed = 0;
    for (let i = 1; i <= REPETITIONS; i++) {
      await db.truncate(['child', 'parent', 'burst']);
      await settled();
      // Node 2 commits a burst, then one row into parent; node 1's applier is still busy with the burst.
      await admins[1]!.query(`INSERT INTO burst (v, pad) SELECT seq, 'x' FROM seq_1_to_${BURST_ROWS}`);
      await admins[1]!.query('INSERT INTO parent (v) VALUES (1)');
      // The setup's own check: node 1's plain local read does not see the row yet.
      if ((await count(0, 'parent')) === 0) trailed++;
      await db.truncate('parent');
      t.same(await rowsLeft('parent'), [0, 0, 0], `repetition ${i}: rows left on nodes 1/2/3`);
    }
    t.ok(trailed > 0, `node 1's local view trailed the cluster in ${trailed} of ${REPETITIONS} repetitions`);
  });

  t.test(`lagging node, a truncate with work to do: ${REPETITIONS} repetitions`, async (t) => {
    const db = pool(0);
    for (let i = 1; i <= REPETITIONS; i++) {
      await db.truncate(['child', 'parent', 'burst']);
      await db.query('INSERT INTO parent (v) VALUES (1)');
      await settled();
      const [rows] = await admins[1]!.query<mysql.RowDataPacket[]>('SELECT id FROM parent');
      await admins[1]!.query(`INSERT INTO burst (v, pad) SELECT seq, 'x' FROM seq_1_to_${BURST_ROWS}`);
      await admins[1]!.query('INSERT INTO child (parent_id) VALUES (?)', [rows[0]!.id]);
      // parent has rows everywhere; child is empty in node 1's trailing view.
      await db.truncate('parent', { cascade: true });
      t.same(
        [await rowsLeft('parent'), await rowsLeft('child')],
        [
          [0, 0, 0],
          [0, 0, 0],
        ],
        `repetition ${i}: parent and child rows left on nodes 1/2/3`,
      );
    }
  });

  t.test('a certification conflict reaches the caller as 1213 and the session stays usable', async (t) => {
    const db = pool(0, { max: 1 });
    await db.truncate('parent');
    await db.query('INSERT INTO parent (id, v) VALUES (1, 0)');
    await settled();
    const id = await db.withConnection((conn) => conn.sessionId);
    const error = await db
      .transaction(async (tx) => {
        await tx.query('UPDATE parent SET v = 1 WHERE id = 1');
        // Node 2 commits a conflicting write first: certification aborts this transaction.
        await admins[1]!.query('UPDATE parent SET v = 2 WHERE id = 1');
        await tx.query('SELECT v FROM parent WHERE id = 1');
      })
      .catch((e: { errno?: number }) => e);
    t.equal((error as { errno?: number } | undefined)?.errno, 1213, 'the server error, unchanged');
    t.equal(await db.withConnection((conn) => conn.sessionId), id, 'the same session is still in the pool');
    t.same((await db.query('SELECT v FROM parent WHERE id = 1')).rows, [{ v: 2 }], 'and it answers');
  });

  t.test("a truncate on node 1 aborts node 2's open transaction on the table with 1213", async (t) => {
    const db1 = pool(0);
    const db2 = pool(1, { max: 1 });
    await db1.truncate(['child', 'parent']);
    // A row everywhere, so the truncate has work to do and replicates.
    await db1.query('INSERT INTO parent (v) VALUES (4)');
    await settled();
    const error = await db2
      .transaction(async (tx) => {
        await tx.query('INSERT INTO parent (v) VALUES (5)');
        await db1.truncate('parent');
        await tx.query('SELECT COUNT(*) FROM parent');
      })
      .catch((e: { errno?: number }) => e);
    t.equal((error as { errno?: number } | undefined)?.errno, 1213, 'node 2 must retry its own transaction');
    t.same((await db2.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'its session stays usable');
    t.same(await rowsLeft('parent'), [0, 0, 0]);
  });

  t.test('under concurrent load, deadlocks on sqlpin reads are retried, never surfaced', async (t) => {
    const nodes = [pool(0, { max: 4 }), pool(1, { max: 4 })];
    const surfaced: { errno?: number; sql?: string }[] = [];
    let truncates = 0;
    const deadline = Date.now() + 60_000;
    const caller = async (n: number) => {
      const db = nodes[n % 2]!;
      for (let i = 0; i < 60 || (nodes.every((d) => d.stats().retriedReads === 0) && Date.now() < deadline); i++) {
        try {
          if ((n + i) % 3 === 0) {
            await db.truncate(['child', 'parent'], { cascade: true });
            truncates++;
          } else {
            await db.transaction(async (tx) => {
              const { rows } = await tx.query<{ id: number }>('SELECT id FROM parent ORDER BY id DESC LIMIT 1');
              await tx.query('INSERT INTO parent (v) VALUES (?)', [n]);
              if (rows[0] !== undefined) await tx.query('INSERT INTO child (parent_id) VALUES (?)', [rows[0].id]).catch(() => undefined);
            });
          }
        } catch (error) {
          // A truncate statement the cluster interrupted (1317, a brute-force abort for another node's
          // TRUNCATE) reaches the caller as QueryCancelledError, the server's error as its cause.
          const cancelled = (error as { code?: string }).code === 'ERR_QUERY_CANCELLED';
          surfaced.push((cancelled ? (error as Error).cause : error) as { errno?: number; sql?: string });
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, n) => caller(n)));
    const retried = nodes[0]!.stats().retriedReads + nodes[1]!.stats().retriedReads;
    const byErrno: Record<string, number> = {};
    for (const e of surfaced) byErrno[String(e.errno)] = (byErrno[String(e.errno)] ?? 0) + 1;
    t.comment(
      `${truncates} truncates; read steps retried ${retried} times; errors that reached callers by errno: ${JSON.stringify(byErrno)}`,
    );
    t.ok(retried > 0, 'deadlocks on read-only steps happened and were retried');
    t.ok(
      surfaced.every((e) => typeof e.sql === 'string'),
      'every surfaced error names its statement',
    );
    const fromReads = surfaced.filter(
      (e) => e.errno === 1213 && /^\s*(SET STATEMENT|SELECT)/i.test(e.sql ?? '') && /information_schema|EXISTS/i.test(e.sql ?? ''),
    );
    t.same(fromReads, [], "no deadlock on sqlpin's own reads reached a caller");
    t.ok(
      surfaced.every((e) => e.errno === 1213 || e.errno === 1317),
      'what reached callers is the server conflict errors only',
    );
    for (const db of nodes) {
      const checks = await Promise.all(
        [1, 2, 3, 4].map(() =>
          db.withConnection(async (conn) => (await conn.query<{ v: number }>('SELECT @@foreign_key_checks AS v')).rows[0]!.v),
        ),
      );
      t.ok(
        checks.every((v) => Number(v) === 1),
        'FK checks restored on every session',
      );
    }
    await nodes[0]!.truncate(['child', 'parent'], { cascade: true });
    t.same(await rowsLeft('parent'), [0, 0, 0], 'all nodes agree at the end');
  });
});

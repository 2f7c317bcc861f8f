import t from 'tap';
import type { Pool } from '../../lib/index.js';
import { scratchPool, testPool, until } from '../helpers/pools.js';
import { createScratch, scratchUrlOn } from '../helpers/servers.js';
import { createShapes, seed } from '../helpers/tables.js';
import { mysqlRaceSuite } from '../shared/race.js';
import { truncateSuite } from '../shared/truncate.js';
import { startGalera } from './galera.js';

/**
 * sqlpin on a three-node Galera cluster: the truncate rules and the race on
 * node 1, what node 1's truncate does on nodes 2 and 3, and certification
 * conflicts. Other nodes trail by a few ms, so reads there poll.
 */
const galera = await startGalera();
t.teardown(() => galera.stop());
t.comment(`Galera ready in ${galera.startupSeconds} s`);

truncateSuite('mysql', galera.urls.node1);
mysqlRaceSuite(galera.urls.node1, { killQuery: false });

/** Rows of `table` as one node sees them. */
async function countOn(db: Pool, table: string): Promise<number> {
  return Number((await db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0]!.n);
}

/** Polls until every node sees `expected` rows in each table. */
async function seenEverywhere(nodes: readonly Pool[], expected: Record<string, number>): Promise<void> {
  await until(async () => {
    for (const db of nodes) for (const [table, rows] of Object.entries(expected)) if ((await countOn(db, table)) !== rows) return false;
    return true;
  });
}

/** The row counts of `tables` on each node, as it shows them now. */
async function countsOn(nodes: readonly Pool[], tables: readonly string[]): Promise<Record<string, number>[]> {
  return Promise.all(
    nodes.map(async (db) => Object.fromEntries(await Promise.all(tables.map(async (table) => [table, await countOn(db, table)])))),
  );
}

t.test('galera: truncate on node 1 as seen on nodes 2 and 3', async (t) => {
  const scratch = await createScratch('mysql', 'galera', galera.urls.node1);
  t.teardown(() => scratch.drop());
  await createShapes(scratch);
  const node1 = scratchPool(t, scratch, { max: 2 });
  const node2 = testPool(t, scratchUrlOn(scratch, galera.urls.node2), { max: 2 });
  const node3 = testPool(t, scratchUrlOn(scratch, galera.urls.node3), { max: 2 });
  const everyNode = [node1, node2, node3];

  t.test('the parent is emptied on every node, its referencing rows stay, and FK checks are back on the session', async (t) => {
    await seed(scratch, { parent: 3, child: 2, bystander: 1 });
    await seenEverywhere(everyNode, { parent: 3, child: 2, bystander: 1 });
    const checks = await node1.withConnection(async (conn) => {
      await conn.truncate('parent');
      return Number((await conn.query<{ v: unknown }>('SELECT @@foreign_key_checks AS v')).rows[0]!.v);
    });
    t.equal(checks, 1, 'FOREIGN_KEY_CHECKS restored on the session that truncated');
    await seenEverywhere(everyNode, { parent: 0, child: 2, bystander: 1 });
    t.same(
      await countsOn(everyNode, ['parent', 'child', 'bystander']),
      Array(3).fill({ parent: 0, child: 2, bystander: 1 }),
      'parent empty on nodes 1, 2 and 3; child and bystander untouched',
    );
    const orphan = await node2.query("INSERT INTO child (parent_id, name) VALUES (999, 'orphan')").then(
      () => 0,
      (e: { errno?: number }) => e.errno,
    );
    t.equal(orphan, 1452, 'FK checks are enforced on node 2 too');
  });

  t.test('cascade empties the chain on every node', async (t) => {
    await seed(scratch, { parent: 3, child: 2, grandchild: 2 });
    await seenEverywhere(everyNode, { parent: 3, child: 2, grandchild: 2 });
    await node1.truncate('parent', { cascade: true });
    await seenEverywhere(everyNode, { parent: 0, child: 0, grandchild: 0 });
    t.same(
      await countsOn(everyNode, ['parent', 'child', 'grandchild']),
      Array(3).fill({ parent: 0, child: 0, grandchild: 0 }),
      'parent, child and grandchild empty on nodes 1, 2 and 3',
    );
  });

  t.test('a truncate on node 1 aborts an open transaction on node 2: 1213 reaches its caller, the session stays usable', async (t) => {
    await seed(scratch, { parent: 3 });
    await seenEverywhere(everyNode, { parent: 3 });
    const single = testPool(t, scratchUrlOn(scratch, galera.urls.node2), { max: 1 });
    const before = await single.withConnection(async (conn) => conn.sessionId);
    const failure = await single
      .transaction(async (tx) => {
        await tx.query("INSERT INTO parent (name) VALUES ('uncommitted on node 2')");
        await node1.truncate('parent');
        // Node 2 applies the TRUNCATE a few ms later, aborting this transaction as it does.
        await seenEverywhere([node2], { parent: 0 });
        await tx.query("INSERT INTO parent (name) VALUES ('after the abort')");
      })
      .then(
        () => undefined,
        (e: { errno?: number }) => e,
      );
    t.equal(failure?.errno, 1213, "the server's deadlock error, as the certification conflict reports it");
    const after = await single.withConnection(async (conn) => ({
      id: conn.sessionId,
      inTransaction: Number((await conn.query<{ v: unknown }>('SELECT @@in_transaction AS v')).rows[0]!.v),
    }));
    t.same(after, { id: before, inTransaction: 0 }, 'the same session, outside any transaction');
    await seenEverywhere(everyNode, { parent: 0 });
    t.same(await countsOn(everyNode, ['parent']), Array(3).fill({ parent: 0 }), 'nothing of the aborted transaction reached any node');
  });

  t.test('a certification conflict between two nodes is retried with { retries }, and both writes land', async (t) => {
    await seed(scratch, { parent: 1 });
    await seenEverywhere(everyNode, { parent: 1 });
    const [{ id }] = (await node1.query<{ id: unknown }>('SELECT MIN(id) AS id FROM parent')).rows as [{ id: unknown }];
    let arrived = 0;
    let meet!: () => void;
    const together = new Promise<void>((resolve) => (meet = resolve));
    const attempts = [0, 0];
    const rename = (db: Pool, me: number) =>
      db.transaction(
        async (tx) => {
          attempts[me]! += 1;
          const name = String((await tx.query<{ name: string }>('SELECT name FROM parent WHERE id = ?', [id])).rows[0]!.name);
          if (attempts[me] === 1 && ++arrived === 2) meet();
          if (attempts[me] === 1) await together;
          await tx.query('UPDATE parent SET name = ? WHERE id = ?', [`${name}+${me + 1}`, id]);
        },
        { retries: 5 },
      );
    await t.resolves(Promise.all([rename(node1, 0), rename(node2, 1)]), 'both transactions resolve');
    t.ok(
      attempts.some((made) => made > 1),
      `the conflict was retried (${attempts.join(', ')} attempts)`,
    );
    await until(
      async () => (await node3.query<{ name: string }>('SELECT name FROM parent WHERE id = ?', [id])).rows[0]!.name.split('+').length === 3,
    );
    const name = (await node3.query<{ name: string }>('SELECT name FROM parent WHERE id = ?', [id])).rows[0]!.name;
    t.same(name.split('+').slice(1).sort(), ['1', '2'], 'both writes landed, one after the other, as node 3 sees it');
  });

  t.test('clean tables are skipped correctly with auto_increment_increment = 3, through every node', async (t) => {
    const storage = async (db: Pool) =>
      (
        await db.query<{ id: unknown }>('SELECT TABLE_ID AS id FROM information_schema.INNODB_SYS_TABLES WHERE NAME = ?', [
          `${scratch.name}/bystander`,
        ])
      ).rows[0]!.id;
    for (const [i, db] of everyNode.entries()) {
      const step = Number((await db.query<{ v: unknown }>('SELECT @@auto_increment_increment AS v')).rows[0]!.v);
      const offset = Number((await db.query<{ v: unknown }>('SELECT @@auto_increment_offset AS v')).rows[0]!.v);
      t.same([step, offset], [3, i + 1], `node ${i + 1}: ids step by 3 from ${i + 1}`);

      await db.truncate('bystander');
      await db.query("INSERT INTO bystander (name) VALUES ('a'), ('b')");
      await db.query('DELETE FROM bystander');
      const moved = await storage(db);
      await db.truncate('bystander');
      t.not(await storage(db), moved, `node ${i + 1}: an empty table whose counter moved is truncated`);
      await db.query("INSERT INTO bystander (name) VALUES ('first')");
      const first = Number((await db.query<{ id: unknown }>('SELECT MAX(id) AS id FROM bystander')).rows[0]!.id);
      t.equal(first, offset, `node ${i + 1}: the counter restarted: the next id is the node's first`);

      await db.truncate('bystander');
      const clean = await storage(db);
      await db.truncate('bystander');
      t.equal(await storage(db), clean, `node ${i + 1}: a clean table is left alone`);
      await seenEverywhere(everyNode, { bystander: 0 });
    }
  });
});

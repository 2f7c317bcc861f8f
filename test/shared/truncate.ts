import t from 'tap';
import { createPool, ForeignKeyTruncateError, type Dialect } from '../../lib/index.js';
import { createScratch } from '../helpers/servers.js';
import { scratchPool } from '../helpers/pools.js';
import { createShapes, nextId, quoteFor, rowCounts, seed } from '../helpers/tables.js';

const CHAIN = ['parent', 'child', 'grandchild', 'bystander'];

/**
 * Every rule of the contract's truncate section that both dialects share, plus
 * where they differ; on the dialect's main server unless `server` is given.
 */
export function truncateSuite(dialect: Dialect, server?: string): void {
  const mysql = dialect === 'mysql';

  t.test(`${dialect}: truncate`, async (t) => {
    const scratch = await createScratch(dialect, 'truncate', server);
    t.teardown(() => scratch.drop());
    await createShapes(scratch);
    const db = scratchPool(t, scratch, { max: 3 });

    t.test('a referenced table whose referencing tables are empty is emptied, nothing else is touched', async (t) => {
      await seed(scratch, { parent: 3, bystander: 2 });
      await db.truncate('parent');
      t.same(await rowCounts(scratch, CHAIN), { parent: 0, child: 0, grandchild: 0, bystander: 2 });
    });

    t.test(
      'default, referencing table with rows: MySQL empties only the named table, PostgreSQL refuses and changes nothing',
      async (t) => {
        await seed(scratch, { parent: 3, child: 2, bystander: 2 });
        if (mysql) {
          await db.truncate('parent');
          t.same(await rowCounts(scratch, CHAIN), { parent: 0, child: 2, grandchild: 0, bystander: 2 }, 'child rows stay, as orphans');
        } else {
          const error = await db.truncate('parent').catch((e: unknown) => e);
          t.ok(error instanceof ForeignKeyTruncateError);
          t.same((error as ForeignKeyTruncateError).referencingTables, [`${scratch.name}.child`]);
          t.match((error as Error).message, /cascade: true/);
          t.same(await rowCounts(scratch, CHAIN), { parent: 3, child: 2, grandchild: 0, bystander: 2 }, 'nothing changed');
        }
      },
    );

    t.test('the check is transitive: an empty referencing table referenced by a table with rows', async (t) => {
      await seed(scratch, { parent: 2, child: 1, grandchild: 2 });
      await scratch.admin(mysql ? 'SET FOREIGN_KEY_CHECKS = 0' : 'SET session_replication_role = replica');
      await scratch.admin('DELETE FROM child');
      await scratch.admin(mysql ? 'SET FOREIGN_KEY_CHECKS = 1' : 'SET session_replication_role = origin');
      if (mysql) {
        await db.truncate('parent');
        t.same(await rowCounts(scratch, CHAIN), { parent: 0, child: 0, grandchild: 2, bystander: 0 });
      } else {
        const error = await db.truncate('parent').catch((e: unknown) => e);
        t.same((error as ForeignKeyTruncateError).referencingTables, [`${scratch.name}.grandchild`], 'names the table with rows');
        t.same(await rowCounts(scratch, CHAIN), { parent: 2, child: 0, grandchild: 2, bystander: 0 }, 'nothing changed');
      }
    });

    t.test('cascade empties the named tables and every table that references them, transitively', async (t) => {
      await seed(scratch, { parent: 3, child: 2, grandchild: 2, bystander: 2 });
      await db.truncate('parent', { cascade: true });
      t.same(await rowCounts(scratch, CHAIN), { parent: 0, child: 0, grandchild: 0, bystander: 2 });
    });

    t.test('a list in any order, with a name given twice, empties each table once', async (t) => {
      await seed(scratch, { parent: 3, child: 2, grandchild: 2, bystander: 2 });
      await db.truncate(['grandchild', 'parent', 'child', 'parent', `${scratch.name}.child`, { name: 'grandchild' }]);
      t.same(await rowCounts(scratch, CHAIN), { parent: 0, child: 0, grandchild: 0, bystander: 2 });
    });

    t.test('self-references and cycles', async (t) => {
      await seed(scratch, { categories: 3, teams: 2, players: 2 });
      await db.truncate('categories');
      await db.truncate(['players', 'teams']);
      t.same(await rowCounts(scratch, ['categories', 'teams', 'players']), { categories: 0, teams: 0, players: 0 });
      await seed(scratch, { teams: 2, players: 2 });
      await db.truncate('teams', { cascade: true });
      t.same(await rowCounts(scratch, ['teams', 'players']), { teams: 0, players: 0 }, 'cascade follows the cycle');
    });

    t.test('truncate([]) sends nothing and resolves', async (t) => {
      const unreachable = new URL(scratch.url);
      unreachable.port = '1';
      const offline = createPool({ url: unreachable.toString() });
      t.teardown(() => offline.close());
      await offline.truncate([]);
      t.equal(offline.stats().size, 0, 'no session was even opened');
      await t.rejects(offline.truncate('parent'), { code: 'ERR_CONNECT' }, 'a real truncate would have needed the server');
    });

    t.test('a bad or missing name anywhere in the list means nothing is emptied', async (t) => {
      await seed(scratch, { parent: 3, child: 2, bystander: 2 });
      const cases: [unknown[], string][] = [
        [['bystander', 'no_such_table'], 'ERR_TABLE_NOT_FOUND'],
        [['bystander', 'no_such_schema.parent'], 'ERR_TABLE_NOT_FOUND'],
        [['bystander', ''], 'ERR_INVALID_IDENTIFIER'],
        [['bystander', 'a.b.c'], 'ERR_INVALID_IDENTIFIER'],
        [['bystander', 'x'.repeat(65)], 'ERR_INVALID_IDENTIFIER'],
        [['bystander', 'nul\0'], 'ERR_INVALID_IDENTIFIER'],
        [['bystander', null], 'ERR_INVALID_IDENTIFIER'],
      ];
      for (const [tables, code] of cases) {
        await t.rejects(db.truncate(tables as string[], { cascade: true }), { code }, JSON.stringify(tables));
      }
      await t.rejects(db.truncate('bystander', { cascade: 'yes' } as never), { code: 'ERR_INVALID_ARGUMENT' });
      await t.rejects(db.truncate('bystander', { force: true } as never), { code: 'ERR_INVALID_ARGUMENT' });
      await scratch.admin('CREATE VIEW bystander_view AS SELECT * FROM bystander');
      await t.rejects(db.truncate('bystander_view'), { code: 'ERR_NOT_A_TABLE', kind: 'view' }, 'a view is not a table');
      await scratch.admin('DROP VIEW bystander_view');
      t.same(await rowCounts(scratch, CHAIN), { parent: 3, child: 2, grandchild: 0, bystander: 2 }, 'every row is still there');
    });

    t.test('restartIdentity: default resets the counters of every emptied table; false keeps them', async (t) => {
      await seed(scratch, { parent: 5, child: 3, grandchild: 2 });
      await db.truncate('parent', { cascade: true });
      t.same([await nextId(scratch, 'parent'), await nextId(scratch, 'child'), await nextId(scratch, 'grandchild')], [1, 1, 1]);

      // Counters are compared with what they were, not with a row count: on Galera ids step by 3.
      await seed(scratch, { parent: 5, child: 3 });
      const moved = [await nextId(scratch, 'parent'), await nextId(scratch, 'child')];
      t.ok(
        moved.every((next) => next > 1),
        'the counters moved',
      );
      await db.truncate('parent', { cascade: true, restartIdentity: false });
      t.same([await nextId(scratch, 'parent'), await nextId(scratch, 'child')], moved, 'counters continue');
      await seed(scratch, { bystander: 4 });
      const plain = await nextId(scratch, 'bystander');
      await db.truncate('bystander', { restartIdentity: false });
      t.equal(await nextId(scratch, 'bystander'), plain, 'a plain table keeps its counter too');
    });

    if (!mysql) {
      t.test('PostgreSQL: a table included only because it was empty keeps its counter', async (t) => {
        await seed(scratch, { parent: 2, child: 4 });
        await scratch.admin('DELETE FROM child');
        await db.truncate('parent');
        t.equal(await nextId(scratch, 'parent'), 1, 'the named table restarts');
        t.equal(await nextId(scratch, 'child'), 5, 'the empty referencing table keeps its counter');
      });

      t.test('PostgreSQL: truncate rolls back with its transaction, and a refusal inside one only undoes itself', async (t) => {
        await seed(scratch, { parent: 3, child: 1, bystander: 2 });
        await db
          .transaction(async (tx) => {
            await tx.truncate('parent', { cascade: true });
            throw new Error('change of mind');
          })
          .catch(() => undefined);
        t.same(await rowCounts(scratch, CHAIN), { parent: 3, child: 1, grandchild: 0, bystander: 2 }, 'rolled back');
        t.equal(await nextId(scratch, 'parent'), 4, 'RESTART IDENTITY rolled back too');
        await seed(scratch, { parent: 3 });
        await db
          .transaction(async (tx) => {
            await tx.truncate('parent');
            throw new Error('change of mind');
          })
          .catch(() => undefined);
        t.equal(await rowCounts(scratch, ['parent']).then((c) => c.parent), 3, 'with an empty referencing table included: rolled back');
        t.equal(await nextId(scratch, 'parent'), 4, 'and the restarted sequence rolled back too');
        await seed(scratch, { parent: 3, child: 1, bystander: 2 });
        await db.transaction(async (tx) => {
          await tx.query("INSERT INTO bystander (name) VALUES ('kept')");
          await t.rejects(tx.truncate('parent'), ForeignKeyTruncateError);
          await tx.truncate('grandchild');
        });
        t.same(
          await rowCounts(scratch, CHAIN),
          { parent: 3, child: 1, grandchild: 0, bystander: 3 },
          'the rest of the transaction committed',
        );
      });
    } else {
      t.test('MySQL: truncate inside a transaction is refused and commits nothing', async (t) => {
        await seed(scratch, { parent: 3, bystander: 2 });
        await t.rejects(
          db.transaction(async (tx) => {
            await tx.query("INSERT INTO bystander (name) VALUES ('uncommitted')");
            await tx.truncate('parent');
          }),
          { code: 'ERR_TRUNCATE_IN_TRANSACTION' },
        );
        await db.withConnection(async (conn) => {
          await conn.query('BEGIN');
          await conn.query("INSERT INTO bystander (name) VALUES ('raw-begin')");
          await t.rejects(conn.truncate('parent'), { code: 'ERR_TRUNCATE_IN_TRANSACTION' }, 'a raw BEGIN is seen too');
          await t.rejects(db.truncate('parent'), { code: 'ERR_TRUNCATE_IN_TRANSACTION' }, 'and through the pool inside the pin');
        });
        t.same(await rowCounts(scratch, ['parent', 'bystander']), { parent: 3, bystander: 2 }, 'nothing committed, nothing emptied');
      });

      t.test('MySQL: FOREIGN_KEY_CHECKS is restored to the value it had', async (t) => {
        await seed(scratch, { parent: 2, child: 1 });
        const values = await db.withConnection(async (conn) => {
          await conn.truncate('parent');
          const after = (await conn.query<{ v: number }>('SELECT @@foreign_key_checks AS v')).rows[0]!.v;
          await conn.query('SET FOREIGN_KEY_CHECKS = 0');
          await conn.truncate('child');
          const kept = (await conn.query<{ v: number }>('SELECT @@foreign_key_checks AS v')).rows[0]!.v;
          await conn.query('SET FOREIGN_KEY_CHECKS = 1');
          return [after, kept];
        });
        t.same(values, [1, 0], 'on after a truncate from on; off stays off');
      });
    }

    t.test('tables already clean are left alone; every other table is emptied as before', async (t) => {
      // A TRUNCATE gives the table new storage: an InnoDB table id, a PostgreSQL relfilenode.
      const storage = async (table: string) =>
        mysql
          ? (
              await scratch.admin('SELECT TABLE_ID AS id FROM information_schema.INNODB_SYS_TABLES WHERE NAME = ?', [
                `${scratch.name}/${table}`,
              ])
            )[0]!.id
          : (await scratch.admin('SELECT relfilenode AS id FROM pg_class WHERE oid = $1::regclass', [table]))[0]!.id;
      const storages = async () => {
        const ids: Record<string, unknown> = {};
        for (const table of CHAIN) ids[table] = await storage(table);
        return ids;
      };
      await seed(scratch, { child: 0, bystander: 3 });
      await db.truncate(CHAIN);
      await seed(scratch, { parent: 0, bystander: 3 });
      const before = await storages();
      await db.truncate(CHAIN);
      const after = await storages();
      t.same(after, { ...before, bystander: after.bystander }, 'clean tables kept their storage: they were not truncated');
      t.not(after.bystander, before.bystander, 'the table with rows was truncated');
      t.same(await rowCounts(scratch, CHAIN), { parent: 0, child: 0, grandchild: 0, bystander: 0 });

      await seed(scratch, { parent: 4 });
      await scratch.admin('DELETE FROM parent');
      const emptyButUsed = await storage('parent');
      await db.truncate('parent');
      t.not(await storage('parent'), emptyButUsed, 'an empty table whose counter moved is still truncated');
      t.equal(await nextId(scratch, 'parent'), 1, 'and its counter restarts');
      await seed(scratch, { parent: 4 });
      await scratch.admin('DELETE FROM parent');
      const [kept, counter] = [await storage('parent'), await nextId(scratch, 'parent')];
      await db.truncate('parent', { restartIdentity: false });
      t.equal(await storage('parent'), kept, 'with restartIdentity: false an empty table needs nothing');
      t.equal(await nextId(scratch, 'parent'), counter, 'and its counter is where it was');
    });

    if (!mysql) {
      t.test('PostgreSQL: a sequence set back by hand is not mistaken for a fresh one', async (t) => {
        await seed(scratch, {});
        await scratch.admin("SELECT setval(pg_get_serial_sequence('parent', 'id'), 50, false)");
        await db.truncate('parent');
        t.equal(await nextId(scratch, 'parent'), 1, 'restarted to its start value');
      });

      t.test('PostgreSQL: truncate keeps working across resetOnRelease (DISCARD ALL drops its prepared statements)', async (t) => {
        const resetting = scratchPool(t, scratch, { max: 1, resetOnRelease: true });
        const sessions = new Set<number>();
        for (let i = 0; i < 3; i++) {
          await seed(scratch, { parent: 2, bystander: 1 });
          await resetting.truncate(['parent', 'bystander']);
          sessions.add(await resetting.withConnection((conn) => conn.sessionId));
          t.same(await rowCounts(scratch, ['parent', 'bystander']), { parent: 0, bystander: 0 }, `round ${i + 1}`);
        }
        t.equal(sessions.size, 1, 'one session, reset between every use');
      });

      t.test('PostgreSQL: concurrent truncates of the same tables do not deadlock', async (t) => {
        const many = scratchPool(t, scratch, { max: 6 });
        await seed(scratch, { parent: 3, child: 2, grandchild: 1 });
        const outcomes = await Promise.allSettled(
          Array.from({ length: 12 }, (_, i) =>
            i % 2 === 0 ? many.truncate(['parent', 'child', 'grandchild']) : many.truncate('parent', { cascade: true }),
          ),
        );
        t.same(
          outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason),
          [],
          'all 12 succeeded',
        );
        t.same(await rowCounts(scratch, CHAIN.slice(0, 3)), { parent: 0, child: 0, grandchild: 0 });
      });
    }

    t.test('names are exact: odd characters, case, and the object form for dots', async (t) => {
      const odd = ['Mixed Case', "it's", 'say "hi"', 'back`tick', 'ünïcødé', 'dotted.name', 'mixed case'];
      for (const name of odd) {
        await scratch.admin(`CREATE TABLE ${quoteFor(dialect, name)} (id INT)`);
        await scratch.admin(`INSERT INTO ${quoteFor(dialect, name)} VALUES (1), (2)`);
      }
      const count = async (name: string) => Number((await scratch.admin(`SELECT COUNT(*) AS n FROM ${quoteFor(dialect, name)}`))[0]!.n);
      await db.truncate(['Mixed Case', "it's", 'say "hi"', 'back`tick', 'ünïcødé']);
      await db.truncate({ schema: scratch.name, name: 'dotted.name' });
      await t.rejects(db.truncate('dotted.name'), { code: 'ERR_TABLE_NOT_FOUND' }, 'a dot in a string is the schema separator');
      for (const name of odd.slice(0, 6)) t.equal(await count(name), 0, `${name} emptied`);
      t.equal(await count('mixed case'), 2, 'a table differing only in case keeps its rows');
      await t.rejects(db.truncate('MIXED CASE'), { code: 'ERR_TABLE_NOT_FOUND' }, 'no case folding');
    });

    t.test('inside a pinned callback, db.truncate and conn.truncate run on the pinned session', async (t) => {
      await seed(scratch, { parent: 1, bystander: 1 });
      const db1 = scratchPool(t, scratch, { max: 1, acquireTimeoutMillis: 2_000 });
      await db1.withConnection(async (conn) => {
        await db1.truncate('parent');
        await conn.truncate('bystander');
      });
      t.same(await rowCounts(scratch, ['parent', 'bystander']), { parent: 0, bystander: 0 }, 'a max: 1 pool did not deadlock');
      t.equal(db1.stats().size, 1);
    });
  });
}

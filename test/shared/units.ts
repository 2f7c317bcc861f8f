import t from 'tap';
import type { Dialect, SqlpinError } from '../../lib/index.js';
import { createScratch, dialectSql } from '../helpers/servers.js';
import { scratchPool, until } from '../helpers/pools.js';
import { openHolder, waitsForLock } from '../helpers/holder.js';
import { createShapes, rowCounts, seed } from '../helpers/tables.js';

/** One unit at a time on a pin, and transactions the server aborted, on one dialect. */
export function unitsSuite(dialect: Dialect): void {
  const mysql = dialect === 'mysql';
  const q = dialectSql[dialect];

  t.test(`${dialect}: one unit at a time on a pin`, async (t) => {
    const scratch = await createScratch(dialect, 'units');
    t.teardown(() => scratch.drop());
    await createShapes(scratch);
    await scratch.admin(`CREATE TABLE items (id ${q.serialKey}, label VARCHAR(40) NOT NULL)`);
    const labels = async () => (await scratch.admin('SELECT label FROM items ORDER BY id')).map((row) => row.label);

    t.test('sibling work given while a truncate waits for its lock runs after it, never inside it', async (t) => {
      await seed(scratch, { parent: 1 });
      const holder = await openHolder(scratch);
      t.teardown(() => holder.close());
      await holder.query(mysql ? 'LOCK TABLES parent READ' : 'BEGIN');
      if (!mysql) await holder.query('LOCK TABLE parent IN ACCESS SHARE MODE');
      const db = scratchPool(t, scratch, { max: 2 });
      const settled: string[] = [];
      const checks = await db.withConnection(async (conn) => {
        const truncate = conn.truncate('parent').then(() => settled.push('truncate'));
        await until(async () => (await scratch.admin(waitsForLock(scratch, conn.sessionId))).length > 0);
        const orphan = conn.query("INSERT INTO child (parent_id, name) VALUES (999, 'orphan')").then(
          () => settled.push('orphan accepted'),
          () => settled.push('orphan refused'),
        );
        await holder.query(mysql ? 'UNLOCK TABLES' : 'COMMIT');
        await Promise.all([truncate, orphan]);
        return (await conn.query(q.foreignKeyChecks)).rows[0]!.value;
      });
      t.same(settled, ['truncate', 'orphan refused'], 'the sibling ran after the truncate, with foreign keys checked');
      t.same(await rowCounts(scratch, ['parent', 'child']), { parent: 0, child: 0 }, 'no orphan row');
      t.equal(String(checks), mysql ? '1' : 'origin', 'FK checks are on again on the session');
    });

    t.test('sibling transactions on one handle run one after the other', async (t) => {
      await scratch.admin('DELETE FROM items');
      const db = scratchPool(t, scratch, { max: 2 });
      const outcomes = await db.withConnection((conn) =>
        Promise.allSettled([
          conn.transaction(async (tx) => {
            await tx.query("INSERT INTO items (label) VALUES ('a')");
            return 'a committed';
          }),
          conn.transaction(async (tx) => {
            await tx.query("INSERT INTO items (label) VALUES ('b')");
            throw new Error('b fails');
          }),
        ]),
      );
      t.same(outcomes[0], { status: 'fulfilled', value: 'a committed' });
      t.equal(outcomes[1].status, 'rejected');
      t.same(await labels(), ['a'], "a's row is committed; only b's is rolled back");
    });

    t.test('a sibling truncate and transaction run one after the other, in the order given', async (t) => {
      const db = scratchPool(t, scratch, { max: 2 });
      await scratch.admin("INSERT INTO items (label) VALUES ('old')");
      await db.withConnection((conn) =>
        Promise.all([conn.truncate('items'), conn.transaction((tx) => tx.query("INSERT INTO items (label) VALUES ('after truncate')"))]),
      );
      t.same(await labels(), ['after truncate'], 'truncate first, then the transaction');
      await db.withConnection((conn) =>
        Promise.all([conn.transaction((tx) => tx.query("INSERT INTO items (label) VALUES ('before truncate')")), conn.truncate('items')]),
      );
      t.same(await labels(), [], 'the transaction first, then the truncate');
    });

    t.test('sibling savepoints run one after the other, under unique names', async (t) => {
      await scratch.admin('DELETE FROM items');
      const onError: unknown[] = [];
      const db = scratchPool(t, scratch, { max: 1, onError: (error) => onError.push(error) });
      const before = await db.withConnection((conn) => conn.sessionId);
      const outcomes = await db.transaction(async (tx) => {
        await tx.query("INSERT INTO items (label) VALUES ('outer')");
        return Promise.allSettled([
          tx.transaction(async (sp) => {
            await sp.query("INSERT INTO items (label) VALUES ('first')");
          }),
          tx.transaction(async (sp) => {
            await sp.query("INSERT INTO items (label) VALUES ('second')");
            throw new Error('second fails');
          }),
          tx.transaction(async (sp) => {
            await sp.query("INSERT INTO items (label) VALUES ('third')");
          }),
        ]);
      });
      t.same(
        outcomes.map((outcome) => outcome.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      t.same(await labels(), ['outer', 'first', 'third'], 'only the failing savepoint was rolled back');
      t.same(onError, [], 'no rollback failed');
      t.equal(await db.withConnection((conn) => conn.sessionId), before, 'the session was kept');
    });

    t.test('re-entrant db.* inside a unit runs at once on max: 1', async (t) => {
      await scratch.admin('DELETE FROM items');
      const db = scratchPool(t, scratch, { max: 1, acquireTimeoutMillis: 2_000 });
      const ids = await db.transaction(async (tx) => {
        const seen = [Number((await db.query(q.sessionId)).rows[0]!.id)];
        await Promise.all([
          db.query("INSERT INTO items (label) VALUES ('via db.query')"),
          db.transaction(async () => {
            await db.query("INSERT INTO items (label) VALUES ('via db.transaction')");
          }),
          db.withConnection(async (conn) => {
            seen.push(conn.sessionId);
            await conn.query("INSERT INTO items (label) VALUES ('via db.withConnection')");
          }),
        ]);
        seen.push(Number((await tx.query(q.sessionId)).rows[0]!.id));
        return seen;
      });
      t.equal(new Set(ids).size, 1, 'one session for all of it');
      t.equal(db.stats().size, 1, 'no second session was opened');
      t.equal((await labels()).length, 3, 'all three committed');
    });

    // PostgreSQL only: on MySQL TRUNCATE commits implicitly, and truncate refuses to run in a transaction.
    if (!mysql)
      t.test('a truncate inside a transaction callback belongs to it', async (t) => {
        await scratch.admin("INSERT INTO items (label) VALUES ('x')");
        const db = scratchPool(t, scratch, { max: 1, acquireTimeoutMillis: 2_000 });
        await db.transaction(async () => {
          await db.truncate('items');
          await db.query("INSERT INTO items (label) VALUES ('after')");
        });
        t.same(await labels(), ['after']);
      });

    t.test('a statement that fails inside a transaction whose callback returns anyway', async (t) => {
      await scratch.admin('DELETE FROM items');
      const onError: unknown[] = [];
      const db = scratchPool(t, scratch, { max: 1, onError: (error) => onError.push(error) });
      const before = await db.withConnection((conn) => conn.sessionId);
      const outcome = await db
        .transaction(async (tx) => {
          await tx.query("INSERT INTO items (label) VALUES ('kept?')");
          await tx.query('SELECT * FROM no_such_table').catch(() => undefined);
          return 'returned';
        })
        .catch((error: unknown) => error);
      if (mysql) {
        t.equal(outcome, 'returned', 'MySQL keeps the transaction open after a failed statement: it commits');
        t.same(await labels(), ['kept?']);
      } else {
        t.equal(
          (outcome as SqlpinError).code,
          'ERR_TRANSACTION_ABORTED',
          'PostgreSQL aborted it: TransactionAbortedError, not a silent ROLLBACK',
        );
        t.equal((outcome as Error).name, 'TransactionAbortedError');
        t.equal(((outcome as Error).cause as { code?: string }).code, '42P01', 'the first failure is the cause');
        t.same(await labels(), [], 'nothing was committed');
      }
      t.equal(await db.withConnection((conn) => conn.sessionId), before, 'the session stays in the pool');
      t.same(onError, []);
    });

    // PostgreSQL only: MySQL does not abort a transaction on a failed statement.
    if (!mysql)
      t.test('an aborted savepoint rejects its own level; the outer transaction goes on', async (t) => {
        await scratch.admin('DELETE FROM items');
        const db = scratchPool(t, scratch, { max: 1 });
        const inner = await db.transaction(async (tx) => {
          await tx.query("INSERT INTO items (label) VALUES ('outer')");
          const failure = await tx
            .transaction(async (sp) => {
              await sp.query("INSERT INTO items (label) VALUES ('inner')");
              await sp.query('SELECT 1/0').catch(() => undefined);
            })
            .catch((error: unknown) => error);
          await tx.query("INSERT INTO items (label) VALUES ('after')");
          return failure;
        });
        t.equal((inner as SqlpinError).code, 'ERR_TRANSACTION_ABORTED');
        t.equal(((inner as Error).cause as { code?: string }).code, '22012');
        t.same(await labels(), ['outer', 'after']);
      });
  });
}

import t from 'tap';
import { createScratch } from '../helpers/servers.js';
import { scratchPool, until } from '../helpers/pools.js';
import { openHolder } from '../helpers/holder.js';

/**
 * A real InnoDB deadlock inside a savepoint: the server rolls the whole
 * transaction back (errno 1213). sqlpin must hand that error to every level,
 * send no ROLLBACK TO a savepoint that no longer exists, and keep the session.
 */
t.test('mysql: a deadlock inside a savepoint', async (t) => {
  const scratch = await createScratch('mysql', 'deadlock');
  t.teardown(() => scratch.drop());
  await scratch.admin('CREATE TABLE accounts (id INT PRIMARY KEY, n INT NOT NULL) ENGINE = InnoDB');
  await scratch.admin('CREATE TABLE ballast (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE = InnoDB');

  for (const outerSwallows of [false, true]) {
    t.test(outerSwallows ? 'the outer callback catches the error and returns' : 'every callback lets the error through', async (t) => {
      await scratch.admin('DELETE FROM accounts');
      await scratch.admin('INSERT INTO accounts VALUES (1, 0), (2, 0)');
      const onError: unknown[] = [];
      const db = scratchPool(t, scratch, { max: 1, onError: (error) => onError.push(error) });
      const before = await db.withConnection((conn) => conn.sessionId);

      // The other side writes many rows first, so InnoDB picks sqlpin's lighter transaction as the victim.
      const other = await openHolder(scratch);
      t.teardown(() => other.close());
      await other.query('BEGIN');
      await other.query(`INSERT INTO ballast () VALUES ${Array.from({ length: 200 }, () => '()').join(', ')}`);
      await other.query('UPDATE accounts SET n = n + 1 WHERE id = 2');

      const seen: Record<string, unknown> = {};
      const outcome = db
        .transaction(async (tx) => {
          await tx.query('UPDATE accounts SET n = n + 1 WHERE id = 1');
          const inner = tx.transaction(async (sp) => {
            await sp.query('UPDATE accounts SET n = n + 1 WHERE id = 2').catch((error: unknown) => {
              seen.statement = error;
              throw error;
            });
          });
          await inner.catch((error: unknown) => {
            seen.savepoint = error;
            if (!outerSwallows) throw error;
          });
        })
        .then(
          () => 'committed',
          (error: unknown) => error,
        );
      // Once the server shows the second UPDATE running, it waits for the row the other side holds.
      await until(
        async () =>
          (await scratch.admin(`SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ${before} AND INFO LIKE '%WHERE id = 2'`)).length >
          0,
      );
      await other.query('UPDATE accounts SET n = n + 1 WHERE id = 1');
      await other.query('COMMIT');
      seen.transaction = await outcome;

      for (const level of ['statement', 'savepoint', 'transaction']) {
        t.equal((seen[level] as { errno?: number } | undefined)?.errno, 1213, `the ${level} level sees the server's 1213`);
      }
      t.equal(seen.savepoint, seen.statement, 'the same error object at every level');
      t.equal(seen.transaction, seen.statement);
      t.same(onError, [], 'onError is not called: nothing failed that sqlpin had to drop');
      t.equal(await db.withConnection((conn) => conn.sessionId), before, 'the session survived and is reused');
      t.same(
        await scratch.admin('SELECT id, n FROM accounts ORDER BY id'),
        [
          { id: 1, n: 1 },
          { id: 2, n: 1 },
        ],
        "only the other side's updates are committed",
      );
      t.equal(
        Number((await db.query<{ n: number }>('SELECT @@in_transaction AS n')).rows[0]!.n),
        0,
        'the session left no transaction open',
      );
    });
  }
});

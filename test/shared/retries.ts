import t from 'tap';
import type { Dialect, Isolation, TransactionEvent } from '../../lib/index.js';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createScratch, dialectSql } from '../helpers/servers.js';
import { scratchPool } from '../helpers/pools.js';

/** A statement that fails with the conflict each server says to retry, on demand: deterministic. */
const RAISE_CONFLICT: Readonly<Record<Dialect, { statement: string; code: string; field: 'code' | 'errno'; value: string | number }>> = {
  mysql: {
    statement: "SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'raised deadlock'",
    code: '1213',
    field: 'errno',
    value: 1213,
  },
  postgres: {
    statement: "DO $$ BEGIN RAISE EXCEPTION 'raised serialization failure' USING ERRCODE = '40001'; END $$",
    code: '40001',
    field: 'code',
    value: '40001',
  },
};

/** A promise both sides wait on, released when both have arrived. */
function meeting(): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const together = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived === 2) open();
    return together;
  };
}

/** `transaction(fn, { isolation, readOnly, retries })` against the real servers. */
export function retriesSuite(dialect: Dialect): void {
  const q = dialectSql[dialect];
  const conflict = RAISE_CONFLICT[dialect];

  t.test(`${dialect}: transactions that retry what the server says to retry`, async (t) => {
    const scratch = await createScratch(dialect, 'retries');
    t.teardown(() => scratch.drop());
    await scratch.admin('CREATE TABLE doctors (id INT PRIMARY KEY, on_call INT NOT NULL)');
    await scratch.admin(`CREATE TABLE log (id ${q.serialKey}, note VARCHAR(40) NOT NULL)`);
    const reset = async () => {
      await scratch.admin('DELETE FROM doctors');
      await scratch.admin('DELETE FROM log');
      await scratch.admin('INSERT INTO doctors (id, on_call) VALUES (1, 1), (2, 1)');
    };

    t.test('two transactions that lock two rows in opposite order: the deadlock is retried, and both land', async (t) => {
      await reset();
      const db = scratchPool(t, scratch, { max: 2 });
      const retries: TransactionEvent[] = [];
      const listen = (event: unknown) => retries.push(event as TransactionEvent);
      subscribe('sqlpin:transaction', listen);
      t.teardown(() => unsubscribe('sqlpin:transaction', listen));
      const meet = meeting();
      const attempts = [0, 0];
      const run = (me: number, first: number, second: number) =>
        db.transaction(
          async (tx) => {
            attempts[me]! += 1;
            await tx.query(`UPDATE doctors SET on_call = on_call + 1 WHERE id = ${first}`);
            if (attempts[me] === 1) await meet();
            await tx.query(`UPDATE doctors SET on_call = on_call + 1 WHERE id = ${second}`);
            await tx.query(`INSERT INTO log (note) VALUES ('landed ${me}')`);
          },
          { retries: 3 },
        );
      await t.resolves(Promise.all([run(0, 1, 2), run(1, 2, 1)]), 'both transactions resolve');
      t.same([...attempts].sort(), [1, 2], 'one of them ran twice');
      t.same(
        (await scratch.admin('SELECT on_call FROM doctors ORDER BY id')).map((row) => Number(row.on_call)),
        [3, 3],
        'both landed',
      );
      t.equal((await scratch.admin('SELECT note FROM log')).length, 2, 'each wrote once');
      t.equal(retries.length, 1, 'one retry published on sqlpin:transaction');
      t.match(retries[0], { event: 'retry', dialect, attempt: 1 });
    });

    t.test('a write skew under SERIALIZABLE: the conflict is retried, and both transactions land', async (t) => {
      await reset();
      const db = scratchPool(t, scratch, { max: 2 });
      const meet = meeting();
      const attempts = [0, 0];
      const goOffCall = (me: number) =>
        db.transaction(
          async (tx) => {
            attempts[me]! += 1;
            const onCall = Number((await tx.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM doctors WHERE on_call > 0')).rows[0]!.n);
            if (attempts[me] === 1) await meet();
            // The rule the skew breaks: someone stays on call.
            if (onCall > 1) await tx.query(`UPDATE doctors SET on_call = 0 WHERE id = ${me + 1}`);
          },
          { isolation: 'serializable', retries: 3 },
        );
      await t.resolves(Promise.all([goOffCall(0), goOffCall(1)]), 'both transactions resolve');
      t.ok(attempts.includes(2), `one of them ran again (${attempts.join(', ')} attempts)`);
      const onCall = Number((await scratch.admin('SELECT COUNT(*) AS n FROM doctors WHERE on_call > 0'))[0]!.n);
      t.equal(onCall, 1, 'the retried one saw the other commit: one doctor stays on call');
    });

    t.test('an application error is not retried: thrown at once, the same object', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      const mistake = new Error('the application says no');
      let calls = 0;
      const error = await db
        .transaction(
          () => {
            calls += 1;
            throw mistake;
          },
          { retries: 5 },
        )
        .catch((e: unknown) => e);
      t.equal(error, mistake, 'the same object');
      t.equal(calls, 1, 'run once');
    });

    t.test('retries exhausted: the last server error, with the attempts made', async (t) => {
      await reset();
      const db = scratchPool(t, scratch, { max: 1 });
      let calls = 0;
      const error = (await db
        .transaction(
          async (tx) => {
            calls += 1;
            await tx.query("INSERT INTO log (note) VALUES ('never kept')");
            await tx.query(conflict.statement);
          },
          { retries: 2 },
        )
        .catch((e: unknown) => e)) as Record<string, unknown>;
      t.equal(String(error[conflict.field]), String(conflict.value), `the server's own error (${conflict.code})`);
      t.equal(error.attempts, 3, 'attempts: 3, the first and two retries');
      t.equal(calls, 3);
      t.same(await scratch.admin('SELECT note FROM log'), [], 'every attempt was rolled back');
    });

    t.test('a conflict inside a savepoint is retried from the outermost level', async (t) => {
      await reset();
      const db = scratchPool(t, scratch, { max: 1 });
      let outer = 0;
      await db.transaction(
        async (tx) => {
          outer += 1;
          await tx.query(`INSERT INTO log (note) VALUES ('outer ${outer}')`);
          await tx.transaction(async (savepoint) => {
            if (outer === 1) await savepoint.query(conflict.statement);
            await savepoint.query(`INSERT INTO log (note) VALUES ('inner ${outer}')`);
          });
        },
        { retries: 1 },
      );
      t.equal(outer, 2, 'the whole callback ran again');
      t.same(
        (await scratch.admin('SELECT note FROM log ORDER BY id')).map((row) => row.note),
        ['outer 2', 'inner 2'],
        'only the second attempt landed',
      );
    });

    t.test('a savepoint refuses isolation, readOnly and retries; unknown options are refused', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      await t.rejects(
        db.transaction((tx) => tx.transaction(() => undefined, { retries: 2 })),
        { code: 'ERR_INVALID_ARGUMENT', message: /nested transaction.*retries/ },
      );
      await t.rejects(
        db.transaction((tx) => tx.transaction(() => undefined, { isolation: 'serializable' })),
        { code: 'ERR_INVALID_ARGUMENT', message: /isolation/ },
      );
      await t.rejects(
        db.transaction(() => undefined, { retry: 2 } as never),
        { code: 'ERR_INVALID_ARGUMENT', message: /"retry"/ },
      );
      await t.rejects(
        db.transaction(() => undefined, { isolation: 'snapshot' } as never),
        { code: 'ERR_INVALID_ARGUMENT' },
      );
      await t.rejects(
        db.transaction(() => undefined, { retries: -1 }),
        { code: 'ERR_INVALID_ARGUMENT' },
      );
    });

    t.test('isolation reaches the server: what a transaction sees of a commit made while it runs', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      const seen = async (isolation: Isolation) => {
        await reset();
        return db.transaction(
          async (tx) => {
            const count = async () => Number((await tx.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM doctors')).rows[0]!.n);
            const before = await count();
            await scratch.admin('INSERT INTO doctors (id, on_call) VALUES (3, 1)');
            return (await count()) - before;
          },
          { isolation },
        );
      };
      t.equal(await seen('read committed'), 1, 'read committed sees the row committed meanwhile');
      t.equal(await seen('repeatable read'), 0, 'repeatable read does not');
      if (dialect === 'postgres') {
        t.equal(await seen('serializable'), 0, 'serializable does not');
        const level = await db.transaction(
          (tx) => tx.query<{ level: string }>("SELECT current_setting('transaction_isolation') AS level"),
          {
            isolation: 'serializable',
          },
        );
        t.equal(level.rows[0]!.level, 'serializable', "PostgreSQL names the transaction's level");
      } else {
        // InnoDB's SERIALIZABLE reads take shared locks, which a plain REPEATABLE READ read does not.
        await reset();
        const blocked = await db.transaction(
          async (tx) => {
            await tx.query('SELECT on_call FROM doctors WHERE id = 1');
            return scratch
              .admin('SET STATEMENT lock_wait_timeout = 1, innodb_lock_wait_timeout = 1 FOR UPDATE doctors SET on_call = 5 WHERE id = 1')
              .then(
                () => 0,
                (e: { errno?: number }) => e.errno,
              );
          },
          { isolation: 'serializable' },
        );
        t.equal(blocked, 1205, 'a serializable read holds its row against a writer');
      }
    });

    t.test('readOnly reaches the server', async (t) => {
      await reset();
      const db = scratchPool(t, scratch, { max: 1 });
      const refused = (await db
        .transaction((tx) => tx.query("INSERT INTO log (note) VALUES ('read only')"), { readOnly: true })
        .catch((e: unknown) => e)) as { code?: unknown; errno?: number };
      t.ok(refused.code === '25006' || refused.errno === 1792, `a write in a READ ONLY transaction is refused (${String(refused.code)})`);
      await t.resolves(db.transaction((tx) => tx.query("INSERT INTO log (note) VALUES ('read write')"), { readOnly: false }));
      t.same(
        (await scratch.admin('SELECT note FROM log')).map((row) => row.note),
        ['read write'],
      );
    });
  });
}

import t from 'tap';
import type { Dialect, SqlpinError } from '../../lib/index.js';
import { SLOW } from '../helpers/slow.js';
import { createScratch, dialectSql, type Scratch } from '../helpers/servers.js';
import { FaultProxy } from '../helpers/proxy.js';
import { scratchPool, until } from '../helpers/pools.js';

/** `queryTimeoutMillis` and `{ timeoutMillis }` on one dialect. */
export function timeoutsSuite(dialect: Dialect): void {
  const q = dialectSql[dialect];
  const slow = SLOW[dialect];

  t.test(`${dialect}: statement timeouts`, async (t) => {
    const scratch = await createScratch(dialect, 'timeouts');
    t.teardown(() => scratch.drop());
    await scratch.admin(`CREATE TABLE items (id ${q.serialKey}, label VARCHAR(40) NOT NULL)`);
    const gone = (scratch: Scratch) => until(async () => (await scratch.admin(slow.running)).length === 0, 2_000);

    t.test('queryTimeoutMillis: a slow statement is rejected, cancelled on the server, and the pool stays healthy', async (t) => {
      const onError: unknown[] = [];
      const db = scratchPool(t, scratch, { max: 1, queryTimeoutMillis: 300, onError: (error) => onError.push(error) });
      const error = await db.query(slow.statement).then(
        () => undefined,
        (e: unknown) => e,
      );
      t.equal((error as SqlpinError | undefined)?.code, 'ERR_QUERY_TIMEOUT', 'QueryTimeoutError');
      t.equal((error as Error | undefined)?.name, 'QueryTimeoutError');
      await t.resolves(gone(scratch), 'the statement is gone from the process list within 2 s');
      t.equal(Number((await db.query('SELECT 1 AS one')).rows[0]!.one), 1, 'the pool serves the next query');
      t.equal(db.stats().borrowed, 0);
      t.same(onError, []);
    });

    t.test('{ timeoutMillis } on one call of a pinned handle; the session goes on', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      const outcome = await db.withConnection(async (conn) => {
        const error = await conn.query(slow.statement, [], { timeoutMillis: 300 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        await gone(scratch);
        const next = await conn.query('SELECT 1 AS one');
        return { error, next: Number(next.rows[0]!.one) };
      });
      t.equal((outcome.error as SqlpinError | undefined)?.code, 'ERR_QUERY_TIMEOUT');
      t.equal(outcome.next, 1, 'the pinned session answers the next statement');
    });

    t.test('inside a transaction, a timeout aborts the transaction', async (t) => {
      await scratch.admin('DELETE FROM items');
      const db = scratchPool(t, scratch, { max: 1 });
      const error = await db
        .transaction(async (tx) => {
          await tx.query("INSERT INTO items (label) VALUES ('never')");
          await tx.query(slow.statement, { timeoutMillis: 300 }).catch(() => undefined);
          return 'returned';
        })
        .catch((e: unknown) => e);
      t.equal((error as SqlpinError).code, 'ERR_TRANSACTION_ABORTED');
      t.equal(((error as Error).cause as SqlpinError).code, 'ERR_QUERY_TIMEOUT', 'the timeout is the cause');
      t.same(await scratch.admin('SELECT label FROM items'), [], 'nothing was committed');
      await gone(scratch);
    });

    t.test('a bad timeoutMillis is refused before anything is sent', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      for (const options of [{ timeoutMillis: -1 }, { timeoutMillis: 1.5 }, { timeoutMillis: '300' }, { timeout: 300 }, null]) {
        await t.rejects(db.query('SELECT 1', [], options as never), { code: 'ERR_INVALID_ARGUMENT' }, JSON.stringify(options));
      }
      t.equal(db.stats().size, 0, 'no session was opened');
    });

    t.test('a stalled link no longer hangs a caller: the session is given up and replaced', async (t) => {
      const proxy = await FaultProxy.start(scratch.url);
      t.teardown(() => proxy.close());
      const onError: unknown[] = [];
      const db = scratchPool(
        t,
        { ...scratch, url: proxy.route(scratch.url) },
        {
          max: 1,
          queryTimeoutMillis: 300,
          acquireTimeoutMillis: 3_000,
          onError: (error) => onError.push(error),
        },
      );
      const stalled = await db.query(q.sessionId);
      proxy.stall();
      const error = await db.query('SELECT 1').catch((e: unknown) => e);
      t.equal((error as SqlpinError).code, 'ERR_QUERY_TIMEOUT');
      // The cancel cannot get through either, so the statement's fate stays unknown: the session is closed.
      await until(() => db.stats().size === 0, 3_000);
      proxy.restore();
      const next = Number((await db.query(q.sessionId)).rows[0]!.id);
      t.not(next, Number(stalled.rows[0]!.id), 'the session whose state was unknown was destroyed, never reused');
    });
  });
}

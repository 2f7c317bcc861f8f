import t from 'tap';
import type { Dialect } from '../../lib/index.js';
import { createScratch, dialectSql } from '../helpers/servers.js';
import { captureWarnings, scratchPool, sleep, until } from '../helpers/pools.js';
import { sql } from '../../lib/index.js';

/** The pinned-session contract of withConnection, transaction and the pool, on one dialect. */
export function behaviourSuite(dialect: Dialect): void {
  const q = dialectSql[dialect];

  t.test(`${dialect}: pinned sessions and the pool`, async (t) => {
    const scratch = await createScratch(dialect, 'behaviour');
    t.teardown(() => scratch.drop());
    await scratch.admin(`CREATE TABLE items (id ${q.serialKey}, label VARCHAR(40) NOT NULL)`);
    const count = async () => Number((await scratch.admin('SELECT COUNT(*) AS n FROM items'))[0]!.n);
    const serverId = async (run: (text: string) => Promise<{ rows: Record<string, unknown>[] }>) =>
      Number((await run(q.sessionId)).rows[0]!.id);

    t.test('every query in a callback runs on the one session the handle names', async (t) => {
      const warnings = captureWarnings(t, { deprecations: true });
      const db = scratchPool(t, scratch, { max: 4 });
      const seen = await db.withConnection(async (conn) => {
        const ids: number[] = [];
        for (let i = 0; i < 5; i++) ids.push(await serverId((text) => conn.query(text)));
        ids.push(await serverId((text) => db.query(text)));
        ids.push(...(await Promise.all([1, 2, 3].map(() => serverId((text) => conn.query(text))))));
        return { ids, handle: conn.sessionId };
      });
      t.equal(typeof seen.handle, 'number');
      t.same(new Set(seen.ids), new Set([seen.handle]), 'the server reports the same session for all 9 queries');
      t.same(warnings, [], 'concurrent queries on one handle raise no driver warning (pg deprecates queueing on a busy client)');
    });

    t.test('the handle is revoked once the callback settles', async (t) => {
      const db = scratchPool(t, scratch);
      const kept = await db.withConnection(async (conn) => conn);
      await t.rejects(kept.query('SELECT 1'), { code: 'ERR_CONNECTION_RELEASED' });
      await t.rejects(kept.truncate('items'), { code: 'ERR_CONNECTION_RELEASED' });
      await t.rejects(
        kept.transaction(async () => 1),
        { code: 'ERR_CONNECTION_RELEASED' },
      );
      t.throws(() => kept.sessionId, { code: 'ERR_CONNECTION_RELEASED' });
      t.equal(db.stats().borrowed, 0);
    });

    t.test("a callback's error comes back as the same object", async (t) => {
      const db = scratchPool(t, scratch);
      const thrown = new Error('mine');
      const caught = await db
        .withConnection(async () => {
          throw thrown;
        })
        .catch((error: unknown) => error);
      t.equal(caught, thrown, 'identical object');
      const caughtTx = await db
        .transaction(async () => {
          throw thrown;
        })
        .catch((error: unknown) => error);
      t.equal(caughtTx, thrown, 'identical object from transaction too');
    });

    t.test('a session killed by the server mid-callback is destroyed and the pool recovers', async (t) => {
      const db = scratchPool(t, scratch, { max: 2 });
      let killedId = 0;
      const failure = await db
        .withConnection(async (conn) => {
          killedId = conn.sessionId;
          await scratch.admin(q.kill(killedId));
          await until(async () => !(await scratch.admin(q.listsSession(killedId))).length);
          await conn.query('SELECT 1');
        })
        .catch((error: unknown) => error);
      t.ok(failure instanceof Error, 'the query on the killed session fails');
      t.equal(db.stats().borrowed, 0, 'nothing stays borrowed');
      const after = new Set<number>();
      for (let i = 0; i < 6; i++) after.add(await serverId((text) => db.query(text)));
      t.notOk(after.has(killedId), 'the killed session is never handed out again');
      t.equal(db.stats().size, after.size, 'only live sessions remain');
    });

    t.test('an abandoned BEGIN does not reach the next borrower', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      const before = await count();
      const first = await db.withConnection(async (conn) => {
        await conn.query('BEGIN');
        await conn.query("INSERT INTO items (label) VALUES ('abandoned')");
        return conn.sessionId;
      });
      const second = await db.withConnection(async (conn) => {
        const rows = (await conn.query("SELECT COUNT(*) AS n FROM items WHERE label = 'abandoned'")).rows;
        return { id: conn.sessionId, n: Number(rows[0]!.n) };
      });
      t.equal(second.id, first, 'the same session was reused (max: 1)');
      t.equal(second.n, 0, 'the next borrower does not see the uncommitted row');
      t.equal(await count(), before, 'the row was rolled back on the server');
    });

    t.test('nested pool calls inside a pinned callback reuse the session and do not deadlock max: 1', async (t) => {
      const db = scratchPool(t, scratch, { max: 1, acquireTimeoutMillis: 2_000 });
      const ids = await db.withConnection(async (conn) => {
        const outer = conn.sessionId;
        const viaQuery = await serverId((text) => db.query(text));
        const viaNested = await db.withConnection(async (inner) => {
          t.equal(inner, conn, 'the nested callback gets the same handle');
          return serverId((text) => db.query(text));
        });
        const viaTransaction = await db.transaction(async (tx) => serverId((text) => tx.query(text)));
        return [outer, viaQuery, viaNested, viaTransaction];
      });
      t.same(new Set(ids), new Set([ids[0]]), 'one session for all nested work');
      t.equal(db.stats().size, 1, 'no second session was opened');
    });

    t.test('the pin ends with the callback: late async work falls back to the pool', async (t) => {
      const db = scratchPool(t, scratch, { max: 2 });
      let late!: Promise<number>;
      await db.withConnection(async () => {
        late = sleep(30).then(() => serverId((text) => db.query(text)));
      });
      const id = await late;
      t.type(id, 'number', 'the late query ran on a pooled session instead of the revoked one');
      t.equal(db.stats().borrowed, 0);
    });

    t.test('transaction commits, rolls back on throw, and nests as savepoints', async (t) => {
      const db = scratchPool(t, scratch, { max: 2 });
      await db.query('DELETE FROM items');
      await db.transaction(async (tx) => {
        await tx.query(sql`INSERT INTO items (label) VALUES (${'kept'})`);
        await tx.transaction(async (inner) => {
          await inner.query(sql`INSERT INTO items (label) VALUES (${'inner-kept'})`);
        });
        await tx
          .transaction(async (inner) => {
            await inner.query(sql`INSERT INTO items (label) VALUES (${'inner-undone'})`);
            throw new Error('undo the savepoint');
          })
          .catch(() => undefined);
        await db.transaction(async () => {
          await db.query(sql`INSERT INTO items (label) VALUES (${'nested-through-db'})`);
        });
      });
      await db
        .transaction(async (tx) => {
          await tx.query(sql`INSERT INTO items (label) VALUES (${'outer-undone'})`);
          throw new Error('undo everything');
        })
        .catch(() => undefined);
      const labels = (await scratch.admin('SELECT label FROM items ORDER BY id')).map((row) => row.label);
      t.same(labels, ['kept', 'inner-kept', 'nested-through-db']);
    });

    t.test('resetOnRelease wipes session state before reuse; without it the state stays', async (t) => {
      for (const resetOnRelease of [true, false]) {
        const db = scratchPool(t, scratch, { max: 1, resetOnRelease });
        const first = await db.withConnection(async (conn) => {
          await conn.query(q.setVariable);
          return conn.sessionId;
        });
        await db.query(q.setVariable);
        const { id, value } = await db.withConnection(async (conn) => ({
          id: conn.sessionId,
          value: (await conn.query(q.getVariable)).rows[0]!.value,
        }));
        t.equal(id, first, `same session reused (resetOnRelease: ${resetOnRelease})`);
        if (resetOnRelease) t.notOk(value, 'the variable was wiped');
        else t.equal(value, 'set', 'the variable survives without reset');
        await db.close();
      }
    });

    t.test('acquire timeout rejects with ERR_POOL_TIMEOUT', async (t) => {
      const db = scratchPool(t, scratch, { max: 1, acquireTimeoutMillis: 200 });
      let release!: () => void;
      const held = db.withConnection(() => new Promise<void>((resolve) => (release = resolve)));
      await until(() => db.stats().borrowed === 1);
      await t.rejects(db.query('SELECT 1'), { code: 'ERR_POOL_TIMEOUT', name: 'PoolTimeoutError' });
      t.equal(db.stats().pending, 0, 'the timed-out caller no longer waits');
      release();
      await held;
      t.equal((await db.query('SELECT 1 AS one')).rows.length, 1, 'the pool works after the timeout');
    });

    t.test('a login that fails gives ERR_CONNECT at once, without the password', async (t) => {
      const url = new URL(scratch.url);
      url.username = 'sqlpin_no_such_user';
      url.password = 'pw-s3cret-marker';
      const db = scratchPool(t, { ...scratch, url: url.toString() }, { acquireTimeoutMillis: 10_000 });
      const started = Date.now();
      const error = (await db.query('SELECT 1').then(
        () => undefined,
        (e: unknown) => e,
      )) as Error & { code: string; cause?: unknown };
      t.equal(error.code, 'ERR_CONNECT');
      t.ok(error.cause, 'the driver error is the cause');
      t.ok(Date.now() - started < 5_000, 'rejected long before the 10 s acquire timeout');
      const shown = `${error.message}\n${error.stack}\n${String(error.cause)}\n${(error.cause as Error).stack}`;
      t.notMatch(shown, /pw-s3cret-marker/, 'no password in message, stack or cause');
      t.equal(db.stats().borrowed, 0);
    });

    t.test('a server that refuses connections gives ERR_CONNECT, not a retry loop', async (t) => {
      const url = new URL(scratch.url);
      url.port = '1';
      const db = scratchPool(t, { ...scratch, url: url.toString() }, { acquireTimeoutMillis: 10_000 });
      const results = await Promise.allSettled([db.query('SELECT 1'), db.query('SELECT 1'), db.query('SELECT 1')]);
      t.same(
        results.map((r) => r.status === 'rejected' && (r.reason as { code: string }).code),
        ['ERR_CONNECT', 'ERR_CONNECT', 'ERR_CONNECT'],
      );
      t.equal(db.stats().pending, 0, 'no caller is left waiting');
    });

    t.test('close() waits for a borrowed session and refuses new work', async (t) => {
      const db = scratchPool(t, scratch, { max: 2 });
      let finished = false;
      const pinned = db.withConnection(async (conn) => {
        await sleep(150);
        await conn.query('SELECT 1');
        await db.query('SELECT 1');
        finished = true;
      });
      await until(() => db.stats().borrowed === 1);
      const closing = db.close();
      await t.rejects(db.query('SELECT 1'), { code: 'ERR_POOL_CLOSED' });
      await closing;
      t.ok(finished, 'the pinned callback (and its nested query) completed before close resolved');
      await pinned;
      t.equal(db.stats().size, 0, 'every session closed');
      await t.resolves(db.close(), 'a second close() resolves too: close is idempotent');
    });

    t.test('stats counts borrowed and waiting callers', async (t) => {
      const db = scratchPool(t, scratch, { max: 1, min: 1 });
      let release!: () => void;
      const held = db.withConnection(() => new Promise<void>((resolve) => (release = resolve)));
      await until(() => db.stats().borrowed === 1);
      const waiting = db.query('SELECT 1');
      await until(() => db.stats().pending === 1);
      t.match(db.stats(), { size: 1, borrowed: 1, pending: 1, min: 1, max: 1 });
      release();
      await Promise.all([held, waiting]);
      t.match(db.stats(), { size: 1, available: 1, borrowed: 0, pending: 0 });
    });

    t.test('idle sessions above min are closed after idleTimeoutMillis; min stays', async (t) => {
      const db = scratchPool(t, scratch, { min: 1, max: 3, idleTimeoutMillis: 200 });
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const held = [1, 2, 3].map(() => db.withConnection(() => gate));
      await until(() => db.stats().borrowed === 3);
      t.equal(db.stats().size, 3, 'three sessions while all are busy');
      open();
      await Promise.all(held);
      await until(() => db.stats().size === 1).catch(() => undefined);
      t.equal(db.stats().size, 1, 'back to min once idle');
      t.equal((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1);
    });

    t.test('sql tag values are parameters on this dialect', async (t) => {
      const db = scratchPool(t, scratch);
      const hostile = "x'); DROP TABLE items; --";
      const { rows } = await db.query<{ v: string }>(sql`SELECT ${hostile} AS v`);
      t.equal(rows[0]!.v, hostile);
      const placeholder = dialect === 'mysql' ? '?' : '$1';
      t.equal((await db.query<{ v: number }>(`SELECT ${placeholder} + 1 AS v`, [41])).rows[0]!.v, 42);
    });
  });
}

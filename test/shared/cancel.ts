import t from 'tap';
import { AbortError, type Dialect, type SqlpinError } from '../../lib/index.js';
import { SLOW } from '../helpers/slow.js';
import { createScratch, dialectSql } from '../helpers/servers.js';
import { scratchPool, until } from '../helpers/pools.js';

/** The rejection of `work`, or undefined when it resolved. */
async function rejection(work: Promise<unknown>): Promise<SqlpinError | undefined> {
  return work.then(
    () => undefined,
    (error: unknown) => error as SqlpinError,
  );
}

/** `{ signal }` on every call, against the real servers. */
export function cancelSuite(dialect: Dialect): void {
  const q = dialectSql[dialect];
  const slow = SLOW[dialect];

  t.test(`${dialect}: cancellation with AbortSignal`, async (t) => {
    const scratch = await createScratch(dialect, 'cancel');
    t.teardown(() => scratch.drop());
    await scratch.admin(`CREATE TABLE items (id ${q.serialKey}, label VARCHAR(40) NOT NULL)`);
    await scratch.admin(`CREATE TABLE parent (id ${q.serialKey})`);
    const items = async () => (await scratch.admin('SELECT label FROM items ORDER BY id')).map((row) => String(row.label));
    const gone = () => until(async () => (await scratch.admin(slow.running)).length === 0, 2_000);

    t.test('already aborted: every call rejects before anything is sent', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      const reason = new Error('stopped before');
      const signal = AbortSignal.abort(reason);
      const calls = {
        query: db.query("INSERT INTO items (label) VALUES ('query')", [], { signal }),
        withConnection: db.withConnection((conn) => conn.query("INSERT INTO items (label) VALUES ('pinned')"), { signal }),
        transaction: db.transaction((tx) => tx.query("INSERT INTO items (label) VALUES ('tx')"), { signal }),
        truncate: db.truncate('items', { signal }),
        truncateAll: db.truncateAll({ signal }),
      };
      for (const [name, call] of Object.entries(calls)) {
        const error = await rejection(call);
        t.ok(error instanceof AbortError, `${name}: AbortError`);
        t.match(error, { name: 'AbortError', code: 'ERR_ABORTED', cause: reason }, `${name}: Node's shape, signal.reason as cause`);
      }
      t.same(await items(), [], 'nothing was sent');
      t.equal(db.stats().size, 0, 'not even a session was opened');
    });

    t.test('a running statement aborted: cancelled on the server within 2 s, and the pool is healthy after', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      const controller = new AbortController();
      const running = rejection(db.query(slow.statement, [], { signal: controller.signal }));
      await until(async () => (await scratch.admin(slow.running)).length === 1, 2_000);
      const reason = new Error('user left');
      controller.abort(reason);
      const error = await running;
      t.match(error, { name: 'AbortError', code: 'ERR_ABORTED', cause: reason });
      await t.resolves(gone(), 'gone from the process list within 2 s');
      t.equal(Number((await db.query('SELECT 1 AS one')).rows[0]!.one), 1, 'the pool serves the next query');
      t.equal(db.stats().size, 1, 'on the same session');
    });

    t.test('no bystander is hit: the statement after an aborted one runs, 30 times in 30', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      let unharmed = 0;
      for (let i = 0; i < 30; i++) {
        const controller = new AbortController();
        const aborted = rejection(
          db.query(dialect === 'mysql' ? 'SELECT SLEEP(0.05)' : 'SELECT pg_sleep(0.05)', [], { signal: controller.signal }),
        );
        setTimeout(() => controller.abort(), 40 + (i % 3) * 5);
        const next = rejection(db.query(dialect === 'mysql' ? 'SELECT SLEEP(0.02)' : 'SELECT pg_sleep(0.02)'));
        await aborted;
        if ((await next) === undefined) unharmed += 1;
      }
      t.equal(unharmed, 30, 'the cancel never landed on the next caller');
    });

    t.test('withConnection: the running statement is cancelled, later ones are refused, the call rejects', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      const controller = new AbortController();
      let later: SqlpinError | undefined;
      const call = rejection(
        db.withConnection(
          async (conn) => {
            await conn.query(slow.statement).catch(() => undefined);
            later = await rejection(conn.query("INSERT INTO items (label) VALUES ('after abort')"));
            return 'finished';
          },
          { signal: controller.signal },
        ),
      );
      await until(async () => (await scratch.admin(slow.running)).length === 1, 2_000);
      controller.abort();
      t.match(await call, { code: 'ERR_ABORTED' }, 'the call rejects though the callback returned');
      t.match(later, { code: 'ERR_ABORTED' }, 'a statement after the abort is refused');
      t.same(await items(), [], 'and was never sent');
      await t.resolves(gone());
    });

    t.test('transaction: aborted, it rolls back and never commits, even when the callback swallows the abort', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      const controller = new AbortController();
      const call = rejection(
        db.transaction(
          async (tx) => {
            await tx.query("INSERT INTO items (label) VALUES ('inside')");
            await tx.query(slow.statement).catch(() => undefined);
          },
          { signal: controller.signal },
        ),
      );
      await until(async () => (await scratch.admin(slow.running)).length === 1, 2_000);
      controller.abort();
      t.match(await call, { code: 'ERR_ABORTED' });
      t.same(await items(), [], 'rolled back');
      await t.resolves(
        db.transaction((tx) => tx.query("INSERT INTO items (label) VALUES ('next')")),
        'the session takes the next transaction',
      );
      t.same(await items(), ['next']);
      await scratch.admin('DELETE FROM items');
    });

    t.test('a caller waiting for a session leaves at once when aborted; the session serves the next one', async (t) => {
      const db = scratchPool(t, scratch, { max: 1, acquireTimeoutMillis: 60_000 });
      let release!: () => void;
      const held = db.withConnection(() => new Promise<void>((resolve) => (release = resolve)));
      await until(() => db.stats().borrowed === 1, 2_000);
      const controller = new AbortController();
      const waiting = rejection(db.query('SELECT 1', [], { signal: controller.signal }));
      setTimeout(() => controller.abort(), 50);
      const began = Date.now();
      t.match(await waiting, { code: 'ERR_ABORTED' });
      t.ok(Date.now() - began < 5_000, 'not after the 60 s acquire timeout');
      t.equal(db.stats().pending, 0, 'it no longer counts as waiting');
      release();
      await held;
      t.equal(Number((await db.query('SELECT 1 AS one')).rows[0]!.one), 1);
      t.equal(db.stats().size, 1);
    });

    t.test('truncate aborted while it waits for its lock: nothing is emptied', async (t) => {
      await scratch.admin('INSERT INTO parent VALUES (DEFAULT), (DEFAULT)');
      const holder = scratchPool(t, scratch, { max: 1 });
      const db = scratchPool(t, scratch, { max: 1 });
      let release!: () => void;
      const holding = holder.transaction(async (tx) => {
        await tx.query(dialect === 'mysql' ? 'SELECT * FROM parent FOR UPDATE' : 'LOCK TABLE parent IN ACCESS SHARE MODE');
        await new Promise<void>((resolve) => (release = resolve));
      });
      await until(() => release !== undefined, 2_000);
      const controller = new AbortController();
      const truncating = rejection(db.truncate('parent', { signal: controller.signal }));
      setTimeout(() => controller.abort(), 300);
      t.match(await truncating, { code: 'ERR_ABORTED' });
      release();
      await holding;
      await new Promise((resolve) => setTimeout(resolve, 300));
      t.equal(Number((await scratch.admin('SELECT COUNT(*) AS n FROM parent'))[0]!.n), 2, 'nothing was emptied, now or later');
      await t.resolves(db.truncate('parent'), 'the session truncates next time');
      t.equal(Number((await scratch.admin('SELECT COUNT(*) AS n FROM parent'))[0]!.n), 0);
    });

    t.test('a signal that is not an AbortSignal is refused', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      await t.rejects(db.query('SELECT 1', [], { signal: {} as AbortSignal }), { code: 'ERR_INVALID_ARGUMENT', message: /AbortSignal/ });
      await t.rejects(
        db.withConnection(() => 1, { signal: 'stop' } as never),
        { code: 'ERR_INVALID_ARGUMENT' },
      );
    });
  });
}

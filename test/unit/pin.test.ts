import t from 'tap';
import { Connection } from '../../lib/connection.js';
import { parsePoolOptions } from '../../lib/config.js';
import { Pool } from '../../lib/index.js';
import { settle } from '../helpers/clock.js';
import { FakeDriver, fakePool, gate } from '../helpers/fake-driver.js';

/** A pinned callback's handle and signal, on a fake driver. */

t.test('the handle says which session and dialect it runs on', async (t) => {
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 2 });
  t.teardown(() => db.close());
  const seen = await db.withConnection((conn) => [conn.sessionId, conn.dialect]);
  t.same(seen, [1, 'postgres']);
  t.equal(db.dialect, 'postgres');
  t.match(db.stats(), { min: 0, max: 2 });
});

t.test('pools and handles come from sqlpin, never from new', async (t) => {
  const config = parsePoolOptions({ dialect: 'postgres' });
  const NewPool = Pool as unknown as new (token: symbol, config: unknown) => Pool;
  t.throws(() => new NewPool(Symbol('sqlpin pool'), config), {
    code: 'ERR_INVALID_ARGUMENT',
    message: 'a Pool is made with createPool(options), not with new',
  });
  const NewConnection = Connection as unknown as new (token: symbol, pin: unknown) => Connection;
  t.throws(() => new NewConnection(Symbol('sqlpin connection'), {}), {
    code: 'ERR_INVALID_ARGUMENT',
    message: 'a Connection comes from withConnection or transaction; it cannot be made with new',
  });
});

t.test('wrong callbacks are refused with a message naming what was given', async (t) => {
  const db = fakePool(new FakeDriver(), { max: 1 });
  t.teardown(() => db.close());
  await t.rejects(db.withConnection(5 as never), { message: 'withConnection takes a function, not number 5' });
  await t.rejects(db.transaction('x' as never), { message: 'transaction takes a function, not string x' });
  await t.rejects(
    db.withConnection((conn) => conn.transaction(null as never)),
    { message: 'transaction takes a function, not null' },
  );
  await t.rejects(
    db.withConnection(() => 1, { signal: 'stop' } as never),
    {
      message: 'withConnection option signal must be an AbortSignal, not string stop',
    },
  );
});

t.test('a nested withConnection runs its callback on the same handle; its throw becomes a rejection', async (t) => {
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  const thrown = new Error('inner');
  const result = await db.withConnection(async (conn) => {
    const inner = await db.withConnection((nested) => (nested === conn ? 'same' : 'other'));
    const failed = await db
      .withConnection(() => {
        throw thrown;
      })
      .catch((e: unknown) => e);
    return [inner, failed];
  });
  t.same(result, ['same', thrown]);
});

t.test("withConnection's signal cuts the running statement, refuses later work, and rejects the call", async (t) => {
  const driver = new FakeDriver();
  const held = gate();
  driver.respond = (text) => (text === 'SLOW' ? held.opened.then(() => ({ rows: [], rowCount: 0 })) : undefined);
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  const controller = new AbortController();
  const seen: unknown[] = [];
  const call = db
    .withConnection(
      async (conn) => {
        seen.push(await conn.query('SLOW').catch((e: unknown) => (e as { code: string }).code));
        seen.push(await conn.transaction(() => 1).catch((e: unknown) => (e as { code: string }).code));
        return 'returned';
      },
      { signal: controller.signal },
    )
    .catch((e: unknown) => e);
  await settle();
  controller.abort('stop');
  await settle();
  held.open();
  t.match(await call, { code: 'ERR_ABORTED', cause: 'stop' }, 'whatever the callback returned');
  t.same(seen, ['ERR_ABORTED', 'ERR_ABORTED']);
  t.same(driver.log, ['1: SLOW', 'aside: CANCEL 1'], 'the transaction was refused before its BEGIN');
});

t.test('a unit the callback left running still owns the session: its work runs, then the session goes back', async (t) => {
  const driver = new FakeDriver();
  const held = gate();
  driver.respond = (text) => (text === 'SLOW' ? held.opened.then(() => ({ rows: [], rowCount: 0 })) : undefined);
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  let unit!: Promise<unknown>;
  let settled = false;
  const call = db.withConnection((conn) => {
    unit = conn.transaction(async (tx) => {
      await tx.query('SLOW');
      await tx.query('after the callback');
      await db.query('through db.*');
    });
    return 'callback settled';
  });
  void call.then(() => (settled = true));
  const next = db.query('next caller');
  await settle();
  t.same(driver.log, ['1: BEGIN', '1: SLOW'], 'the next caller waits for the unit');
  t.notOk(settled, 'the call resolves only once its unit has finished');
  held.open();
  t.equal(await call, 'callback settled');
  await unit;
  await next;
  t.same(driver.log, ['1: BEGIN', '1: SLOW', '1: after the callback', '1: through db.*', '1: COMMIT', '1: next caller']);
});

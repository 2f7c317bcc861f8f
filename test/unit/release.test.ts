import t from 'tap';
import { fakeClock, settle } from '../helpers/clock.js';
import { FakeDriver, fakePool } from '../helpers/fake-driver.js';

/** What happens to a session when its borrow ends: rolled back, reset, put back or destroyed, and in which order. */

t.test('left in a transaction with resetOnRelease: rolled back, then reset, then reused', async (t) => {
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1, resetOnRelease: true });
  t.teardown(() => db.close());
  await db.withConnection((conn) => conn.query('BEGIN'));
  t.same(driver.log, ['1: BEGIN', '1: ROLLBACK']);
  t.equal(driver.sessions[0]!.resets, 1);
  await db.query('next');
  t.equal(driver.log.at(-1), '1: next');
});

t.test('a ROLLBACK that fails skips the reset: the session is destroyed, the failure reported once', async (t) => {
  const driver = new FakeDriver();
  const failure = new Error('rollback failed');
  driver.respond = (text) => (text === 'ROLLBACK' ? Promise.reject(failure) : undefined);
  const reported: unknown[] = [];
  const db = fakePool(driver, { max: 1, resetOnRelease: true, onError: (e) => reported.push(e) });
  t.teardown(() => db.close());
  await db.withConnection((conn) => conn.query('BEGIN'));
  t.equal(driver.sessions[0]!.resets, 0, 'no reset on a condemned session');
  t.same(reported, [failure]);
  t.ok(driver.sessions[0]!.destroyed);
});

t.test('an unusable session is destroyed as it is: no ROLLBACK, no reset sent to it', async (t) => {
  const driver = new FakeDriver();
  driver.respond = (text) => (text === 'FATAL' ? Promise.reject(Object.assign(new Error('reset'), { fatal: true })) : undefined);
  const db = fakePool(driver, { max: 1, resetOnRelease: true });
  t.teardown(() => db.close());
  await db.withConnection(async (conn) => {
    await conn.query('BEGIN');
    await conn.query('FATAL').catch(() => undefined);
  });
  t.same(driver.log, ['1: BEGIN', '1: FATAL']);
  t.equal(driver.sessions[0]!.resets, 0);
  t.ok(driver.sessions[0]!.destroyed);
});

t.test('a session at the end of its uses that is also unusable is destroyed, not closed politely', async (t) => {
  const driver = new FakeDriver();
  driver.respond = (text) => (text === 'FATAL' ? Promise.reject(Object.assign(new Error('reset'), { fatal: true })) : undefined);
  const db = fakePool(driver, { max: 1, maxUses: 1 });
  t.teardown(() => db.close());
  await db.query('FATAL').catch(() => undefined);
  t.ok(driver.sessions[0]!.destroyed);
  await db.query('ok');
  t.ok(driver.sessions[1]!.closed, 'a healthy one at its end is closed');
  t.notOk(driver.sessions[1]!.destroyed, 'politely');
});

t.test('a session out of any transaction and without resetOnRelease goes back untouched', async (t) => {
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await db.withConnection(async (conn) => {
    await conn.query('BEGIN');
    await conn.query('COMMIT');
  });
  t.same(driver.log, ['1: BEGIN', '1: COMMIT']);
  t.equal(driver.sessions[0]!.resets, 0);
});

t.test(
  'a session whose cut statement still runs goes to no one: a caller that comes meanwhile gets a new one after the grace',
  async (t) => {
    const clock = fakeClock(t);
    const driver = new FakeDriver();
    driver.respond = (text) => (text === 'SLOW' ? new Promise<never>(() => undefined) : undefined);
    const db = fakePool(driver, { max: 1, queryTimeoutMillis: 50, idleTimeoutMillis: 0 });
    t.teardown(() => db.close());
    const slow = db.query('SLOW').catch((error: unknown) => error);
    await settle();
    await clock.tick(50);
    t.match(await slow, { code: 'ERR_QUERY_TIMEOUT' });
    const next = db.query('NEXT');
    await settle();
    t.equal(db.stats().pending, 1, 'the next caller waits: the session is not back');
    await clock.tick(1_000);
    t.match(await next, { rowCount: 0 });
    t.same(driver.log, ['1: SLOW', 'aside: CANCEL 1', '2: NEXT']);
  },
);

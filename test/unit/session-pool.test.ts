import { channel } from 'node:diagnostics_channel';
import t from 'tap';
import { fakeClock, settle } from '../helpers/clock.js';
import { FakeDriver, fakePool, gate } from '../helpers/fake-driver.js';

/** The pool's sessions on a fake driver: waiting callers, order, idle eviction, failed opens, allowExitOnIdle. */

t.test('a caller waiting for a session leaves when its signal aborts; the session goes to the next one', async (t) => {
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  const release = gate();
  const held = db.withConnection(() => release.opened);
  await settle();
  const controller = new AbortController();
  const waiting = db.query('never sent', { signal: controller.signal }).catch((e: unknown) => e);
  await settle();
  t.equal(db.stats().pending, 1, 'it waits');
  controller.abort('gave up');
  t.match(await waiting, { code: 'ERR_ABORTED', cause: 'gave up' });
  t.equal(db.stats().pending, 0, 'and is no longer counted');
  release.open();
  await held;
  await db.query('next');
  t.same(driver.log, ['1: next']);
  t.match(db.stats(), { size: 1, available: 1, borrowed: 0, pending: 0, min: 0, max: 1, retriedReads: 0 });
});

t.test('a caller waiting when the pool closes: its timeout says the pool closed', async (t) => {
  const clock = fakeClock(t);
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1, acquireTimeoutMillis: 50, idleTimeoutMillis: 0 });
  const release = gate();
  const held = db.withConnection(() => release.opened);
  await settle();
  const waiting = db.query('x').catch((e: unknown) => e);
  await settle();
  const closing = db.close();
  await clock.tick(50);
  t.match(await waiting, { code: 'ERR_POOL_CLOSED' });
  release.open();
  await held;
  await closing;
});

t.test('PoolTimeoutError names the wait, and the failure to open as its detail', async (t) => {
  const clock = fakeClock(t);
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1, acquireTimeoutMillis: 50, idleTimeoutMillis: 0 });
  t.teardown(() => db.close());
  const release = gate();
  const held = db.withConnection(() => release.opened);
  await settle();
  const waiting = db.query('x').catch((e: unknown) => e);
  await settle();
  await clock.tick(49);
  t.equal(db.stats().pending, 1, 'still waiting at 49 ms');
  await clock.tick(1);
  t.match(await waiting, { code: 'ERR_POOL_TIMEOUT', message: 'no session became available within 50 ms' });
  release.open();
  await held;
});

t.test('an open that fails while the caller waits is ConnectionError, with the driver message', async (t) => {
  for (const [failure, message] of [
    [new Error('connection refused'), 'could not open a postgres session: connection refused'],
    ['no route', 'could not open a postgres session: no route'],
  ] as const) {
    const driver = new FakeDriver();
    driver.connectWith = () => Promise.reject(failure);
    const db = fakePool(driver, { max: 1 });
    await t.rejects(db.query('x'), { code: 'ERR_CONNECT', message, cause: failure });
    await db.close();
  }
});

t.test("order: 'fifo' lends the session idle longest, 'lifo' the one back last", async (t) => {
  for (const [order, lent] of [
    ['fifo', 'a'],
    ['lifo', 'b'],
  ] as const) {
    const driver = new FakeDriver();
    const db = fakePool(driver, { max: 2, order });
    const first = gate();
    const second = gate();
    const a = db.withConnection((conn) => first.opened.then(() => conn.query('a')));
    const b = db.withConnection((conn) => second.opened.then(() => conn.query('b')));
    await settle();
    first.open();
    await a;
    second.open();
    await b;
    await db.query('next');
    const sessionOf = (text: string) => driver.log.find((line) => line.endsWith(`: ${text}`))!.split(':')[0];
    t.equal(sessionOf('next'), sessionOf(lent), `${order}: the session that ran ${lent}`);
    await db.close();
  }
});

t.test('idleTimeoutMillis closes idle sessions above min, and says so; min is kept', async (t) => {
  const clock = fakeClock(t);
  const events: unknown[] = [];
  const listen = (event: unknown) => events.push(event);
  channel('sqlpin:pool').subscribe(listen);
  t.teardown(() => channel('sqlpin:pool').unsubscribe(listen));
  const driver = new FakeDriver();
  const db = fakePool(driver, { min: 1, max: 2, idleTimeoutMillis: 500 });
  t.teardown(() => db.close());
  await settle();
  t.equal(driver.connects, 1, 'min opens at once');
  const release = gate();
  await Promise.all([db.withConnection(() => release.opened), db.withConnection(() => release.opened), settle().then(release.open)]);
  t.equal(db.stats().size, 2);
  await clock.tick(400);
  t.equal(db.stats().size, 2, 'not idle long enough yet');
  await clock.tick(700);
  t.equal(db.stats().size, 1, 'one closed, min kept');
  t.match(events.at(-1), { event: 'close', reason: 'idle timeout' });
});

t.test('allowExitOnIdle: a session keeps the process alive only while it is lent', async (t) => {
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1, allowExitOnIdle: true });
  t.teardown(() => db.close());
  let whileLent: boolean | undefined;
  await db.withConnection(() => {
    whileLent = driver.sessions[0]!.holding;
  });
  t.equal(whileLent, true, 'held while lent');
  t.equal(driver.sessions[0]!.holding, false, 'released when idle');
  const other = new FakeDriver();
  const keeps = fakePool(other, { max: 1 });
  await keeps.query('x');
  t.equal(other.sessions[0]!.holding, true, 'without the option, never told to let go');
  await keeps.close();
});

t.test('an idle session the server killed is dropped, and the caller gets a new one', async (t) => {
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await db.query('first');
  driver.sessions[0]!.lose(new Error('killed while idle'));
  t.match(await db.query('second'), { rowCount: 0 });
  t.same(driver.log, ['1: first', '2: second']);
  t.ok(driver.sessions[0]!.destroyed, 'the dead one destroyed');
});

t.test('an open that failed before the caller came is dropped, and the next attempt serves it', async (t) => {
  const driver = new FakeDriver();
  driver.connectWith = (attempt) => (attempt === 1 ? Promise.reject(new Error('refused at start')) : Promise.resolve());
  const db = fakePool(driver, { min: 1, max: 1 });
  t.teardown(() => db.close());
  await settle();
  t.equal(driver.connects, 1, 'min: 1 tried to open one, and failed');
  t.match(await db.query('x'), { rowCount: 0 }, 'no ConnectionError: that failure is older than the call');
  t.same(driver.log, ['1: x']);
});

t.test('allowExitOnIdle: a session opened for min and never lent does not keep the process alive', async (t) => {
  const driver = new FakeDriver();
  const db = fakePool(driver, { min: 1, max: 1, allowExitOnIdle: true });
  t.teardown(() => db.close());
  await settle();
  t.equal(driver.sessions.length, 1);
  t.equal(driver.sessions[0]!.holding, false);
});

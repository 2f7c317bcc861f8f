import t from 'tap';
import { parsePoolOptions } from '../../lib/config.js';
import type { Session, TruncateConfig, TruncateFrame, TruncateTarget } from '../../lib/driver.js';
import { Pool } from '../../lib/index.js';
import { fakeClock, settle } from '../helpers/clock.js';
import { type FakeConnection, FakeDriver, fakePool } from '../helpers/fake-driver.js';

/** What a session remembers between statements and transactions, and how queued statements are bound and withdrawn. */

const EMPTY = { rows: [], rowCount: 0 };

/** A reply the test gives when it chooses. */
function held() {
  let answer!: () => void;
  const promise = new Promise<typeof EMPTY>((resolve) => (answer = () => resolve(EMPTY)));
  return { promise, answer };
}

t.test('after a transaction a cut statement aborted, the next transaction on the session commits', async (t) => {
  const clock = fakeClock(t);
  const driver = new FakeDriver();
  const slow = held();
  driver.respond = (text) => (text === 'SLOW' ? slow.promise : undefined);
  const db = fakePool(driver, { max: 1, idleTimeoutMillis: 0 });
  t.teardown(() => db.close());
  const first = db.transaction((tx) => tx.query('SLOW', [], { timeoutMillis: 10 })).catch((e: unknown) => e);
  await settle();
  await clock.tick(10);
  slow.answer();
  t.match(await first, { code: 'ERR_QUERY_TIMEOUT' });
  await db.transaction((tx) => tx.query('again'));
  t.same(driver.log.slice(-3), ['1: BEGIN', '1: again', '1: COMMIT'], 'the same session, committed');
});

t.test('after the server ended a transaction over a deadlock, the next transaction does not hear of it', async (t) => {
  const driver = new FakeDriver();
  const deadlock = Object.assign(new Error('Deadlock found'), { errno: 1213 });
  driver.respond = (text, connection) => {
    connection.statusAfterError = 'unknown';
    if (text === 'LOCK') return Promise.reject(deadlock);
    if (text === 'PROBE') connection.setStatus('idle');
    return undefined;
  };
  const db = Pool.open(parsePoolOptions({ dialect: 'mysql', max: 1 }), Promise.resolve(driver));
  t.teardown(() => db.close());
  await t.rejects(
    db.transaction((tx) => tx.query('LOCK')),
    deadlock,
  );
  // This body ends its transaction itself: the core then finds no transaction, and no error of the server's either.
  await db.transaction(async (tx) => {
    await tx.query('x');
    await tx.query('COMMIT');
  });
  t.same(driver.log.slice(-4), ['1: BEGIN', '1: x', '1: COMMIT', '1: COMMIT']);
});

t.test('a failure rolled back to its savepoint is not the cause of a later abort', async (t) => {
  const driver = new FakeDriver();
  const first = new Error('first');
  const later = new Error('later');
  driver.respond = (text) => (text === 'BAD 1' ? Promise.reject(first) : text === 'BAD 2' ? Promise.reject(later) : undefined);
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  const error = await db
    .transaction(async (tx) => {
      await tx.transaction((inner) => inner.query('BAD 1')).catch(() => undefined);
      await tx.query('fine');
      await tx.query('BAD 2').catch(() => undefined);
    })
    .catch((e: unknown) => e);
  t.match(error, { code: 'ERR_TRANSACTION_ABORTED' });
  t.equal((error as Error).cause, later);
});

t.test("a queued statement's time bound starts when it is sent, not while it waits", async (t) => {
  const clock = fakeClock(t);
  const driver = new FakeDriver();
  const first = held();
  const second = held();
  driver.respond = (text) => (text === 'FIRST' ? first.promise : text === 'SECOND' ? second.promise : undefined);
  const db = fakePool(driver, { max: 1, idleTimeoutMillis: 0 });
  t.teardown(() => db.close());
  await db.withConnection(async (conn) => {
    const running = conn.query('FIRST');
    let outcome: unknown = 'pending';
    const queued = conn.query('SECOND', [], { timeoutMillis: 50 }).then(
      () => (outcome = 'resolved'),
      (e: unknown) => (outcome = e),
    );
    await settle();
    await clock.tick(100);
    t.equal(outcome, 'pending', 'not cut while it waited');
    t.same(driver.log, ['1: FIRST']);
    first.answer();
    await running;
    await settle();
    await clock.tick(49);
    t.equal(outcome, 'pending');
    await clock.tick(1);
    t.match(outcome, { code: 'ERR_QUERY_TIMEOUT', timeoutMillis: 50 });
    second.answer();
    await queued;
  });
  t.same(driver.log, ['1: FIRST', '1: SECOND', 'aside: CANCEL 1']);
});

t.test('a signal that aborts after its statement left the queue cuts it there; the statements behind it still run', async (t) => {
  const driver = new FakeDriver();
  const first = held();
  const second = held();
  driver.respond = (text) => (text === 'FIRST' ? first.promise : text === 'SECOND' ? second.promise : undefined);
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await db.withConnection(async (conn) => {
    const controller = new AbortController();
    const all = Promise.allSettled([conn.query('FIRST'), conn.query('SECOND', { signal: controller.signal }), conn.query('THIRD')]);
    await settle();
    first.answer();
    await settle();
    t.same(driver.log, ['1: FIRST', '1: SECOND']);
    controller.abort('stop');
    await settle();
    second.answer();
    const [, cut, third] = await all;
    t.match(cut, { status: 'rejected', reason: { code: 'ERR_ABORTED' } });
    t.equal(third.status, 'fulfilled');
  });
  t.same(driver.log, ['1: FIRST', '1: SECOND', 'aside: CANCEL 1', '1: THIRD']);
});

/** A truncate that sends one statement that must finish and one that may be cut, as a dialect restoring session state does. */
class FinishingDriver extends FakeDriver {
  override async truncate(session: Session<FakeConnection>, _target: TruncateTarget, _options: TruncateConfig, frame: TruncateFrame) {
    await session.query(`${frame.opening}RESTORE`, undefined, { finish: true });
    await session.query(`EMPTY${frame.closing}`);
  }
}

t.test("a truncate's signal cuts its statements, but not one that must finish", async (t) => {
  const driver = new FinishingDriver();
  const restore = held();
  driver.respond = (text) => (text.endsWith('RESTORE') ? restore.promise : undefined);
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  const controller = new AbortController();
  let outcome: unknown = 'pending';
  const run = db.truncate('t', { signal: controller.signal }).then(
    () => (outcome = 'resolved'),
    (e: unknown) => (outcome = e),
  );
  await settle();
  controller.abort('stop');
  await settle();
  t.same(driver.log, ['1: BEGIN;\nRESTORE'], 'no cancel for the statement that must finish');
  t.equal(outcome, 'pending');
  restore.answer();
  await run;
  t.match(outcome, { code: 'ERR_ABORTED', cause: 'stop' });
  t.same(driver.log, ['1: BEGIN;\nRESTORE', '1: ROLLBACK'], 'nothing more of the truncate is sent once the call was aborted');
});

t.test("a truncate's signal cuts the statement it is running; one that still ran to its COMMIT resolves", async (t) => {
  const driver = new FinishingDriver();
  const empty = held();
  driver.respond = (text) => (text.startsWith('EMPTY') ? empty.promise : undefined);
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  const controller = new AbortController();
  const run = db.truncate('t', { signal: controller.signal }).catch((e: unknown) => e);
  await settle();
  controller.abort('stop');
  await settle();
  t.same(driver.log, ['1: BEGIN;\nRESTORE', '1: EMPTY;\nCOMMIT', 'aside: CANCEL 1']);
  empty.answer();
  // The statement ended without error, its COMMIT with it: the call did what was asked.
  t.equal(await run, undefined, 'resolves, though its signal aborted');
});

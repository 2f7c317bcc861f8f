import t from 'tap';
import type { SqlpinError } from '../../lib/index.js';
import { fakeClock, settle } from '../helpers/clock.js';
import { FakeDriver, fakePool } from '../helpers/fake-driver.js';

/** The managed session's bounds on a fake driver: timeouts, aborts, their cancel and grace, lost links, close. */

const EMPTY = { rows: [], rowCount: 0 };

/** A driver on which `text` answers only when the test says (or fails, or never). */
function slowOn(text: string) {
  const driver = new FakeDriver();
  let answer!: () => void;
  let fail!: (error: unknown) => void;
  const held = new Promise<typeof EMPTY>((resolve, reject) => {
    answer = () => resolve(EMPTY);
    fail = reject;
  });
  driver.respond = (sent) => (sent === text ? held : undefined);
  return { driver, answer, fail };
}

/** The error a promise rejects with, or 'pending' while it has not settled. */
function outcome(promise: Promise<unknown>): { readonly now: unknown } {
  const seen = { now: 'pending' as unknown };
  promise.then(
    () => (seen.now = 'resolved'),
    (error: unknown) => (seen.now = error),
  );
  return seen;
}

t.test(
  'a statement past queryTimeoutMillis is cut at that moment, cancelled on a side connection, and holds its session until it ends',
  async (t) => {
    const clock = fakeClock(t);
    const { driver, answer } = slowOn('SLOW');
    const db = fakePool(driver, { max: 1, queryTimeoutMillis: 100, idleTimeoutMillis: 0 });
    t.teardown(() => db.close());
    const slow = outcome(db.query('SLOW'));
    await settle();
    await clock.tick(99);
    t.equal(slow.now, 'pending', 'not cut before its time');
    t.same(driver.log, ['1: SLOW']);
    await clock.tick(1);
    const error = slow.now as SqlpinError & { timeoutMillis: number; outcome: unknown };
    t.equal(error.code, 'ERR_QUERY_TIMEOUT');
    t.equal(error.timeoutMillis, 100);
    t.equal(error.outcome, undefined, 'no COMMIT was involved');
    t.equal(error.message, 'the statement did not answer within 100 ms and was cancelled');
    t.same(driver.log, ['1: SLOW', 'aside: CANCEL 1'], 'the cancel names the session, on a side connection');
    const next = outcome(db.query('NEXT'));
    await settle();
    t.equal(next.now, 'pending', 'the next caller waits while the cut statement still runs');
    t.match(db.stats(), { borrowed: 1, available: 0 });
    answer();
    await settle();
    t.equal(next.now, 'resolved');
    t.same(driver.log, ['1: SLOW', 'aside: CANCEL 1', '1: NEXT'], 'the same session, reused once its statement ended');
    t.notOk(driver.sessions[0]!.closed);
  },
);

t.test('a cut statement that does not end within the grace gives its session up, reported once', async (t) => {
  const clock = fakeClock(t);
  const { driver } = slowOn('SLOW');
  const reported: unknown[] = [];
  const db = fakePool(driver, { max: 1, queryTimeoutMillis: 50, idleTimeoutMillis: 0, onError: (e) => reported.push(e) });
  t.teardown(() => db.close());
  const slow = outcome(db.query('SLOW'));
  await settle();
  await clock.tick(50);
  t.match(slow.now, { code: 'ERR_QUERY_TIMEOUT' });
  await clock.tick(999);
  t.notOk(driver.sessions[0]!.destroyed, 'still within the grace');
  await clock.tick(1);
  t.ok(driver.sessions[0]!.destroyed, 'destroyed at the end of the grace');
  t.equal(reported.length, 1);
  t.match(reported[0], { message: 'a cut statement or its cancel did not end within the grace' });
  await clock.tick(5_000);
  t.equal(reported.length, 1, 'reported once');
  await db.query('NEXT');
  t.same(driver.log.at(-1), '2: NEXT', 'a fresh session serves the next caller');
});

t.test('a cancel that fails gives the session up at once: it might still land on a later statement', async (t) => {
  const clock = fakeClock(t);
  const { driver, answer } = slowOn('SLOW');
  const refused = new Error('cancel refused');
  driver.asideWith = () => Promise.reject(refused);
  const reported: unknown[] = [];
  const db = fakePool(driver, { max: 1, queryTimeoutMillis: 50, idleTimeoutMillis: 0, onError: (e) => reported.push(e) });
  t.teardown(() => db.close());
  const slow = outcome(db.query('SLOW'));
  await settle();
  await clock.tick(50);
  t.match(slow.now, { code: 'ERR_QUERY_TIMEOUT' });
  t.ok(driver.sessions[0]!.destroyed, 'destroyed before the grace ran out');
  t.same(reported, [refused], "the cancel's error is reported");
  answer();
  await clock.tick(1_000);
  t.same(reported, [refused], 'and nothing more');
  await db.query('NEXT');
  t.equal(driver.log.at(-1), '2: NEXT');
});

t.test("a call's timeoutMillis overrides the pool's, and 0 turns the bound off", async (t) => {
  const clock = fakeClock(t);
  const { driver, answer } = slowOn('SLOW');
  const db = fakePool(driver, { max: 2, queryTimeoutMillis: 100, idleTimeoutMillis: 0 });
  t.teardown(() => db.close());
  const shorter = outcome(db.query('SLOW', [], { timeoutMillis: 10 }));
  const unbounded = outcome(db.query('SLOW', { timeoutMillis: 0 }));
  await settle();
  await clock.tick(10);
  t.match(shorter.now, { code: 'ERR_QUERY_TIMEOUT', timeoutMillis: 10 });
  await clock.tick(5_000);
  t.equal(unbounded.now, 'pending', 'no bound at all');
  answer();
  await settle();
  t.equal(unbounded.now, 'resolved');
});

t.test('an AbortSignal cuts the running statement as a timeout does, with its reason as the cause', async (t) => {
  fakeClock(t);
  const { driver, answer } = slowOn('SLOW');
  const db = fakePool(driver, { max: 1, idleTimeoutMillis: 0 });
  t.teardown(() => db.close());
  const controller = new AbortController();
  const slow = outcome(db.query('SLOW', { signal: controller.signal }));
  await settle();
  t.equal(slow.now, 'pending');
  controller.abort('user left');
  await settle();
  t.match(slow.now, { code: 'ERR_ABORTED', cause: 'user left', message: 'the call was aborted' });
  t.same(driver.log, ['1: SLOW', 'aside: CANCEL 1']);
  answer();
  await db.query('NEXT');
  t.equal(driver.log.at(-1), '1: NEXT', 'the session is reused once the statement ended');
});

t.test('an AbortSignal already aborted: nothing is borrowed or sent', async (t) => {
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  const controller = new AbortController();
  controller.abort('too late');
  await t.rejects(db.query('SELECT 1', { signal: controller.signal }), { code: 'ERR_ABORTED', cause: 'too late' });
  await t.rejects(
    db.withConnection(() => 1, { signal: controller.signal }),
    { code: 'ERR_ABORTED' },
  );
  t.equal(driver.connects, 0);
  t.same(driver.log, []);
});

t.test('a statement waiting behind another leaves the queue unsent when its signal aborts', async (t) => {
  const { driver, answer } = slowOn('SLOW');
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await db.withConnection(async (conn) => {
    const running = conn.query('SLOW');
    const controller = new AbortController();
    const queued = outcome(conn.query('QUEUED', { signal: controller.signal }));
    const after = conn.query('AFTER');
    await settle();
    controller.abort('changed my mind');
    await settle();
    t.match(queued.now, { code: 'ERR_ABORTED', cause: 'changed my mind' });
    t.same(driver.log, ['1: SLOW'], 'no cancel: the withdrawn statement was never sent');
    answer();
    await running;
    await after;
  });
  t.same(driver.log, ['1: SLOW', '1: AFTER']);
});

t.test('statements queued on a session run in order, each with its own outcome', async (t) => {
  const { driver, answer } = slowOn('SLOW');
  const failure = new Error('syntax');
  const respond = driver.respond;
  driver.respond = (text, connection) => (text === 'BAD' ? Promise.reject(failure) : respond(text, connection));
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await db.withConnection(async (conn) => {
    const all = Promise.allSettled([conn.query('SLOW'), conn.query('BAD'), conn.query('GOOD', [1])]);
    await settle();
    t.same(driver.log, ['1: SLOW']);
    answer();
    const [slow, bad, good] = await all;
    t.equal(slow.status, 'fulfilled');
    t.same(bad, { status: 'rejected', reason: failure }, 'the error reaches its caller unchanged');
    t.equal(good.status, 'fulfilled');
  });
  t.same(driver.log, ['1: SLOW', '1: BAD', '1: GOOD']);
});

t.test('a statement cut inside a transaction keeps it from committing: rolled back, TransactionAbortedError', async (t) => {
  const clock = fakeClock(t);
  const { driver, answer } = slowOn('SLOW');
  const db = fakePool(driver, { max: 1, idleTimeoutMillis: 0 });
  t.teardown(() => db.close());
  let cut: unknown;
  const tx = outcome(
    db.transaction(async (conn) => {
      cut = await conn.query('SLOW', [], { timeoutMillis: 20 }).catch((error: unknown) => error);
    }),
  );
  await settle();
  await clock.tick(20);
  t.match(cut, { code: 'ERR_QUERY_TIMEOUT' });
  t.equal(tx.now, 'pending', 'waits for the cut statement to end before it decides');
  answer();
  await settle();
  t.match(tx.now, { code: 'ERR_TRANSACTION_ABORTED' });
  t.equal((tx.now as Error).cause, cut, 'the cut is the cause');
  t.same(driver.log, ['1: BEGIN', '1: SLOW', 'aside: CANCEL 1', '1: ROLLBACK'], 'never a COMMIT');
});

t.test('a COMMIT that is cut: resolved if it took effect, else its error says what became of the transaction', async (t) => {
  t.test('it ended after all: the transaction resolves', async (t) => {
    const clock = fakeClock(t);
    const { driver, answer } = slowOn('COMMIT');
    const db = fakePool(driver, { max: 1, queryTimeoutMillis: 30, idleTimeoutMillis: 0 });
    t.teardown(() => db.close());
    const tx = outcome(db.transaction(() => 'done'));
    await settle();
    await clock.tick(30);
    t.equal(tx.now, 'pending', 'the caller hears once the COMMIT is known');
    answer();
    await settle();
    t.equal(tx.now, 'resolved');
  });

  t.test('it failed: rolled back', async (t) => {
    const clock = fakeClock(t);
    const { driver, fail } = slowOn('COMMIT');
    const db = fakePool(driver, { max: 1, queryTimeoutMillis: 30, idleTimeoutMillis: 0 });
    t.teardown(() => db.close());
    const tx = outcome(db.transaction(() => 'done'));
    await settle();
    await clock.tick(30);
    fail(new Error('serialization failure'));
    await settle();
    t.match(tx.now, {
      code: 'ERR_QUERY_TIMEOUT',
      outcome: 'rolled back',
      timeoutMillis: 30,
      message: 'the statement did not answer within 30 ms and was cancelled; its transaction was rolled back',
    });
  });

  t.test('it never ended: unknown, and the session is not reused', async (t) => {
    const clock = fakeClock(t);
    const { driver } = slowOn('COMMIT');
    const db = fakePool(driver, { max: 1, queryTimeoutMillis: 30, idleTimeoutMillis: 0, onError: () => undefined });
    t.teardown(() => db.close());
    const tx = outcome(db.transaction(() => 'done'));
    await settle();
    await clock.tick(30);
    await clock.tick(1_000);
    t.match(tx.now, {
      code: 'ERR_QUERY_TIMEOUT',
      outcome: 'unknown',
      message: /; whether its COMMIT took effect is unknown$/,
    });
    t.ok(driver.sessions[0]!.destroyed);
  });

  t.test('aborted by a signal: the same outcomes, as AbortError', async (t) => {
    fakeClock(t);
    const { driver, fail } = slowOn('COMMIT');
    const db = fakePool(driver, { max: 1, idleTimeoutMillis: 0 });
    t.teardown(() => db.close());
    const controller = new AbortController();
    let tx!: { readonly now: unknown };
    await db.withConnection(async (conn) => {
      tx = outcome(conn.transaction(() => 'done', { signal: controller.signal }));
      await settle();
      controller.abort('stop');
      await settle();
      fail(new Error('rolled back'));
      await settle();
    });
    t.match(tx.now, { code: 'ERR_ABORTED', outcome: 'rolled back', cause: 'stop' });
  });

  t.test('the link was lost during COMMIT: unknown', async (t) => {
    const driver = new FakeDriver();
    driver.respond = (text) => (text === 'COMMIT' ? Promise.reject(Object.assign(new Error('reset'), { fatal: true })) : undefined);
    const db = fakePool(driver, { max: 1 });
    t.teardown(() => db.close());
    await t.rejects(
      db.transaction(() => 'done'),
      {
        code: 'ERR_CONNECTION_LOST',
        outcome: 'unknown',
        message: "the session's connection was lost during the call; whether its COMMIT took effect is unknown: see cause",
      },
    );
    t.ok(driver.sessions[0]!.destroyed);
  });
});

t.test('a link the server closed is reported once and the session is never lent again', async (t) => {
  const driver = new FakeDriver();
  const reported: unknown[] = [];
  const db = fakePool(driver, { max: 1, onError: (e) => reported.push(e) });
  t.teardown(() => db.close());
  await db.query('A');
  const killed = new Error('terminating connection due to administrator command');
  driver.sessions[0]!.lose(killed);
  driver.sessions[0]!.lose(new Error('the socket closed'));
  t.same(reported, [killed], 'one fault, one report');
  await db.query('B');
  t.same(driver.log, ['1: A', '2: B']);
  driver.sessions[1]!.lose(undefined);
  t.same(reported, [killed], 'a polite close carries nothing to report');
  await db.query('C');
  t.equal(driver.log.at(-1), '3: C');
});

t.test('close: a polite end, or after the grace a destroyed link', async (t) => {
  t.test('an end that answers closes politely', async (t) => {
    const driver = new FakeDriver();
    const db = fakePool(driver, { max: 1 });
    await db.query('A');
    await db.close();
    t.ok(driver.sessions[0]!.closed);
    t.notOk(driver.sessions[0]!.destroyed);
  });

  t.test('an end that never answers is cut after a second', async (t) => {
    const clock = fakeClock(t);
    const driver = new FakeDriver();
    const db = fakePool(driver, { max: 1, idleTimeoutMillis: 0 });
    await db.query('A');
    driver.sessions[0]!.end = () => new Promise(() => undefined);
    const closing = outcome(db.close());
    await settle();
    await clock.tick(999);
    t.equal(closing.now, 'pending');
    t.notOk(driver.sessions[0]!.destroyed);
    await clock.tick(1);
    t.equal(closing.now, 'resolved');
    t.ok(driver.sessions[0]!.destroyed);
  });
});

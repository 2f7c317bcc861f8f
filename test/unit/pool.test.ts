import t from 'tap';
import type { SqlpinError } from '../../lib/index.js';
import { FakeDriver, fakePool, gate } from '../helpers/fake-driver.js';

/** Pool mechanics on a fake adapter: what is released, reset, rolled back or destroyed, and when. */

t.test('acquire, release and destroy decisions', async (t) => {
  t.test('a session that is reusable and out of any transaction goes back and is reused', async (t) => {
    const adapter = new FakeDriver();
    const db = fakePool(adapter, { max: 1 });
    t.teardown(() => db.close());
    await db.query('SELECT 1');
    await db.withConnection((conn) => conn.query('SELECT 2'));
    t.equal(adapter.sessions.length, 1, 'one session served both');
    t.same(adapter.log, ['1: SELECT 1', '1: SELECT 2'], 'nothing else was sent');
    t.notOk(adapter.sessions[0]!.closed);
  });

  t.test('a session left inside a transaction is rolled back before it goes back', async (t) => {
    const adapter = new FakeDriver();
    const db = fakePool(adapter, { max: 1 });
    t.teardown(() => db.close());
    await db.withConnection((conn) => conn.query('BEGIN'));
    t.same(adapter.log, ['1: BEGIN', '1: ROLLBACK']);
    t.equal(adapter.sessions[0]!.resets, 0, 'and not reset: resetOnRelease is off');
    await db.query('SELECT 1');
    t.equal(adapter.sessions.length, 1, 'and is reused');
  });

  t.test('a rollback that fails destroys the session and is reported', async (t) => {
    const adapter = new FakeDriver();
    const reported: unknown[] = [];
    const db = fakePool(adapter, { max: 1, onError: (error) => reported.push(error) });
    t.teardown(() => db.close());
    const failure = new Error('rollback failed');
    adapter.respond = (text) => (text === 'ROLLBACK' ? Promise.reject(failure) : undefined);
    await db.withConnection((conn) => conn.query('BEGIN'));
    t.ok(adapter.sessions[0]!.closed, 'destroyed');
    t.same(reported, [failure]);
    await db.query('SELECT 1');
    t.equal(adapter.sessions.length, 2, 'the next caller gets a new session');
  });

  t.test('a session that failed fatally is destroyed, never reused', async (t) => {
    const adapter = new FakeDriver();
    const db = fakePool(adapter, { max: 1 });
    t.teardown(() => db.close());
    const broken = Object.assign(new Error('connection reset'), { fatal: true });
    adapter.respond = (text) => (text === 'SELECT broken' ? Promise.reject(broken) : undefined);
    const error = (await db.query('SELECT broken').catch((e: unknown) => e)) as SqlpinError;
    t.equal(error.code, 'ERR_CONNECTION_LOST', 'a typed error');
    t.equal(error.cause, broken, "the driver's error is its cause");
    t.ok(adapter.sessions[0]!.destroyed, 'destroyed, not closed politely');
    await db.query('SELECT 1');
    t.same(adapter.log, ['1: SELECT broken', '2: SELECT 1']);
  });

  t.test('resetOnRelease resets after pinned and one-shot work; a failed reset destroys and is reported', async (t) => {
    const adapter = new FakeDriver();
    const reported: unknown[] = [];
    const db = fakePool(adapter, { max: 1, resetOnRelease: true, onError: (error) => reported.push(error) });
    t.teardown(() => db.close());
    await db.query('SELECT 1');
    await db.withConnection((conn) => conn.query('SET x = 1'));
    t.equal(adapter.sessions[0]!.resets, 2);
    const failure = new Error('reset failed');
    adapter.sessions[0]!.failReset = failure;
    await db.query('SELECT 2');
    t.ok(adapter.sessions[0]!.closed, 'destroyed');
    t.same(reported, [failure]);
  });
});

t.test('a create that fails while a caller waits reaches it at once as ConnectionError', async (t) => {
  const adapter = new FakeDriver();
  const refused = new Error('connection refused');
  adapter.connectWith = () => Promise.reject(refused);
  const db = fakePool(adapter, { max: 2, acquireTimeoutMillis: 60_000 });
  t.teardown(() => db.close());
  const error = (await db.query('SELECT 1').catch((e: unknown) => e)) as SqlpinError;
  t.equal(error.code, 'ERR_CONNECT', 'ConnectionError, not a wait for the 60 s acquire timeout');
  t.equal(error.cause, refused, "the driver's error is the cause");
  t.equal(adapter.connects, 1, 'no retry loop');
});

t.test('PoolTimeoutError carries the last failure to open a session as its cause', async (t) => {
  const adapter = new FakeDriver();
  const refused = new Error('connection refused');
  const never = gate();
  // The first open fails before anyone waits (min: 1), the next never answers.
  adapter.connectWith = (attempt) => (attempt === 1 ? Promise.reject(refused) : never.opened);
  const db = fakePool(adapter, { min: 1, max: 1, acquireTimeoutMillis: 200 });
  t.teardown(async () => {
    never.open();
    await db.close();
  });
  await new Promise((resolve) => setImmediate(resolve));
  const error = (await db.query('SELECT 1').catch((e: unknown) => e)) as SqlpinError;
  t.equal(error.code, 'ERR_POOL_TIMEOUT');
  t.equal(error.cause, refused);
});

t.test('a caller that timed out leaves no trace: the session that comes late goes back to the pool', async (t) => {
  t.test('a borrowed session, given back after the timeout', async (t) => {
    const adapter = new FakeDriver();
    const db = fakePool(adapter, { max: 1, acquireTimeoutMillis: 50 });
    t.teardown(() => db.close());
    const release = gate();
    const held = db.withConnection(() => release.opened);
    await new Promise((resolve) => setImmediate(resolve));
    const error = (await db.query('SELECT late').catch((e: unknown) => e)) as SqlpinError;
    t.equal(error.code, 'ERR_POOL_TIMEOUT');
    t.equal(error.cause, undefined, 'no open failed, so no cause');
    t.equal(db.stats().pending, 0, 'the caller that gave up is not counted as waiting');
    release.open();
    await held;
    await new Promise((resolve) => setImmediate(resolve));
    t.match(db.stats(), { size: 1, available: 1, borrowed: 0, pending: 0 });
    await db.query('SELECT next');
    t.same(adapter.log, ['1: SELECT next'], 'the timed-out query was never sent; the session serves the next caller');
  });

  t.test('no session is opened for a caller that left', async (t) => {
    const adapter = new FakeDriver();
    const slow = gate();
    adapter.connectWith = () => slow.opened.then(() => Promise.reject(new Error('connection refused')));
    const db = fakePool(adapter, { max: 2, acquireTimeoutMillis: 50 });
    t.teardown(() => db.close());
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => db.query('SELECT 1')));
    t.same(
      outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as SqlpinError).code : 'fulfilled')),
      ['ERR_POOL_TIMEOUT', 'ERR_POOL_TIMEOUT', 'ERR_POOL_TIMEOUT', 'ERR_POOL_TIMEOUT'],
    );
    t.equal(db.stats().pending, 0, 'nobody waits');
    slow.open();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    t.equal(adapter.connects, 2, 'the two opens begun while callers waited, and no more once they failed');
  });

  t.test('a session whose open ends after the timeout', async (t) => {
    const adapter = new FakeDriver();
    const slow = gate();
    adapter.connectWith = () => slow.opened;
    const db = fakePool(adapter, { max: 1, acquireTimeoutMillis: 50 });
    t.teardown(() => db.close());
    await t.rejects(db.query('SELECT 1'), { code: 'ERR_POOL_TIMEOUT' });
    slow.open();
    await new Promise((resolve) => setImmediate(resolve));
    t.match(db.stats(), { size: 1, available: 1, borrowed: 0, pending: 0 }, 'open, idle, not leaked');
    t.notOk(adapter.sessions[0]!.closed);
    await db.query('SELECT 2');
    t.equal(adapter.connects, 1, 'the late session serves the next caller');
  });
});

t.test('close while work is borrowed: new work is refused, borrowed work finishes, then every session closes', async (t) => {
  const adapter = new FakeDriver();
  const db = fakePool(adapter, { max: 2 });
  const release = gate();
  const borrowed = db.withConnection(async (conn) => {
    await release.opened;
    return conn.query('SELECT still allowed');
  });
  await new Promise((resolve) => setImmediate(resolve));
  let closed = false;
  const closing = db.close().then(() => (closed = true));
  await t.rejects(db.query('SELECT 1'), { code: 'ERR_POOL_CLOSED' });
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(closed, 'close waits for the borrowed session');
  release.open();
  await t.resolves(borrowed);
  await closing;
  t.ok(
    adapter.sessions.every((session) => session.closed),
    'all sessions closed',
  );
  await t.resolves(db.close(), 'close is idempotent');
});

t.test('re-entrancy: nested db.* reuse the pin on max: 1', async (t) => {
  const adapter = new FakeDriver();
  const db = fakePool(adapter, { max: 1, acquireTimeoutMillis: 200 });
  t.teardown(() => db.close());
  await db.withConnection(async (conn) => {
    await db.query('A');
    await db.withConnection((inner) => {
      t.equal(inner, conn, 'the same handle');
      return db.query('B');
    });
    await db.transaction(() => db.query('C'));
    await db.truncate('t');
  });
  t.equal(adapter.sessions.length, 1);
  t.same(adapter.log, ['1: A', '1: B', '1: BEGIN', '1: C', '1: COMMIT', '1: BEGIN;\nTRUNCATE t;\nCOMMIT']);
});

t.test("truncate: the core frames its own transaction, or opens a savepoint inside the caller's", async (t) => {
  const adapter = new FakeDriver();
  const db = fakePool(adapter, { max: 1 });
  t.teardown(() => db.close());
  await db.truncate('t');
  await db.transaction(() => db.truncate('t'));
  t.same(
    adapter.frames,
    [
      { opening: 'BEGIN;\n', closing: ';\nCOMMIT' },
      { opening: '', closing: '' },
    ],
    'a frame to open and close in its own messages outside a transaction only',
  );
  t.same(
    adapter.log,
    [
      '1: BEGIN;\nTRUNCATE t;\nCOMMIT',
      '1: BEGIN',
      '1: SAVEPOINT sqlpin_savepoint_1',
      '1: TRUNCATE t',
      '1: RELEASE SAVEPOINT sqlpin_savepoint_1',
      '1: COMMIT',
    ],
    'inside a transaction the core manages the savepoint',
  );
  adapter.log.length = 0;
  const failure = new Error('truncate failed');
  adapter.respond = (text) => (text.includes('TRUNCATE') ? Promise.reject(failure) : undefined);
  await t.rejects(db.truncate('t'), failure, 'the error reaches the caller unchanged');
  t.same(adapter.log, ['1: BEGIN;\nTRUNCATE t;\nCOMMIT', '1: ROLLBACK'], 'the core rolls back what its frame left open');
});

t.test('units on a pin', async (t) => {
  t.test('work from outside a running unit waits for it, in the order given', async (t) => {
    const adapter = new FakeDriver();
    const db = fakePool(adapter, { max: 1 });
    t.teardown(() => db.close());
    const release = gate();
    adapter.respond = (text) => (text === 'WAIT' ? release.opened.then(() => ({ rows: [], rowCount: 0 })) : undefined);
    await db.withConnection(async (conn) => {
      const all = Promise.all([
        conn.transaction(async (tx) => {
          await tx.query('WAIT');
          await tx.query('a2');
        }),
        conn.query('sibling query'),
        conn.truncate('t'),
        conn.transaction((tx) => tx.query('b1')),
      ]);
      await new Promise((resolve) => setImmediate(resolve));
      t.same(adapter.log, ['1: BEGIN', '1: WAIT'], 'siblings wait while the first unit runs');
      release.open();
      await all;
    });
    t.same(adapter.log, [
      '1: BEGIN',
      '1: WAIT',
      '1: a2',
      '1: COMMIT',
      '1: sibling query',
      '1: BEGIN;\nTRUNCATE t;\nCOMMIT',
      '1: BEGIN',
      '1: b1',
      '1: COMMIT',
    ]);
  });

  t.test('work issued inside a unit runs at once, through the handle and through db.*', async (t) => {
    const adapter = new FakeDriver();
    const db = fakePool(adapter, { max: 1, acquireTimeoutMillis: 200 });
    t.teardown(() => db.close());
    await db.transaction(async (tx) => {
      await Promise.all([tx.query('x'), db.query('y'), db.withConnection((conn) => conn.query('z'))]);
      await tx.transaction(() => db.query('nested'));
    });
    t.same(adapter.log, [
      '1: BEGIN',
      '1: x',
      '1: y',
      '1: z',
      '1: SAVEPOINT sqlpin_savepoint_1',
      '1: nested',
      '1: RELEASE SAVEPOINT sqlpin_savepoint_1',
      '1: COMMIT',
    ]);
  });

  t.test('sibling savepoints run one after the other, each under a name of its own', async (t) => {
    const adapter = new FakeDriver();
    const db = fakePool(adapter, { max: 1 });
    t.teardown(() => db.close());
    await db.transaction(async (tx) => {
      await Promise.allSettled([
        tx.transaction(() => tx.query('first')),
        tx.transaction(async () => {
          await tx.query('second');
          throw new Error('undo');
        }),
        tx.transaction(() => tx.query('third')),
      ]);
    });
    t.same(adapter.log, [
      '1: BEGIN',
      '1: SAVEPOINT sqlpin_savepoint_1',
      '1: first',
      '1: RELEASE SAVEPOINT sqlpin_savepoint_1',
      '1: SAVEPOINT sqlpin_savepoint_2',
      '1: second',
      '1: ROLLBACK TO SAVEPOINT sqlpin_savepoint_2',
      '1: SAVEPOINT sqlpin_savepoint_3',
      '1: third',
      '1: RELEASE SAVEPOINT sqlpin_savepoint_3',
      '1: COMMIT',
    ]);
  });

  t.test('a timer set inside a finished unit belongs to the pin again, not to the unit', async (t) => {
    const adapter = new FakeDriver();
    const db = fakePool(adapter, { max: 1 });
    t.teardown(() => db.close());
    await db.withConnection(async (conn) => {
      let late!: Promise<unknown>;
      const fired = gate();
      await conn.transaction(() => {
        late = new Promise((resolve) => setTimeout(resolve, 1)).then(() => {
          fired.open();
          return conn.query('late');
        });
      });
      await fired.opened;
      await late;
    });
    t.same(adapter.log, ['1: BEGIN', '1: COMMIT', '1: late']);
  });

  t.test('work still queued when the callback settles is refused, and never reaches the session', async (t) => {
    const adapter = new FakeDriver();
    const db = fakePool(adapter, { max: 1 });
    t.teardown(() => db.close());
    const release = gate();
    adapter.respond = (text) => (text === 'WAIT' ? release.opened.then(() => ({ rows: [], rowCount: 0 })) : undefined);
    let running!: Promise<unknown>;
    let queued!: Promise<unknown>;
    await db.withConnection((conn) => {
      running = conn.transaction((tx) => tx.query('WAIT'));
      queued = conn.query('queued');
      setImmediate(release.open);
    });
    await t.resolves(running, 'the running unit finished before the session went back');
    await t.rejects(queued, { code: 'ERR_CONNECTION_RELEASED' });
    t.same(adapter.log, ['1: BEGIN', '1: WAIT', '1: COMMIT']);
  });
});

t.test('a COMMIT that failed with a conflict and a reply that carries no status: the retry begins afresh', async (t) => {
  const adapter = new FakeDriver();
  const db = fakePool(adapter, { max: 1 });
  t.teardown(() => db.close());
  let commits = 0;
  const conflict = Object.assign(new Error('could not serialize access'), { code: '40001' });
  adapter.respond = (text, connection) => {
    connection.statusAfterError = 'unknown';
    return text === 'COMMIT' && ++commits === 1 ? Promise.reject(conflict) : undefined;
  };
  let runs = 0;
  await db.transaction(() => db.query(`SELECT ${++runs}`), { retries: 1 });
  t.equal(runs, 2);
  t.same(
    adapter.log,
    ['1: BEGIN', '1: SELECT 1', '1: COMMIT', '1: PROBE', '1: BEGIN', '1: SELECT 2', '1: COMMIT'],
    'asked the server, then BEGIN, not a SAVEPOINT',
  );
});

import t from 'tap';
import { parsePoolOptions } from '../../lib/config.js';
import { Pool, type PoolOptions } from '../../lib/index.js';
import { FakeDriver, fakePool } from '../helpers/fake-driver.js';

/** transact's failure branches on a fake driver: what is rolled back, what is thrown, what is reported. */

const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213 });

function mysqlPool(driver: FakeDriver, options: Omit<PoolOptions, 'url' | 'dialect' | 'connection'> = {}): Pool {
  return Pool.open(parsePoolOptions({ dialect: 'mysql', ...options }), Promise.resolve(driver));
}

t.test('options only the outermost level takes are refused at a savepoint, before anything is sent for it', async (t) => {
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await db.transaction(async (tx) => {
    await t.rejects(
      tx.transaction(() => 1, { isolation: 'serializable', retries: 1 }),
      {
        code: 'ERR_INVALID_ARGUMENT',
        message: 'a nested transaction (a savepoint) takes no isolation or retries; give it to the outermost one',
      },
    );
    await t.rejects(
      tx.transaction(() => 1, { readOnly: false }),
      { message: /takes no readOnly;/ },
    );
    await tx.transaction(() => 1, { signal: new AbortController().signal });
  });
  t.same(driver.log, ['1: BEGIN', '1: SAVEPOINT sqlpin_savepoint_3', '1: RELEASE SAVEPOINT sqlpin_savepoint_3', '1: COMMIT']);
});

t.test('a caller that began a transaction with raw SQL gets a savepoint, never a COMMIT of its transaction', async (t) => {
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await db.withConnection(async (conn) => {
    await conn.query('BEGIN');
    await conn.transaction(() => conn.query('x'));
    await conn.query('COMMIT');
  });
  t.same(driver.log, ['1: BEGIN', '1: SAVEPOINT sqlpin_savepoint_1', '1: x', '1: RELEASE SAVEPOINT sqlpin_savepoint_1', '1: COMMIT']);
});

t.test('a body that returns after a failed statement: rolled back, TransactionAbortedError with the first failure', async (t) => {
  const driver = new FakeDriver();
  const first = new Error('division by zero');
  driver.respond = (text) =>
    text.startsWith('BAD') ? Promise.reject(text === 'BAD 1' ? first : new Error('current transaction is aborted')) : undefined;
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  const error = await db
    .transaction(async (tx) => {
      await tx.query('BAD 1').catch(() => undefined);
      await tx.query('BAD 2').catch(() => undefined);
      return 'ignored';
    })
    .catch((e: unknown) => e);
  t.match(error, { code: 'ERR_TRANSACTION_ABORTED', message: /rolled back, not committed/ });
  t.equal((error as Error).cause, first, 'the first failure, not a later one');
  t.same(driver.log, ['1: BEGIN', '1: BAD 1', '1: BAD 2', '1: ROLLBACK']);
  await db.query('after');
  t.equal(driver.log.at(-1), '1: after', 'the session was fit to go back');
});

t.test('a failed savepoint is rolled back to where it began, and the outer transaction commits', async (t) => {
  const driver = new FakeDriver();
  const failure = new Error('unique violation');
  driver.respond = (text) => (text === 'BAD' ? Promise.reject(failure) : undefined);
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await db.transaction(async (tx) => {
    const error = await tx
      .transaction(() =>
        tx.query('BAD').then(
          () => undefined,
          () => 'swallowed',
        ),
      )
      .catch((e: unknown) => e);
    t.match(error, { code: 'ERR_TRANSACTION_ABORTED', cause: failure });
    await tx.query('after');
  });
  t.same(driver.log, [
    '1: BEGIN',
    '1: SAVEPOINT sqlpin_savepoint_1',
    '1: BAD',
    '1: ROLLBACK TO SAVEPOINT sqlpin_savepoint_1',
    '1: after',
    '1: COMMIT',
  ]);
});

t.test('the server ended the transaction itself (a MySQL deadlock): its error reaches every level, nothing is rolled back', async (t) => {
  const setup = () => {
    const driver = new FakeDriver();
    const error = deadlock();
    driver.respond = (text, connection) => {
      connection.statusAfterError = 'unknown';
      if (text === 'LOCK') return Promise.reject(error);
      // The server's word after the error packet: the deadlock rolled the whole transaction back.
      if (text === 'PROBE') connection.setStatus('idle');
      return undefined;
    };
    return { driver, error, db: mysqlPool(driver, { max: 1 }) };
  };

  t.test('a body that swallowed the error still gets it', async (t) => {
    const { driver, error, db } = setup();
    t.teardown(() => db.close());
    await t.rejects(
      db.transaction(async (tx) => {
        await tx.query('LOCK').catch(() => undefined);
      }),
      error,
    );
    t.same(driver.log, ['1: BEGIN', '1: LOCK', '1: PROBE'], 'no COMMIT, no ROLLBACK');
  });

  t.test('inside a savepoint: no ROLLBACK TO a savepoint that is gone, and the outer level fails too', async (t) => {
    const { driver, error, db } = setup();
    t.teardown(() => db.close());
    await t.rejects(
      db.transaction((tx) => tx.transaction((inner) => inner.query('LOCK'))),
      error,
    );
    t.same(driver.log, ['1: BEGIN', '1: SAVEPOINT sqlpin_savepoint_1', '1: LOCK', '1: PROBE']);
  });
});

t.test('a ROLLBACK that fails condemns the session and is reported; the body error reaches the caller', async (t) => {
  for (const level of ['BEGIN', 'SAVEPOINT'] as const) {
    const driver = new FakeDriver();
    const rollbackFailure = new Error('rollback failed');
    driver.respond = (text) => (text.startsWith('ROLLBACK') ? Promise.reject(rollbackFailure) : undefined);
    const reported: unknown[] = [];
    const db = fakePool(driver, { max: 1, onError: (e) => reported.push(e) });
    const thrown = new Error('body failed');
    const body = async () => {
      throw thrown;
    };
    const run = level === 'BEGIN' ? db.transaction(body) : db.transaction((tx) => tx.transaction(body));
    await t.rejects(run, thrown, level);
    t.same(reported, [rollbackFailure], `${level}: reported`);
    t.ok(driver.sessions[0]!.destroyed, `${level}: the session is destroyed, not reused`);
    await db.close();
  }
});

t.test('a session lost during the body: nothing is rolled back on it, it is destroyed', async (t) => {
  const driver = new FakeDriver();
  driver.respond = (text) => (text === 'FATAL' ? Promise.reject(Object.assign(new Error('reset'), { fatal: true })) : undefined);
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await t.rejects(
    db.transaction((tx) => tx.query('FATAL')),
    { code: 'ERR_CONNECTION_LOST' },
  );
  t.same(driver.log, ['1: BEGIN', '1: FATAL']);
  t.ok(driver.sessions[0]!.destroyed);
});

t.test('a signal that aborts while the body runs: rolled back, AbortError, even though the body returned', async (t) => {
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  const controller = new AbortController();
  await t.rejects(
    db.transaction(
      async (tx) => {
        await tx.query('x');
        controller.abort('stop');
        return 'done';
      },
      { signal: controller.signal },
    ),
    { code: 'ERR_ABORTED', cause: 'stop' },
  );
  t.same(driver.log, ['1: BEGIN', '1: x', '1: ROLLBACK']);
});

t.test('retries: never after an error that is no conflict, nor on a session that cannot take another attempt', async (t) => {
  for (const [label, error] of [
    ['not a conflict', new Error('syntax')],
    ['a lost session', Object.assign(new Error('reset'), { fatal: true, code: '40001' })],
  ] as const) {
    const driver = new FakeDriver();
    driver.respond = (text) => (text === 'x' ? Promise.reject(error) : undefined);
    const db = fakePool(driver, { max: 1 });
    let runs = 0;
    await t.rejects(
      db.transaction(
        async (tx) => {
          runs += 1;
          await tx.query('x');
        },
        { retries: 3 },
      ),
      label,
    );
    t.equal(runs, 1, `${label}: one run`);
    await db.close();
  }
});

t.test('truncate where TRUNCATE commits implicitly (MySQL): refused inside any transaction, else sent without a frame', async (t) => {
  const driver = new FakeDriver();
  const db = mysqlPool(driver, { max: 1 });
  t.teardown(() => db.close());
  await db.truncate('t');
  t.same(driver.frames, [{ opening: '', closing: '' }]);
  t.same(driver.log, ['1: TRUNCATE t']);
  await t.rejects(
    db.transaction(() => db.truncate('t')),
    { code: 'ERR_TRUNCATE_IN_TRANSACTION' },
  );
  await t.rejects(
    db.withConnection(async (conn) => {
      await conn.query('BEGIN');
      await conn.truncate('t');
    }),
    { code: 'ERR_TRUNCATE_IN_TRANSACTION' },
    'a transaction begun with raw SQL too',
  );
  t.equal(driver.frames.length, 1, 'nothing more was truncated');
});

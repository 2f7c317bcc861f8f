import t from 'tap';
import type { TransactionPin } from '../../lib/driver.js';
import { FakeDriver, fakePool } from '../helpers/fake-driver.js';

/** Behind a transaction pooler each pinned callback is one transaction: begun with the backend's id, undone and committed. */

const PIN: TransactionPin = { afterBegin: 'SELECT 42 AS id', commit: 'UNDO;\nCOMMIT', rollback: 'UNDO;\nROLLBACK' };

class PoolerDriver extends FakeDriver {
  readonly transactionPin = PIN;
  constructor() {
    super();
    this.respond = (text) =>
      text.endsWith(PIN.afterBegin) ? Promise.resolve({ rows: [{ id: '42' }] as never[], rowCount: 1 }) : undefined;
  }
}

/** After `respond`, the fake's own answer to the begin. */
function alsoOn(driver: PoolerDriver, text: string, answer: () => Promise<never>): void {
  const begin = driver.respond;
  driver.respond = (sent, connection) => (sent === text ? answer() : begin(sent, connection));
}

t.test('a pinned callback runs inside one transaction; its session id is the backend of that transaction', async (t) => {
  const driver = new PoolerDriver();
  const db = fakePool(driver, { max: 1, pooler: 'transaction' });
  t.teardown(() => db.close());
  const id = await db.withConnection(async (conn) => {
    await conn.query('SET x = 1');
    return conn.sessionId;
  });
  t.equal(id, 42, 'a number, from the id the begin answered');
  t.same(driver.log, ['1: BEGIN; SELECT 42 AS id', '1: SET x = 1', '1: UNDO;\nCOMMIT']);
});

t.test('a transaction is that transaction: its mode goes on the BEGIN, nested ones are savepoints', async (t) => {
  const driver = new PoolerDriver();
  const db = fakePool(driver, { max: 1, pooler: 'transaction' });
  t.teardown(() => db.close());
  await db.transaction((tx) => tx.transaction(() => tx.query('x')), { isolation: 'serializable', readOnly: true });
  t.same(driver.log, [
    '1: BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY; SELECT 42 AS id',
    '1: SAVEPOINT sqlpin_savepoint_1',
    '1: x',
    '1: RELEASE SAVEPOINT sqlpin_savepoint_1',
    '1: UNDO;\nCOMMIT',
  ]);
});

t.test('a callback that throws: its state undone, rolled back, the error as thrown', async (t) => {
  const driver = new PoolerDriver();
  const db = fakePool(driver, { max: 1, pooler: 'transaction' });
  t.teardown(() => db.close());
  const thrown = new Error('body failed');
  await t.rejects(
    db.withConnection(async () => {
      throw thrown;
    }),
    thrown,
  );
  t.same(driver.log, ['1: BEGIN; SELECT 42 AS id', '1: UNDO;\nROLLBACK']);
  await db.query('next');
  t.equal(driver.log.at(-1), '1: next', 'a one-shot statement needs no transaction around it');
});

t.test('a COMMIT that fails: undone and rolled back if the transaction is still open, the error reaches the caller', async (t) => {
  const driver = new PoolerDriver();
  const failure = new Error('current transaction is aborted');
  alsoOn(driver, PIN.commit, () => Promise.reject(failure));
  const db = fakePool(driver, { max: 1, pooler: 'transaction' });
  t.teardown(() => db.close());
  await t.rejects(
    db.withConnection(() => 'done'),
    failure,
  );
  t.same(driver.log, ['1: BEGIN; SELECT 42 AS id', '1: UNDO;\nCOMMIT', '1: UNDO;\nROLLBACK']);
});

t.test('a COMMIT that failed and ended the transaction: nothing to roll back', async (t) => {
  const driver = new PoolerDriver();
  const failure = new Error('could not serialize access');
  // The fake ends a transaction on a failed statement that is a bare COMMIT only; this one ends it too.
  driver.respond = ((begin) => (sent: string, connection: Parameters<typeof begin>[1]) => {
    if (sent !== PIN.commit) return begin(sent, connection);
    return Promise.reject(failure).finally(() => connection.setStatus('idle'));
  })(driver.respond);
  const db = fakePool(driver, { max: 1, pooler: 'transaction' });
  t.teardown(() => db.close());
  await t.rejects(
    db.withConnection(() => 'done'),
    failure,
  );
  t.same(driver.log, ['1: BEGIN; SELECT 42 AS id', '1: UNDO;\nCOMMIT']);
});

t.test('a signal that aborted during the callback: undone and rolled back, never committed', async (t) => {
  const driver = new PoolerDriver();
  const db = fakePool(driver, { max: 1, pooler: 'transaction' });
  t.teardown(() => db.close());
  const controller = new AbortController();
  await t.rejects(
    db.withConnection(
      () => {
        controller.abort('stop');
        return 'done';
      },
      { signal: controller.signal },
    ),
    { code: 'ERR_ABORTED', cause: 'stop' },
  );
  t.same(driver.log, ['1: BEGIN; SELECT 42 AS id', '1: UNDO;\nROLLBACK']);
});

t.test('an undo that fails: the session is condemned and the failure reported', async (t) => {
  const driver = new PoolerDriver();
  const failure = new Error('rollback failed');
  alsoOn(driver, PIN.rollback, () => Promise.reject(failure));
  const reported: unknown[] = [];
  const db = fakePool(driver, { max: 1, pooler: 'transaction', onError: (e) => reported.push(e) });
  t.teardown(() => db.close());
  const thrown = new Error('body failed');
  await t.rejects(
    db.withConnection(() => Promise.reject(thrown)),
    thrown,
  );
  t.same(reported, [failure]);
  t.ok(driver.sessions[0]!.destroyed);
});

t.test('a session lost in the callback: nothing is sent to undo on it', async (t) => {
  const driver = new PoolerDriver();
  alsoOn(driver, 'FATAL', () => Promise.reject(Object.assign(new Error('reset'), { fatal: true })));
  const db = fakePool(driver, { max: 1, pooler: 'transaction' });
  t.teardown(() => db.close());
  await t.rejects(
    db.withConnection((conn) => conn.query('FATAL')),
    { code: 'ERR_CONNECTION_LOST' },
  );
  t.same(driver.log, ['1: BEGIN; SELECT 42 AS id', '1: FATAL']);
});

t.test('retries behind a pooler run the whole pinned transaction again', async (t) => {
  const driver = new PoolerDriver();
  const conflict = Object.assign(new Error('could not serialize access'), { code: '40001' });
  let commits = 0;
  alsoOn(driver, PIN.commit, () => (++commits === 1 ? Promise.reject(conflict) : Promise.resolve({ rows: [], rowCount: 0 } as never)));
  const db = fakePool(driver, { max: 1, pooler: 'transaction' });
  t.teardown(() => db.close());
  let runs = 0;
  await db.transaction(() => ++runs, { retries: 1 });
  t.equal(runs, 2);
  t.equal(driver.log.filter((text) => text.endsWith(PIN.afterBegin)).length, 2, 'begun twice');
});

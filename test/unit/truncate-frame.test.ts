import t, { type Test } from 'tap';
import type { Session, TruncateConfig, TruncateFrame, TruncateTarget } from '../../lib/driver.js';
import { fakeClock, settle } from '../helpers/clock.js';
import { type FakeConnection, FakeDriver, fakePool } from '../helpers/fake-driver.js';

/** The truncate frame on a fake driver: what a dialect is asked to do, and how the core closes what it began. */

/** A driver that records what each truncate was asked, and sends what the test scripts (the frame around it). */
class ScriptedDriver extends FakeDriver {
  readonly asked: { target: TruncateTarget; options: TruncateConfig }[] = [];
  /** The messages a truncate sends: the frame's opening before the first, its closing after the last, if `close`. */
  script: { messages: string[]; close: boolean } = { messages: ['TRUNCATE t'], close: true };

  override async truncate(session: Session<FakeConnection>, target: TruncateTarget, options: TruncateConfig, frame: TruncateFrame) {
    this.asked.push({ target, options });
    const { messages, close } = this.script;
    for (const [at, message] of messages.entries()) {
      const opening = at === 0 ? frame.opening : '';
      const closing = close && at === messages.length - 1 ? frame.closing : '';
      await session.query(`${opening}${message}${closing}`);
    }
  }
}

t.test('the options a dialect receives: defaults, and what was given', async (t) => {
  const driver = new ScriptedDriver();
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await db.truncate('t');
  await db.truncate(['a', 'b.c'], { cascade: true, restartIdentity: false, lockTimeoutMillis: 5, strategy: 'delete' });
  await db.truncateAll();
  await db.truncateAll({ schema: 's', except: ['a', { schema: 'o', name: 'b' }], strategy: 'truncate' });
  t.same(driver.asked, [
    {
      target: { kind: 'tables', tables: [{ name: 't' }] },
      options: { cascade: false, restartIdentity: true, strategy: 'truncate', lockTimeoutMillis: 0 },
    },
    {
      target: { kind: 'tables', tables: [{ name: 'a' }, { schema: 'b', name: 'c' }] },
      options: { cascade: true, restartIdentity: false, strategy: 'delete', lockTimeoutMillis: 5 },
    },
    {
      target: { kind: 'all', except: [] },
      options: { cascade: false, restartIdentity: true, strategy: 'auto', lockTimeoutMillis: 0 },
    },
    {
      target: {
        kind: 'all',
        schema: 's',
        except: [
          { schema: 's', name: 'a' },
          { schema: 'o', name: 'b' },
        ],
      },
      options: { cascade: false, restartIdentity: true, strategy: 'truncate', lockTimeoutMillis: 0 },
    },
  ]);
  t.notOk('schema' in driver.asked[2]!.target, 'no schema key when none was given');
  t.notOk('schema' in (driver.asked[0]!.target as unknown as { tables: object[] }).tables[0]!, 'an unqualified name stays unqualified');
});

t.test("truncateAll's schema and except are checked before anything is borrowed", async (t) => {
  const driver = new ScriptedDriver();
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await t.rejects(db.truncateAll({ schema: 5 as never }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: 'truncateAll option schema is a string, not number 5',
  });
  await t.rejects(db.truncateAll({ except: 'a' as never }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: 'truncateAll option except is an array of tables, not string a',
  });
  await t.rejects(db.truncateAll({ schema: '' }), { code: 'ERR_INVALID_IDENTIFIER' });
  await t.rejects(db.truncateAll({ strategy: 'fast' as never }), {
    message: "truncateAll option strategy must be one of 'truncate', 'delete', 'auto', not string fast",
  });
  await t.rejects(db.truncate('t', { cascade: 1 as never }), { message: 'truncate option cascade must be true or false, not number 1' });
  t.equal(driver.connects, 0);
});

t.test('an empty list does nothing, borrows nothing, but a closed pool still says so', async (t) => {
  const driver = new ScriptedDriver();
  const db = fakePool(driver, { max: 1 });
  await db.truncate([]);
  await db.withConnection((conn) => conn.truncate([]));
  t.equal(driver.connects, 1, 'only the pinned callback borrowed');
  t.same(driver.log, []);
  await db.close();
  await t.rejects(db.truncate([]), { code: 'ERR_POOL_CLOSED' });
});

t.test('a truncate that ended without taking the closing: the core commits what its opening began', async (t) => {
  const driver = new ScriptedDriver();
  driver.script = { messages: ['SELECT nothing to empty'], close: false };
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await db.truncate('t');
  t.same(driver.log, ['1: BEGIN;\nSELECT nothing to empty', '1: COMMIT']);
});

t.test('a link lost during a truncate: unknown only once the COMMIT may have been sent', async (t) => {
  for (const [label, close, outcome] of [
    ['before the closing was taken', false, undefined],
    ['after', true, 'unknown'],
  ] as const) {
    const driver = new ScriptedDriver();
    driver.script = { messages: ['TRUNCATE a', 'TRUNCATE b'], close };
    driver.respond = (text) =>
      text.includes('TRUNCATE b') ? Promise.reject(Object.assign(new Error('reset'), { fatal: true })) : undefined;
    const db = fakePool(driver, { max: 1 });
    const error = await db.truncate('t').catch((e: unknown) => e);
    t.match(error, { code: 'ERR_CONNECTION_LOST' }, label);
    t.equal((error as { outcome?: unknown }).outcome, outcome, `${label}: outcome ${outcome}`);
    await db.close();
  }
});

t.test('a truncate cut by its timeout, by how its statement ended', async (t) => {
  const setup = (t: Test, close: boolean) => {
    const clock = fakeClock(t);
    const driver = new ScriptedDriver();
    driver.script = { messages: ['TRUNCATE a', 'TRUNCATE b'], close };
    let settleIt!: (how: 'answer' | 'fail') => void;
    const held = new Promise<{ rows: never[]; rowCount: number }>((resolve, reject) => {
      settleIt = (how) =>
        how === 'answer' ? resolve({ rows: [], rowCount: 0 }) : reject(new Error('canceling statement due to user request'));
    });
    driver.respond = (text, connection) => {
      if (!text.includes('TRUNCATE b')) return undefined;
      // The statement that committed (or failed) ends the transaction, as the server would say.
      return held.then(
        (result) => {
          if (close) connection.setStatus('idle');
          return result;
        },
        (error: unknown) => Promise.reject(error),
      );
    };
    const db = fakePool(driver, { max: 1, queryTimeoutMillis: 20, idleTimeoutMillis: 0 });
    t.teardown(() => db.close());
    return { clock, driver, db, settleIt };
  };

  t.test('its COMMIT took effect after all: the truncate resolves', async (t) => {
    const { clock, db, settleIt } = setup(t, true);
    let result: unknown = 'pending';
    db.truncate('t').then(
      () => (result = 'resolved'),
      (e: unknown) => (result = e),
    );
    await settle();
    await clock.tick(20);
    t.equal(result, 'pending', 'no answer while the cut statement may still run');
    settleIt('answer');
    await settle();
    t.equal(result, 'resolved');
  });

  t.test('it failed after the closing was taken: rolled back, said so', async (t) => {
    const { clock, driver, db, settleIt } = setup(t, true);
    const run = db.truncate('t').catch((e: unknown) => e);
    await settle();
    await clock.tick(20);
    settleIt('fail');
    t.match(await run, { code: 'ERR_QUERY_TIMEOUT', outcome: 'rolled back' });
    t.equal(driver.log.at(-1), '1: ROLLBACK');
  });

  t.test('it failed before the closing was taken: the plain timeout, rolled back', async (t) => {
    const { clock, driver, db, settleIt } = setup(t, false);
    const run = db.truncate('t').catch((e: unknown) => e);
    await settle();
    await clock.tick(20);
    settleIt('fail');
    const error = await run;
    t.match(error, { code: 'ERR_QUERY_TIMEOUT' });
    t.equal((error as { outcome?: unknown }).outcome, undefined);
    t.equal(driver.log.at(-1), '1: ROLLBACK');
  });

  t.test('it ended, but the transaction is still open (no closing taken): rolled back, the plain timeout', async (t) => {
    const { clock, driver, db, settleIt } = setup(t, false);
    const run = db.truncate('t').catch((e: unknown) => e);
    await settle();
    await clock.tick(20);
    settleIt('answer');
    const error = await run;
    t.match(error, { code: 'ERR_QUERY_TIMEOUT' });
    t.equal((error as { outcome?: unknown }).outcome, undefined);
    t.equal(driver.log.at(-1), '1: ROLLBACK');
  });

  t.test('inside a transaction: the savepoint is rolled back once the cut statement ended', async (t) => {
    const { clock, driver, db, settleIt } = setup(t, false);
    let error: unknown = 'pending';
    const run = db.transaction(async (tx) => {
      error = await tx.truncate('t').catch((e: unknown) => e);
    });
    await settle();
    await clock.tick(20);
    t.equal(error, 'pending', 'the caller hears once the cut statement ended');
    settleIt('fail');
    await run.catch(() => undefined);
    t.match(error, { code: 'ERR_QUERY_TIMEOUT' });
    t.ok(driver.log.includes('1: ROLLBACK TO SAVEPOINT sqlpin_savepoint_1'));
  });
});

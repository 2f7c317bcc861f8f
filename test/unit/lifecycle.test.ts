import { channel, tracingChannel } from 'node:diagnostics_channel';
import { mock } from 'node:test';
import t, { type Test } from 'tap';
import type { QueryTrace } from '../../lib/tracing.js';
import { backoff, retryReads, withRetries, READ_RETRY_WITHIN_MILLIS } from '../../lib/retry.js';
import { fakeClock, settle } from '../helpers/clock.js';
import { FakeDriver, fakePool } from '../helpers/fake-driver.js';

/** How long sessions live, what the diagnostics channels publish, and the retry loops' bounds, on a fake driver. */

/** Every message of `name` while the test runs. */
function listen(t: Test, name: string): unknown[] {
  const seen: unknown[] = [];
  const onMessage = (message: unknown) => seen.push(message);
  channel(name).subscribe(onMessage);
  t.teardown(() => channel(name).unsubscribe(onMessage));
  return seen;
}

t.test('maxUses: a session lent that many times is closed when it comes back', async (t) => {
  const events = listen(t, 'sqlpin:pool');
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1, maxUses: 2 });
  t.teardown(() => db.close());
  await db.query('A');
  t.notOk(driver.sessions[0]!.closed, 'one use of two');
  await db.withConnection((conn) => conn.query('B'));
  t.ok(driver.sessions[0]!.closed, 'closed after its second use');
  t.notOk(driver.sessions[0]!.destroyed, 'politely: it was healthy');
  await db.query('C');
  t.same(driver.log, ['1: A', '1: B', '2: C']);
  t.same(events, [
    { event: 'open', dialect: 'postgres', sessionId: 1 },
    { event: 'close', reason: 'maxLifetimeMillis or maxUses reached', dialect: 'postgres', sessionId: 1 },
    { event: 'open', dialect: 'postgres', sessionId: 2 },
  ]);
});

t.test('maxLifetimeMillis: judged when a session comes back, and when an idle one would be lent', async (t) => {
  const clock = fakeClock(t);
  const driver = new FakeDriver();
  const db = fakePool(driver, { max: 1, maxLifetimeMillis: 1_000, idleTimeoutMillis: 0 });
  t.teardown(() => db.close());
  await db.query('A');
  await clock.tick(999);
  await db.query('B');
  t.notOk(driver.sessions[0]!.closed, 'back within its lifetime');
  await clock.tick(1);
  t.notOk(driver.sessions[0]!.closed, 'idle, nobody asked: left alone');
  await db.query('C');
  t.ok(driver.sessions[0]!.closed, 'expired while idle: closed instead of lent');
  t.same(driver.log, ['1: A', '1: B', '2: C']);
  await clock.tick(999);
  await db.withConnection(async (conn) => {
    await clock.tick(1);
    await conn.query('D');
  });
  t.ok(driver.sessions[1]!.closed, 'its lifetime ended during the borrow: closed when it came back, not before');
  t.same(driver.log.at(-1), '2: D');
});

t.test('maxUses alone never ages a session; neither limit set, sessions serve on', async (t) => {
  const clock = fakeClock(t);
  for (const options of [{ maxUses: 3 }, {}]) {
    const driver = new FakeDriver();
    const db = fakePool(driver, { max: 1, idleTimeoutMillis: 0, ...options });
    await db.query('A');
    await clock.tick(10 * 365 * 24 * 3_600_000);
    await db.query('B');
    t.same(driver.log, ['1: A', '1: B'], JSON.stringify(options));
    await db.close();
  }
});

t.test('sqlpin:pool says why a session left: unusable, pool closed', async (t) => {
  const events = listen(t, 'sqlpin:pool');
  const driver = new FakeDriver();
  driver.respond = (text) => (text === 'FATAL' ? Promise.reject(Object.assign(new Error('reset'), { fatal: true })) : undefined);
  const db = fakePool(driver, { max: 1 });
  await db.query('FATAL').catch(() => undefined);
  await db.query('A');
  await db.close();
  t.same(events, [
    { event: 'open', dialect: 'postgres', sessionId: 1 },
    { event: 'destroy', reason: 'unusable: a fatal error, killed by the server, or its state unknown', dialect: 'postgres', sessionId: 1 },
    { event: 'open', dialect: 'postgres', sessionId: 2 },
    { event: 'close', reason: 'pool closed', dialect: 'postgres', sessionId: 2 },
  ]);
});

t.test('sqlpin:query traces each statement: its text and session, then its result or error', async (t) => {
  const seen: string[] = [];
  const handlers = {
    start: (m: QueryTrace) => seen.push(`start ${m.dialect} ${m.sessionId} ${m.text}`),
    end: () => undefined,
    asyncStart: () => undefined,
    asyncEnd: (m: QueryTrace) => seen.push(`end ${m.text} ${m.result?.rowCount ?? 'error'}`),
    error: (m: QueryTrace) => seen.push(`error ${m.text} ${(m.error as Error).message}`),
  };
  const queries = tracingChannel<QueryTrace, QueryTrace>('sqlpin:query');
  queries.subscribe(handlers);
  t.teardown(() => queries.unsubscribe(handlers));
  const driver = new FakeDriver();
  driver.respond = (text) => (text === 'BAD' ? Promise.reject(new Error('syntax')) : Promise.resolve({ rows: [], rowCount: text.length }));
  const db = fakePool(driver, { max: 1 });
  t.teardown(() => db.close());
  await db.query('GOOD');
  await db.query('BAD').catch(() => undefined);
  t.same(seen, ['start postgres 1 GOOD', 'end GOOD 4', 'start postgres 1 BAD', 'error BAD syntax', 'end BAD error']);
});

t.test('sqlpin:transaction publishes each retry: the attempt that failed and why', async (t) => {
  const clock = fakeClock(t);
  const events = listen(t, 'sqlpin:transaction');
  const driver = new FakeDriver();
  const conflict = Object.assign(new Error('could not serialize access'), { code: '40001' });
  let runs = 0;
  const db = fakePool(driver, { max: 1, idleTimeoutMillis: 0 });
  t.teardown(() => db.close());
  const done = db.transaction(
    async (tx) => {
      runs += 1;
      await tx.query('SELECT');
      if (runs < 3) throw conflict;
      return runs;
    },
    { retries: 5 },
  );
  for (let i = 0; i < 5; i++) await clock.tick(1_000);
  t.equal(await done, 3);
  t.same(events, [
    { event: 'retry', dialect: 'postgres', sessionId: 1, attempt: 1, error: conflict },
    { event: 'retry', dialect: 'postgres', sessionId: 1, attempt: 2, error: conflict },
  ]);
});

t.test('withRetries: how many attempts, which errors, and the signal between them', async (t) => {
  const conflict = () => Object.assign(new Error('deadlock'), { code: '40P01' });
  const policy = (retries: number, signal?: AbortSignal) => {
    const retried: number[] = [];
    return {
      retried,
      retries,
      signal,
      retryable: (error: unknown) => (error as { code?: string }).code === '40P01',
      onRetry: (attempt: number) => retried.push(attempt),
    };
  };

  t.test('the last conflict, once the retries are spent, carries how many attempts ran', async (t) => {
    const clock = fakeClock(t);
    const p = policy(2);
    let calls = 0;
    const error = conflict();
    const run = withRetries(async () => {
      calls++;
      throw error;
    }, p).catch((e: unknown) => e);
    for (let i = 0; i < 3; i++) await clock.tick(1_000);
    const thrown = await run;
    t.equal(thrown, error, 'the same object');
    t.equal((thrown as { attempts?: number }).attempts, 3);
    t.equal(calls, 3);
    t.same(p.retried, [1, 2]);
  });

  t.test('an error that is no conflict, or no retries asked: thrown at once, as it is', async (t) => {
    for (const [label, p, error] of [
      ['not retryable', policy(3), new Error('syntax')],
      ['retries 0', policy(0), conflict()],
    ] as const) {
      let calls = 0;
      const thrown = await withRetries(async () => {
        calls++;
        throw error;
      }, p).catch((e: unknown) => e);
      t.equal(thrown, error, label);
      t.equal((thrown as { attempts?: number }).attempts, undefined, `${label}: no attempts added`);
      t.equal(calls, 1, `${label}: one call`);
    }
  });

  t.test('a signal that aborted during the pause stops the retries', async (t) => {
    const clock = fakeClock(t);
    const controller = new AbortController();
    let calls = 0;
    const run = withRetries(
      async () => {
        calls++;
        throw conflict();
      },
      policy(5, controller.signal),
    ).catch((e: unknown) => e);
    await settle();
    controller.abort('enough');
    await clock.tick(1_000);
    t.match(await run, { code: 'ERR_ABORTED', cause: 'enough' });
    t.equal(calls, 1);
  });
});

t.test('backoff: 5 << attempt ms, jittered from half to one and a half times', async (t) => {
  const clock = fakeClock(t);
  for (const [attempt, random, millis] of [
    [1, 0, 5],
    [2, 0, 10],
    [3, 0.5, 40],
    [1, 0.999, 14.99],
  ] as const) {
    mock.method(Math, 'random', () => random);
    let done = false;
    void backoff(attempt).then(() => (done = true));
    await clock.tick(Math.ceil(millis) - 1);
    t.notOk(done, `attempt ${attempt}, random ${random}: not before ${millis} ms`);
    await clock.tick(1);
    t.ok(done, `attempt ${attempt}, random ${random}: after ${millis} ms`);
    mock.restoreAll();
  }
});

t.test(`retryReads makes no new attempt once ${READ_RETRY_WITHIN_MILLIS} ms have passed since the first`, async (t) => {
  fakeClock(t);
  const deadlock = Object.assign(new Error('deadlock'), { errno: 1213 });
  for (const [spent, calls] of [
    [READ_RETRY_WITHIN_MILLIS - 1, 2],
    [READ_RETRY_WITHIN_MILLIS, 1],
  ] as const) {
    let made = 0;
    const run = retryReads(
      async () => {
        made++;
        if (made === 1) mock.timers.tick(spent);
        else return 'ok';
        throw deadlock;
      },
      () => true,
      () => undefined,
    ).catch((e: unknown) => e);
    await settle();
    mock.timers.tick(100);
    await settle();
    await run;
    t.equal(made, calls, `${spent} ms spent: ${calls} attempt(s)`);
  }
});

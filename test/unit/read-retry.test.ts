import t from 'tap';
import { READ_RETRY_ATTEMPTS, retryReads } from '../../adapters/galera.js';
import type { AdapterSession } from '../../lib/driver.js';

/** The retry bound is mechanism, not database behaviour: a session stand-in is enough here. */
function session(reusable = true, inTransaction = false): AdapterSession {
  return {
    id: 1,
    query: () => Promise.reject(new Error('not used')),
    inTransaction: () => inTransaction,
    transactionState: async () => ({ status: inTransaction ? 'open' : 'idle' }),
    settling: () => undefined,
    reset: async () => undefined,
    isReusable: () => reusable,
    condemn: () => undefined,
    close: async () => undefined,
  };
}

const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213 });

t.test('a deadlock on reads is retried and counted until they succeed', async (t) => {
  let calls = 0;
  let retried = 0;
  const result = await retryReads(
    session(),
    async () => (++calls < 3 ? Promise.reject(deadlock()) : 'answer'),
    () => retried++,
  );
  t.equal(result, 'answer');
  t.equal(calls, 3);
  t.equal(retried, 2);
});

t.test(`at most ${READ_RETRY_ATTEMPTS} attempts, then the server's error`, async (t) => {
  let calls = 0;
  const error = deadlock();
  await t.rejects(
    retryReads(
      session(),
      async () => {
        calls++;
        throw error;
      },
      () => undefined,
    ),
    error,
  );
  t.equal(calls, READ_RETRY_ATTEMPTS);
});

t.test('other errors, a broken session, or an open transaction: no retry', async (t) => {
  for (const [label, s, error] of [
    ['another errno', session(), Object.assign(new Error('x'), { errno: 1146 })],
    ['a session that is no longer reusable', session(false), deadlock()],
    ['inside a transaction', session(true, true), deadlock()],
  ] as const) {
    let calls = 0;
    await t.rejects(
      retryReads(
        s,
        async () => {
          calls++;
          throw error;
        },
        () => undefined,
      ),
      error,
      label,
    );
    t.equal(calls, 1, `${label}: one attempt`);
  }
});

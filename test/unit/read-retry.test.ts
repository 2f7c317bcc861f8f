import t from 'tap';
import { mysqlDialect } from '../../dialects/mysql/dialect.js';
import { READ_RETRY_ATTEMPTS, retryReads } from '../../lib/retry.js';

/** The retry rule as a session applies it: a conflict the server says to retry, on a usable session outside a transaction. */
function session(reusable = true, inTransaction = false): (error: unknown) => boolean {
  return (error) => mysqlDialect.isRetryable(error) && reusable && !inTransaction;
}

const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213 });

t.test('a deadlock on reads is retried and counted until they succeed', async (t) => {
  let calls = 0;
  let retried = 0;
  const result = await retryReads(
    async () => (++calls < 3 ? Promise.reject(deadlock()) : 'answer'),
    session(),
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
      async () => {
        calls++;
        throw error;
      },
      session(),
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
        async () => {
          calls++;
          throw error;
        },
        s,
        () => undefined,
      ),
      error,
      label,
    );
    t.equal(calls, 1, `${label}: one attempt`);
  }
});

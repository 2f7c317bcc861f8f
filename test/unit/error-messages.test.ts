import t from 'tap';
import * as sqlpin from '../../lib/index.js';
import { toBlockers } from '../../lib/errors.js';

/** What each error says and carries: its message is read by people in logs, its fields by code. */

t.test('each message in full, and a cause only where one was given', async (t) => {
  const cause = new Error('driver');
  const cases: [sqlpin.SqlpinError, string, unknown][] = [
    [new sqlpin.ConfigError('bad'), 'bad', undefined],
    [new sqlpin.ConfigError('bad', cause), 'bad', cause],
    [new sqlpin.PoolTimeoutError(100), 'no session became available within 100 ms', undefined],
    [
      new sqlpin.PoolTimeoutError(100, cause),
      'no session became available within 100 ms (the last attempt to open a session failed: see cause)',
      cause,
    ],
    [new sqlpin.PoolClosedError(), 'the pool is closed', undefined],
    [
      new sqlpin.ConnectionReleasedError(),
      'this connection was released when its callback settled; use it only inside the callback',
      undefined,
    ],
    [new sqlpin.TableNotFoundError('s.t'), 'table s.t does not exist', undefined],
    [
      new sqlpin.ForeignKeyTruncateError(['a', 'b'], ['c', 'd']),
      'cannot truncate a, b: referenced, directly or through other tables, by tables that hold rows: c, d. Nothing was changed. Pass { cascade: true } to empty those tables too.',
      undefined,
    ],
    [
      new sqlpin.TruncateInTransactionError(),
      'TRUNCATE commits implicitly on MySQL, so it is refused inside a transaction; run it outside the transaction',
      undefined,
    ],
    [
      new sqlpin.ReadOnlyServerError('a standby'),
      'cannot truncate: the server is read-only (a standby). Nothing was changed. Send writes through a pool on the primary',
      undefined,
    ],
    [
      new sqlpin.ReadOnlyServerError('read_only', cause),
      'cannot truncate: the server is read-only (read_only). Nothing was changed. Send writes through a pool on the primary',
      cause,
    ],
    [new sqlpin.QueryTimeoutError(5), 'the statement did not answer within 5 ms and was cancelled', undefined],
    [
      new sqlpin.QueryTimeoutError(5, 'rolled back'),
      'the statement did not answer within 5 ms and was cancelled; its transaction was rolled back',
      undefined,
    ],
    [new sqlpin.ConnectionLostError(cause), "the session's connection was lost during the call: see cause", cause],
    [new sqlpin.AbortError('why'), 'the call was aborted', 'why'],
    [new sqlpin.AbortError('why', 'unknown'), 'the call was aborted; whether its COMMIT took effect is unknown', 'why'],
    [
      new sqlpin.LockTimeoutError(200, [], cause),
      'the table locks were not granted within 200 ms (the sessions holding them had gone when looked up); nothing was emptied',
      cause,
    ],
    [
      new sqlpin.NotATableError('public.v', 'view'),
      'public.v is a view, not a table that truncate can empty; nothing was changed',
      undefined,
    ],
    [
      new sqlpin.TruncateRefusedError('row security', ['a', 'b'], 'a policy hides rows'),
      'truncate refused (row security) for a, b: a policy hides rows; nothing was changed',
      undefined,
    ],
    [
      new sqlpin.TruncateRefusedError('privilege', ['a'], 'no TRUNCATE privilege', cause),
      'truncate refused (privilege) for a: no TRUNCATE privilege; nothing was changed',
      cause,
    ],
  ];
  // These always carry a cause, undefined or not; the others only when one was given.
  const alwaysCaused = new Set<unknown>([sqlpin.PoolTimeoutError, sqlpin.AbortError, sqlpin.LockTimeoutError, sqlpin.ConnectionLostError]);
  for (const [error, message, expected] of cases) {
    t.equal(error.message, message, error.name);
    t.equal(error.cause, expected, `${error.name}: cause`);
    t.equal('cause' in error, expected !== undefined || alwaysCaused.has(error.constructor), `${error.name}: a cause key only when due`);
  }
});

t.test('fields code reads', async (t) => {
  t.match(new sqlpin.TableNotFoundError('s.t'), { table: 's.t' });
  t.match(new sqlpin.NotATableError('s.v', 'sequence'), { table: 's.v', kind: 'sequence' });
  t.match(new sqlpin.TruncateRefusedError('partition', ['p'], 'x'), { reason: 'partition', tables: ['p'] });
  t.match(new sqlpin.QueryTimeoutError(9, 'unknown'), { timeoutMillis: 9, outcome: 'unknown' });
  t.match(new sqlpin.ConnectionLostError(null, 'rolled back'), { outcome: 'rolled back' });
  const blocker = { id: 7, user: null, state: null, seconds: null, statement: null };
  const error = new sqlpin.LockTimeoutError(100, [blocker, { ...blocker, id: 8 }], undefined);
  t.match(error, { lockTimeoutMillis: 100, blockers: [blocker, { id: 8 }] });
  t.equal(error.message, 'the table locks were not granted within 100 ms (held by session 7, 8); nothing was emptied');
});

t.test('blocker rows as the dialects read them: ids and seconds as numbers, missing columns as null', async (t) => {
  t.same(toBlockers([{ id: '42', user: 'app', state: 'idle in transaction', seconds: '3.5', statement: 'UPDATE t' }]), [
    { id: 42, user: 'app', state: 'idle in transaction', seconds: 3.5, statement: 'UPDATE t' },
  ]);
  t.same(toBlockers([{ id: 1, user: null, state: undefined, seconds: null }]), [
    { id: 1, user: null, state: null, seconds: null, statement: null },
  ]);
  t.same(toBlockers([{ id: 1, seconds: 0 }]), [{ id: 1, user: null, state: null, seconds: 0, statement: null }]);
});

import t from 'tap';
import * as sqlpin from '../../lib/index.js';

// Typed as SqlpinError['code']: a code missing from the union, or misspelt here, does not compile.
const codes: Record<string, sqlpin.SqlpinError['code']> = {
  ConfigError: 'ERR_CONFIG',
  InvalidArgumentError: 'ERR_INVALID_ARGUMENT',
  ConnectionError: 'ERR_CONNECT',
  PoolTimeoutError: 'ERR_POOL_TIMEOUT',
  PoolClosedError: 'ERR_POOL_CLOSED',
  ConnectionReleasedError: 'ERR_CONNECTION_RELEASED',
  InvalidIdentifierError: 'ERR_INVALID_IDENTIFIER',
  TableNotFoundError: 'ERR_TABLE_NOT_FOUND',
  ForeignKeyTruncateError: 'ERR_FOREIGN_KEY_TRUNCATE',
  TruncateInTransactionError: 'ERR_TRUNCATE_IN_TRANSACTION',
  ReadOnlyServerError: 'ERR_READ_ONLY',
  TransactionAbortedError: 'ERR_TRANSACTION_ABORTED',
  QueryTimeoutError: 'ERR_QUERY_TIMEOUT',
  LockTimeoutError: 'ERR_LOCK_TIMEOUT',
};

const samples: sqlpin.SqlpinError[] = [
  new sqlpin.ConfigError('bad'),
  new sqlpin.InvalidArgumentError('bad'),
  new sqlpin.ConnectionError('down', new Error('ECONNREFUSED')),
  new sqlpin.PoolTimeoutError(100),
  new sqlpin.PoolClosedError(),
  new sqlpin.ConnectionReleasedError(),
  new sqlpin.InvalidIdentifierError('bad'),
  new sqlpin.TableNotFoundError('public.nope'),
  new sqlpin.ForeignKeyTruncateError(['public.parent'], ['public.child']),
  new sqlpin.TruncateInTransactionError(),
  new sqlpin.ReadOnlyServerError('a standby in recovery'),
  new sqlpin.TransactionAbortedError(new Error('division by zero')),
  new sqlpin.QueryTimeoutError(5),
  new sqlpin.LockTimeoutError(5, [], new Error('lock timeout')),
];

t.test('every error class is exported, extends SqlpinError and has its stable code', async (t) => {
  const exported = Object.entries(sqlpin)
    .filter(([, value]) => typeof value === 'function' && value.prototype instanceof sqlpin.SqlpinError)
    .map(([name]) => name);
  t.same(exported.sort(), Object.keys(codes).sort(), 'a code for every exported subclass, taken from the module');
  t.same(samples.map((error) => error.name).sort(), Object.keys(codes).sort(), 'a sample of every class');
  for (const error of samples) {
    t.ok(error instanceof sqlpin.SqlpinError, error.name);
    t.ok(error instanceof Error);
    t.equal(error.code, codes[error.name], `${error.name} code`);
    t.equal((sqlpin as Record<string, unknown>)[error.name], error.constructor, `${error.name} is exported`);
  }
});

t.test('wrapped causes stay reachable', async (t) => {
  const cause = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
  t.equal(new sqlpin.ConnectionError('down', cause).cause, cause);
  t.equal(new sqlpin.PoolTimeoutError(5, cause).cause, cause);
});

t.test('ForeignKeyTruncateError names the referencing tables and hints cascade', async (t) => {
  const error = new sqlpin.ForeignKeyTruncateError(['public.parent'], ['public.child', 'app.audit']);
  t.same(error.referencingTables, ['public.child', 'app.audit']);
  t.match(error.message, /public\.child/);
  t.match(error.message, /app\.audit/);
  t.match(error.message, /cascade: true/);
});

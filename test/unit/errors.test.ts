import t from 'tap';
import * as sqlpin from '../../lib/index.js';

/** Every error class the module exports: the list under test comes from the exports, not from this file. */
const exported = Object.entries(sqlpin as Record<string, unknown>).filter(
  (entry): entry is [string, new (...args: never[]) => sqlpin.SqlpinError] =>
    typeof entry[1] === 'function' && entry[1].prototype instanceof sqlpin.SqlpinError,
);

/** One instance of each class; a class exported without a sample here fails the first test. */
const samples: Record<string, () => sqlpin.SqlpinError> = {
  ConfigError: () => new sqlpin.ConfigError('bad'),
  InvalidArgumentError: () => new sqlpin.InvalidArgumentError('bad'),
  ConnectionError: () => new sqlpin.ConnectionError('down', new Error('ECONNREFUSED')),
  PoolTimeoutError: () => new sqlpin.PoolTimeoutError(100),
  PoolClosedError: () => new sqlpin.PoolClosedError(),
  ConnectionReleasedError: () => new sqlpin.ConnectionReleasedError(),
  InvalidIdentifierError: () => new sqlpin.InvalidIdentifierError('bad'),
  TableNotFoundError: () => new sqlpin.TableNotFoundError('public.nope'),
  ForeignKeyTruncateError: () => new sqlpin.ForeignKeyTruncateError(['public.parent'], ['public.child']),
  TruncateInTransactionError: () => new sqlpin.TruncateInTransactionError(),
  ReadOnlyServerError: () => new sqlpin.ReadOnlyServerError('a standby in recovery'),
  TransactionAbortedError: () => new sqlpin.TransactionAbortedError(new Error('first failure')),
  QueryTimeoutError: () => new sqlpin.QueryTimeoutError(300),
  LockTimeoutError: () => new sqlpin.LockTimeoutError(200, [], new Error('55P03')),
  ConnectionLostError: () => new sqlpin.ConnectionLostError(new Error('Connection terminated unexpectedly')),
  AbortError: () => new sqlpin.AbortError(new Error('stop')),
  QueryCancelledError: () => new sqlpin.QueryCancelledError(new Error('Query execution was interrupted')),
  NotATableError: () => new sqlpin.NotATableError('public.v', 'view'),
  TruncateRefusedError: () => new sqlpin.TruncateRefusedError('row security', ['public.child'], 'a policy hides rows'),
};

/** The codes the contract names, typed as SqlpinError['code']: one missing from the union, or misspelt, does not compile. */
const CONTRACT_CODES: sqlpin.SqlpinError['code'][] = [
  'ERR_CONFIG',
  'ERR_CONNECT',
  'ERR_POOL_TIMEOUT',
  'ERR_POOL_CLOSED',
  'ERR_CONNECTION_RELEASED',
  'ERR_INVALID_IDENTIFIER',
  'ERR_TABLE_NOT_FOUND',
  'ERR_FOREIGN_KEY_TRUNCATE',
  'ERR_TRUNCATE_IN_TRANSACTION',
];

t.test('every exported error class has a sample here', async (t) => {
  t.ok(exported.length >= CONTRACT_CODES.length, `${exported.length} classes exported`);
  t.same(exported.map(([name]) => name).sort(), Object.keys(samples).sort());
});

t.test('each extends SqlpinError and Error, is named after its class, and has a stable code of its own', async (t) => {
  const codes = new Map<string, string>();
  for (const [name, errorClass] of exported) {
    const error = samples[name]!();
    t.ok(error instanceof errorClass && error instanceof sqlpin.SqlpinError && error instanceof Error, `${name} is a SqlpinError`);
    t.equal(error.name, name, `${name} is named after its class`);
    t.match(error.code, /^ERR_[A-Z_]+$/, `${name} code ${error.code}`);
    t.equal(samples[name]!().code, error.code, `${name}: every instance has the same code`);
    t.notOk(codes.has(error.code), `${error.code} belongs to ${name} alone`);
    codes.set(error.code, name);
  }
  t.same(
    CONTRACT_CODES.filter((code) => !codes.has(code)),
    [],
    'every code of the contract belongs to an exported class',
  );
});

t.test('wrapped causes stay reachable', async (t) => {
  const cause = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
  t.equal(new sqlpin.ConnectionError('down', cause).cause, cause);
  t.equal(new sqlpin.PoolTimeoutError(5, cause).cause, cause);
  t.equal(new sqlpin.TransactionAbortedError(cause).cause, cause);
  t.equal(new sqlpin.LockTimeoutError(5, [], cause).cause, cause);
  t.equal(new sqlpin.ReadOnlyServerError('read_only is on', cause).cause, cause);
});

t.test('ForeignKeyTruncateError names the referencing tables and hints cascade', async (t) => {
  const error = new sqlpin.ForeignKeyTruncateError(['public.parent'], ['public.child', 'app.audit']);
  t.same(error.referencingTables, ['public.child', 'app.audit']);
  t.match(error.message, /public\.child/);
  t.match(error.message, /app\.audit/);
  t.match(error.message, /cascade: true/);
});

t.test('LockTimeoutError names its blockers, or says they had gone', async (t) => {
  const blocker = { id: 42, user: 'app', state: 'idle in transaction', seconds: 3, statement: 'SELECT 1' };
  t.match(new sqlpin.LockTimeoutError(200, [blocker], undefined).message, /session 42/);
  t.match(new sqlpin.LockTimeoutError(200, [], undefined).message, /had gone/);
  const unknown = new sqlpin.LockTimeoutError(200, 'unknown', undefined);
  t.match(unknown.message, /does not say which sessions/);
  t.same([unknown.blockers, unknown.blockersKnown], [[], false], 'no guess: no blockers, and it says so');
});

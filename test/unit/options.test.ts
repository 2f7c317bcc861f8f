import t from 'tap';
import { parsePoolOptions } from '../../lib/config.js';
import { LONGEST_TIMER_MILLIS, readOptions, type Rules } from '../../lib/options.js';
import { prepareTransaction, PLAIN_TRANSACTION } from '../../lib/transaction-options.js';

/** The one option reader and the pool's options: every rule at its boundaries, and the exact messages people read. */

const owner = (prefix: string) => ({ prefix, fail: (message: string) => new Error(message) });
const RULES = {
  size: { kind: 'whole', least: 1 },
  millis: { kind: 'whole', least: 0, most: 10 },
  flag: { kind: 'boolean' },
  mode: { kind: 'choice', choices: ['a', 'b'] },
  signal: { kind: 'signal' },
  free: { kind: 'any' },
} as const satisfies Rules;

/** The message `readOptions` fails with, or 'fits'. */
function verdict(given: unknown, prefix = ''): string {
  try {
    readOptions(given, RULES, owner(prefix));
    return 'fits';
  } catch (error) {
    return (error as Error).message;
  }
}

t.test('whole numbers: both bounds included, fractions and unsafe integers refused', async (t) => {
  t.equal(verdict({ size: 1 }), 'fits');
  t.equal(verdict({ size: Number.MAX_SAFE_INTEGER }), 'fits');
  t.equal(verdict({ size: 0 }), 'size must be a whole number of at least 1, not number 0');
  t.equal(verdict({ size: 2 ** 53 }), 'size must be a whole number of at least 1, not number 9007199254740992');
  t.equal(verdict({ size: 1.5 }), 'size must be a whole number of at least 1, not number 1.5');
  t.equal(verdict({ size: '2' }), 'size must be a whole number of at least 1, not string 2');
  t.equal(verdict({ millis: 0 }), 'fits');
  t.equal(verdict({ millis: 10 }), 'fits');
  t.equal(verdict({ millis: 11 }), 'millis must be a whole number from 0 to 10, not number 11');
  t.equal(verdict({ millis: -1 }), 'millis must be a whole number from 0 to 10, not number -1');
});

t.test('booleans, choices, signals, and values checked by their caller', async (t) => {
  t.equal(verdict({ flag: false }), 'fits');
  t.equal(verdict({ flag: 0 }), 'flag must be true or false, not number 0');
  t.equal(verdict({ mode: 'b' }), 'fits');
  t.equal(verdict({ mode: 'c' }), "mode must be one of 'a', 'b', not string c");
  t.equal(verdict({ signal: new AbortController().signal }), 'fits');
  t.equal(verdict({ signal: { aborted: false } }), 'signal must be an AbortSignal, not an object');
  t.equal(verdict({ free: Symbol('anything') }), 'fits');
  t.equal(verdict({ size: undefined, flag: undefined }), 'fits', 'undefined is left out');
});

t.test('the object itself, unknown keys, and how a prefix names them', async (t) => {
  t.same(readOptions(undefined, RULES, owner('')), {});
  const given = { size: 3 };
  t.equal(readOptions(given, RULES, owner('')), given, 'the object read, as given');
  t.equal(verdict(null), 'options are an object, not null');
  t.equal(verdict([]), 'options are an object, not an array');
  t.equal(verdict('x', 'query option'), 'query options are an object, not string x');
  t.equal(verdict({ sise: 1, fleg: true }), 'unknown option "sise", "fleg"');
  t.equal(verdict({ sise: 1 }, 'query option'), 'unknown query option "sise"');
  t.equal(verdict({ flag: 1 }, 'query option'), 'query option flag must be true or false, not number 1');
  t.equal(verdict(Object.create({ size: 1 })), 'fits', 'inherited keys are not options');
  t.equal(verdict({ toString: 1 }), 'unknown option "toString"', 'nor are keys rules inherit');
});

/** The ConfigError message of `createPool` options, or 'fits'. */
function poolVerdict(options: unknown): string {
  try {
    parsePoolOptions(options);
    return 'fits';
  } catch (error) {
    t.equal((error as { code?: string }).code, 'ERR_CONFIG');
    return (error as Error).message;
  }
}

t.test('pool options: sizes, timers and where to connect, with the messages people read', async (t) => {
  t.equal(poolVerdict(undefined), 'createPool takes an options object, not undefined');
  t.equal(poolVerdict({ dialect: 'mysql', min: 2, max: 2 }), 'fits');
  t.equal(poolVerdict({ dialect: 'mysql', min: 3, max: 2 }), 'min (3) cannot exceed max (2)');
  t.equal(poolVerdict({ dialect: 'mysql', min: 11 }), 'min (11) cannot exceed max (10)', 'against the default max');
  t.equal(poolVerdict({ dialect: 'mysql', max: 0 }), 'max must be a whole number of at least 1, not number 0');
  t.equal(
    poolVerdict({ dialect: 'mysql', acquireTimeoutMillis: 0 }),
    `acquireTimeoutMillis must be a whole number from 1 to ${LONGEST_TIMER_MILLIS}, not number 0`,
  );
  t.equal(poolVerdict({ dialect: 'mysql', acquireTimeoutMillis: LONGEST_TIMER_MILLIS }), 'fits');
  t.equal(
    poolVerdict({ dialect: 'mysql', queryTimeoutMillis: LONGEST_TIMER_MILLIS + 1 }),
    `queryTimeoutMillis must be a whole number from 0 to ${LONGEST_TIMER_MILLIS}, not number ${LONGEST_TIMER_MILLIS + 1}`,
  );
  t.equal(poolVerdict({ dialect: 'mysql', onError: 'log' }), 'onError must be a function');
  t.equal(poolVerdict({ dialect: 'mysql', connection: [] }), 'connection must be an object of driver options');
  t.equal(poolVerdict({ dialect: 'mysql', connection: null }), 'connection must be an object of driver options');
  t.equal(poolVerdict({ dialect: 'mysql', connection: 'host=x' }), 'connection must be an object of driver options');
  t.equal(poolVerdict({}), 'give a url, or a dialect (mysql or postgres) with connection options');
  t.equal(poolVerdict({ url: 'mysql://h/db', connection: {} }), 'give either url or connection, not both');
  t.equal(poolVerdict({ url: 5 }), 'url must be a string, not number 5');
  t.equal(poolVerdict({ url: 'not a url' }), 'url is not a valid URL');
  t.equal(poolVerdict({ url: 'http://h/db' }), 'unknown URL scheme "http:"; use mysql:, mariadb:, postgres:, postgresql:');
  t.equal(poolVerdict({ url: 'postgres://h/db', dialect: 'mysql' }), 'dialect mysql contradicts the URL scheme postgres:');
  t.equal(poolVerdict({ url: 'postgres://h/db', dialect: 'postgres' }), 'fits');
  t.equal(poolVerdict({ url: 'mysql://h/db', pooler: 'transaction' }), "pooler: 'transaction' is not supported with the mysql dialect");
  t.equal(
    poolVerdict({ url: 'postgres://h/db', pooler: 'transaction', resetOnRelease: true }),
    "resetOnRelease cannot be used with pooler: 'transaction'; state set inside a callback never outlives it there",
  );
  t.equal(poolVerdict({ url: 'postgres://h/db', pooler: 'transaction', resetOnRelease: false }), 'fits');
});

t.test('pool options as read: what was given, and the defaults of the rest', async (t) => {
  const onError = () => undefined;
  const config = parsePoolOptions({
    dialect: 'postgres',
    connection: { host: 'h' },
    min: 1,
    max: 3,
    acquireTimeoutMillis: 7,
    idleTimeoutMillis: 8,
    order: 'lifo',
    resetOnRelease: true,
    maxLifetimeMillis: 9,
    maxUses: 4,
    queryTimeoutMillis: 5,
    allowExitOnIdle: true,
    onError,
  });
  t.same(
    { ...config, report: config.report === onError },
    {
      dialect: 'postgres',
      connection: { host: 'h' },
      min: 1,
      max: 3,
      acquireTimeoutMillis: 7,
      idleTimeoutMillis: 8,
      order: 'lifo',
      resetOnRelease: true,
      maxLifetimeMillis: 9,
      maxUses: 4,
      queryTimeoutMillis: 5,
      allowExitOnIdle: true,
      report: true,
    },
  );
  const defaults = parsePoolOptions({ url: 'postgres://h/db' });
  t.equal(defaults.allowExitOnIdle, false);
  t.notOk('pooler' in defaults, 'no pooler key unless one was given');
  t.notOk('connection' in defaults, 'a URL, not connection options');
});

t.test('without onError a handled fault is a process warning, never swallowed', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const { report } = parsePoolOptions({ dialect: 'postgres' });
  const error = new Error('reset failed');
  report(error);
  report('a string');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(warnings[0], error, 'the error itself');
  t.ok(warnings[1] instanceof Error, 'anything else, as an Error');
  t.equal(warnings[1]!.message, 'a string');
  t.equal(warnings.length, 2);
});

t.test('transaction options: outermost-only keys given, and defaults', async (t) => {
  t.equal(prepareTransaction(undefined), PLAIN_TRANSACTION);
  t.same(prepareTransaction({}), { mode: { isolation: undefined, readOnly: undefined }, retries: 0, signal: undefined, outermostOnly: [] });
  const signal = new AbortController().signal;
  t.same(prepareTransaction({ isolation: 'serializable', readOnly: false, retries: 100, signal }), {
    mode: { isolation: 'serializable', readOnly: false },
    retries: 100,
    signal,
    outermostOnly: ['isolation', 'readOnly', 'retries'],
  });
  t.throws(() => prepareTransaction({ retries: 101 }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: 'transaction option retries must be a whole number from 0 to 100, not number 101',
  });
  t.throws(() => prepareTransaction({ isolation: 'chaos' }), {
    message: "transaction option isolation must be one of 'read committed', 'repeatable read', 'serializable', not string chaos",
  });
});

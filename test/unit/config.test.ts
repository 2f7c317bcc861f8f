import t from 'tap';
import { parsePoolOptions } from '../../lib/config.js';
import { ConfigError, createPool } from '../../lib/index.js';

t.test('URL schemes choose the dialect', async (t) => {
  t.equal(parsePoolOptions({ url: 'mysql://root@127.0.0.1:3306/test' }).dialect, 'mysql');
  t.equal(parsePoolOptions({ url: 'mariadb://root@127.0.0.1/test' }).dialect, 'mysql');
  t.equal(
    parsePoolOptions({ url: 'mariadb://root@127.0.0.1/test' }).url,
    'mysql://root@127.0.0.1/test',
    'mariadb: is handed to mysql2 as mysql:',
  );
  t.equal(parsePoolOptions({ url: 'postgres://postgres@127.0.0.1/test' }).dialect, 'postgres');
  t.equal(parsePoolOptions({ url: 'postgresql://postgres@127.0.0.1/test' }).dialect, 'postgres');
});

t.test('defaults', async (t) => {
  t.match(parsePoolOptions({ url: 'postgres://h/db' }), {
    min: 0,
    max: 10,
    acquireTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    order: 'fifo',
    resetOnRelease: false,
    maxLifetimeMillis: 0,
    maxUses: 0,
    queryTimeoutMillis: 0,
  });
  t.same(parsePoolOptions({ dialect: 'mysql' }).connection, {}, 'a dialect alone uses the driver defaults');
});

t.test("pooler: 'transaction' is accepted for PostgreSQL", async (t) => {
  t.equal(parsePoolOptions({ url: 'postgres://h/db', pooler: 'transaction' }).pooler, 'transaction');
  t.throws(() => createPool({ url: 'postgres://h/db', pooler: 'transaction', resetOnRelease: true }), {
    code: 'ERR_CONFIG',
    message: /resetOnRelease/,
  });
  t.throws(() => createPool({ url: 'mysql://h/db', pooler: 'transaction' } as never), { code: 'ERR_CONFIG', message: /mysql/ });
});

t.test('bad options throw ConfigError at once', async (t) => {
  const bad: unknown[] = [
    undefined,
    null,
    'mysql://h/db',
    {},
    { url: 'http://h/db' },
    { url: 'not a url' },
    { url: 42 },
    { url: 'mysql://h/db', dialect: 'postgres' },
    { url: 'mysql://h/db', connection: {} },
    { dialect: 'oracle' },
    { dialect: 'mysql', connection: 'host=h' },
    { url: 'mysql://h/db', max: 0 },
    { url: 'mysql://h/db', max: 2.5 },
    { url: 'mysql://h/db', min: -1 },
    { url: 'mysql://h/db', min: 3, max: 2 },
    { url: 'mysql://h/db', acquireTimeoutMillis: 0 },
    { url: 'mysql://h/db', acquireTimeoutMillis: Number.POSITIVE_INFINITY },
    { url: 'mysql://h/db', idleTimeoutMillis: -5 },
    { url: 'mysql://h/db', order: 'random' },
    { url: 'mysql://h/db', resetOnRelease: 'yes' },
    { url: 'mysql://h/db', onError: 'log' },
    { url: 'mysql://h/db', maxConnections: 5 },
    { url: 'mysql://h/db', maxLifetimeMillis: -1 },
    { url: 'mysql://h/db', maxLifetimeMillis: 1.5 },
    { url: 'mysql://h/db', maxLifetimeMillis: '30s' },
    { url: 'mysql://h/db', maxUses: -3 },
    { url: 'mysql://h/db', maxUses: Number.NaN },
    { url: 'mysql://h/db', pooler: 'transaction' },
    { url: 'postgres://h/db', pooler: 'session' },
    { url: 'postgres://h/db', pooler: true },
    { url: 'postgres://h/db', pooler: 'transaction', resetOnRelease: true },
    { url: 'mysql://h/db', queryTimeoutMillis: -1 },
    { url: 'mysql://h/db', queryTimeoutMillis: 0.5 },
    { url: 'mysql://h/db', queryTimeoutMillis: '300' },
    { url: 'mysql://h/db', queryTimeoutMillis: 2 ** 31 },
  ];
  for (const options of bad) {
    t.throws(() => createPool(options as never), ConfigError, `rejects ${JSON.stringify(options)}`);
  }
});

t.test('messages name unknown keys and never echo the URL', async (t) => {
  t.throws(() => createPool({ url: 'mysql://h/db', poolSize: 3 } as never), { code: 'ERR_CONFIG', message: /"poolSize"/ });
  for (const url of ['ftp://u:hunter2@h/db', 'mysql://u:hunter2@h:notaport/db']) {
    const error = (() => {
      try {
        createPool({ url });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    t.ok(error instanceof ConfigError, `${url.split(':')[0]} URL`);
    t.notMatch(`${error?.message}${error?.stack}`, /hunter2/);
  }
});

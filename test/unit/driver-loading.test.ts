import t from 'tap';
import { postgresDialect } from '../../dialects/postgres/dialect.js';
import type { DialectInfo, Driver, DriverSettings } from '../../lib/driver.js';
import { loadDriver, SCHEMES } from '../../lib/dialects.js';
import { rowProbeLimit, mayDelete } from '../../lib/truncate-plan.js';

/** Loading a dialect's driver lazily: a missing package is a ConfigError naming it; any other failure is left as it is. */

const settings = { connection: {}, connectTimeoutMillis: 1, report: () => undefined } as DriverSettings;

/** The postgres dialect with a driver loader that fails with `error`, or succeeds. */
function loading(error: unknown): DialectInfo {
  const made = { made: 'driver' } as unknown as Driver;
  return {
    ...postgresDialect,
    loadDriver: async () => {
      if (error !== undefined) throw error;
      return (given: DriverSettings) => (given === settings ? made : ({} as Driver));
    },
  };
}

t.test('a driver package that is not installed: ConfigError saying what to install, the import error as its cause', async (t) => {
  for (const code of ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']) {
    const missing = Object.assign(new Error("Cannot find package 'pg' imported from /app/x.js"), { code });
    await t.rejects(
      loadDriver(loading(missing), settings),
      {
        code: 'ERR_CONFIG',
        message: 'the postgres dialect needs the pg package, which is not installed: npm install pg',
        cause: missing,
      },
      code,
    );
  }
});

t.test('any other failure to load reaches the caller unchanged', async (t) => {
  const cases: [string, unknown][] = [
    ['another package missing', Object.assign(new Error("Cannot find package 'pg-native'"), { code: 'ERR_MODULE_NOT_FOUND' })],
    ['the package, failing otherwise', Object.assign(new Error("Cannot find package 'pg'"), { code: 'ERR_REQUIRE_ESM' })],
    ['a code without a message', { code: 'ERR_MODULE_NOT_FOUND' }],
    ['a message that is not a string', { code: 'ERR_MODULE_NOT_FOUND', message: ["'pg'"] }],
    ['null', null],
  ];
  for (const [label, error] of cases) {
    const thrown = await loadDriver(loading(error), settings).then(
      () => 'loaded',
      (e: unknown) => e,
    );
    t.equal(thrown, error, label);
  }
});

t.test('a driver that loads is made with the settings given', async (t) => {
  t.same(await loadDriver(loading(undefined), settings), { made: 'driver' });
  t.same(SCHEMES, ['mysql:', 'mariadb:', 'postgres:', 'postgresql:']);
});

t.test("rowProbeLimit: one row says enough unless 'auto' must compare with its thresholds", async (t) => {
  const thresholds = { counterKept: 300, counterReset: 40 };
  t.equal(rowProbeLimit('auto', thresholds), 301);
  t.equal(rowProbeLimit('auto', { counterKept: 10, counterReset: 40 }), 41);
  t.equal(rowProbeLimit('truncate', thresholds), 1);
  t.equal(rowProbeLimit('delete', thresholds), 1);
});

t.test('mayDelete: a threshold of 0 still allows a DELETE of an empty table, -1 never', async (t) => {
  const auto = { cascade: false, restartIdentity: true, strategy: 'auto', lockTimeoutMillis: 0 } as const;
  t.equal(mayDelete(false, auto, { counterKept: 5, counterReset: 0 }), true);
  t.equal(mayDelete(false, auto, { counterKept: 5, counterReset: -1 }), false);
  t.equal(mayDelete(true, auto, { counterKept: 0, counterReset: -1 }), true);
});

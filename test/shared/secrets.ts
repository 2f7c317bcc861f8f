import { randomBytes } from 'node:crypto';
import util from 'node:util';
import t, { type Test } from 'tap';
import { createPool, type Dialect, type Pool } from '../../lib/index.js';
import { createScratch, dialectSql, type Scratch } from '../helpers/servers.js';
import { FaultProxy } from '../helpers/proxy.js';
import { captureWarnings, sleep } from '../helpers/pools.js';

/**
 * A password with characters that URLs escape, around a random core that no
 * encoding changes: finding the core anywhere means the password leaked.
 */
function makeSecret(label: string): { password: string; core: string } {
  const core = `${label}${randomBytes(8).toString('hex')}`;
  return { password: `p@ss:${core}/#?&=%`, core };
}

/** Every string reachable from `value` through own properties (hidden and symbol-keyed too), causes and nested errors included. */
function reachableStrings(value: unknown, depth = 0, seen = new Set<unknown>()): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value) || depth > 6) return [];
  seen.add(value);
  const strings: string[] = [];
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor !== undefined && 'value' in descriptor) strings.push(...reachableStrings(descriptor.value, depth + 1, seen));
  }
  return strings;
}

/** Where a secret shows in the ways people and loggers look at an error or object; empty when it shows nowhere. */
function exposures(value: unknown, secrets: readonly string[]): string[] {
  let json: string;
  try {
    json = JSON.stringify(value) ?? '';
  } catch (error) {
    json = String(error);
  }
  const views: Record<string, string> = {
    message: value instanceof Error ? value.message : '',
    stack: value instanceof Error ? (value.stack ?? '') : '',
    cause: value instanceof Error ? util.inspect(value.cause, { depth: Infinity }) : '',
    'util.inspect': util.inspect(value, { showHidden: true, depth: Infinity }),
    'JSON.stringify': json,
    'String()': String(value),
    'own properties': reachableStrings(value).join('\n'),
  };
  return Object.entries(views).flatMap(([view, text]) =>
    secrets.filter((secret) => text.includes(secret)).map((secret) => `${view} shows ${secret}`),
  );
}

/** What a call rejected with, or a failure when it resolved. */
async function rejection(t: Test, work: Promise<unknown>, label: string): Promise<unknown> {
  return work.then(
    () => {
      t.fail(`${label}: expected a rejection`);
      return undefined;
    },
    (error: unknown) => error,
  );
}

/** URL of `scratch` with another user, password or database. */
function withCredentials(scratch: Scratch, parts: { user?: string; password: string; database?: string }): string {
  const url = new URL(scratch.url);
  if (parts.user !== undefined) url.username = parts.user;
  // The URL setter leaves '%' and '&' as they are; a password in a URL is percent-encoded by whoever writes it.
  url.password = encodeURIComponent(parts.password);
  if (parts.database !== undefined) url.pathname = `/${parts.database}`;
  return url.toString();
}

/** Passwords in URLs never reach messages, stacks, causes, inspection or JSON of errors, the pool, or warnings. */
export function secretsSuite(dialect: Dialect): void {
  t.test(`${dialect}: passwords never leak`, async (t) => {
    const scratch = await createScratch(dialect, 'secrets');
    t.teardown(() => scratch.drop());
    const right = makeSecret('right');
    const wrong = makeSecret('wrong');
    const secrets = [right.password, right.core, wrong.password, wrong.core];

    // PostgreSQL here trusts every local login, so its password is never checked: a wrong database or user makes the login fail.
    let goodUrl: string;
    let badLogins: Record<string, string>;
    if (dialect === 'mysql') {
      const user = `sqlpin_${randomBytes(4).toString('hex')}`;
      await scratch.admin('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', right.password]);
      t.teardown(() => scratch.admin('DROP USER IF EXISTS ?@?', [user, '%']));
      await scratch.admin(`GRANT ALL ON \`${scratch.name}\`.* TO ?@?`, [user, '%']);
      goodUrl = withCredentials(scratch, { user, password: right.password });
      badLogins = {
        'wrong password': withCredentials(scratch, { user, password: wrong.password }),
        'unknown user': withCredentials(scratch, { user: `${user}_nobody`, password: wrong.password }),
      };
    } else {
      goodUrl = withCredentials(scratch, { password: right.password });
      badLogins = {
        'unknown database': withCredentials(scratch, { password: wrong.password, database: `nowhere_${randomBytes(4).toString('hex')}` }),
        'unknown user': withCredentials(scratch, { user: `nobody_${randomBytes(4).toString('hex')}`, password: wrong.password }),
      };
    }
    const pools: Pool[] = [];
    const pool = (url: string, options: { acquireTimeoutMillis?: number; onError?: (error: unknown) => void } = {}) => {
      const db = createPool({ url, max: 2, ...options });
      pools.push(db);
      return db;
    };
    t.teardown(async () => {
      for (const db of pools) await db.close();
    });

    t.test('the leak detector finds a password wherever it hides', async (t) => {
      const inCause = new Error('outer', { cause: { config: { password: right.password } } });
      t.not(exposures(inCause, secrets).length, 0, 'a password in a cause is found');
      const hidden = new Error('quiet');
      Object.defineProperty(hidden, 'connectionString', { value: `mysql://u:${right.password}@h/db`, enumerable: false });
      t.not(exposures(hidden, secrets).length, 0, 'a password in a hidden property is found');
      t.same(exposures(new Error('nothing here'), secrets), [], 'a clean error is clean');
    });

    t.test('failed logins: ERR_CONNECT, with no password anywhere', async (t) => {
      for (const [label, url] of Object.entries(badLogins)) {
        const error = await rejection(t, pool(url).query('SELECT 1'), label);
        t.equal((error as { code?: unknown }).code, 'ERR_CONNECT', `${label}: ERR_CONNECT`);
        t.ok((error as { cause?: unknown }).cause instanceof Error, `${label}: the driver error is the cause`);
        t.same(exposures(error, secrets), [], `${label}: the password shows nowhere`);
      }
      // A password written into a URL without percent-encoding: the driver cannot even parse it.
      const raw = goodUrl.replace(`:${encodeURIComponent(right.password)}@`, `:%zz${right.core}%@`);
      const malformed = await rejection(t, pool(raw).query('SELECT 1'), 'malformed password');
      t.equal((malformed as { code?: unknown }).code, 'ERR_CONNECT', 'a malformed password: ERR_CONNECT');
      t.same(exposures(malformed, secrets), [], 'a malformed password: the password shows nowhere');
      const unreachable = new URL(goodUrl);
      unreachable.port = '1';
      const refused = await rejection(t, pool(unreachable.toString()).query('SELECT 1'), 'no server');
      t.equal((refused as { code?: unknown }).code, 'ERR_CONNECT', 'no server: ERR_CONNECT');
      t.same(exposures(refused, secrets), [], 'no server: the password shows nowhere');
    });

    t.test('a stalled login times out with ERR_CONNECT or ERR_POOL_TIMEOUT, with no password anywhere', async (t) => {
      const proxy = await FaultProxy.start(goodUrl);
      t.teardown(() => proxy.close());
      proxy.stall();
      const error = await rejection(t, pool(proxy.route(goodUrl), { acquireTimeoutMillis: 300 }).query('SELECT 1'), 'stalled');
      t.match((error as { code?: unknown }).code, /^ERR_(CONNECT|POOL_TIMEOUT)$/, 'ERR_CONNECT or ERR_POOL_TIMEOUT');
      t.same(exposures(error, secrets), [], 'the password shows nowhere');
    });

    t.test('driver errors from queries on a pool whose URL holds the password', async (t) => {
      const db = pool(goodUrl);
      t.equal(Number((await db.query('SELECT 1 AS one')).rows[0]!.one), 1, 'the password logs in');
      const missing = await rejection(t, db.query('SELECT * FROM no_such_table'), 'missing table');
      t.ok((missing as { code?: unknown }).code, 'the driver error keeps its own code');
      t.same(exposures(missing, secrets), [], 'a one-shot query error: the password shows nowhere');
      const pinned = await rejection(
        t,
        db.withConnection(async (conn) => {
          t.same(exposures(conn, secrets), [], 'the pinned handle: the password shows nowhere');
          await conn.query('SELECT syntax error here');
        }),
        'syntax error',
      );
      t.same(exposures(pinned, secrets), [], 'a pinned query error: the password shows nowhere');
      const truncate = await rejection(t, db.truncate('no_such_table'), 'truncate');
      t.equal((truncate as { code?: unknown }).code, 'ERR_TABLE_NOT_FOUND', 'a sqlpin error from the same pool');
      t.same(exposures(truncate, secrets), [], 'a sqlpin error: the password shows nowhere');
    });

    t.test('the pool object itself', async (t) => {
      const db = pool(goodUrl);
      await db.query('SELECT 1');
      t.same(exposures(db, secrets), [], 'util.inspect, JSON and String of the pool show no password');
      t.same(exposures(db.stats(), secrets), [], 'stats() shows no password');
    });

    t.test('a killed idle session becomes a warning with no password', async (t) => {
      const warnings = captureWarnings(t);
      const db = pool(goodUrl);
      const id = await db.withConnection((conn) => conn.sessionId);
      await scratch.admin(dialectSql[dialect].kill(id));
      for (let waited = 0; warnings.length === 0 && waited < 5_000; waited += 20) await sleep(20);
      t.equal(warnings.length, 1, 'the fault became one process warning');
      t.same(exposures(warnings, secrets), [], 'the warning shows no password');
    });

    t.test('ConfigError messages never echo a URL with a password', async (t) => {
      const url = `${dialect}://user:${encodeURIComponent(right.password)}@127.0.0.1/db`;
      const bad: unknown[] = [
        { url: url.replace(/^\w+:/, 'ftp:') },
        { url, bogus: 1 },
        { url, dialect: dialect === 'mysql' ? 'postgres' : 'mysql' },
        { url, max: -1 },
        { url: url.replace('127.0.0.1', '127.0.0.1:99999') },
        { url, connection: { password: right.password } },
      ];
      for (const options of bad) {
        let thrown: unknown;
        try {
          createPool(options as Parameters<typeof createPool>[0]);
        } catch (error) {
          thrown = error;
        }
        t.equal((thrown as { code?: unknown } | undefined)?.code, 'ERR_CONFIG', 'ERR_CONFIG');
        t.same(exposures(thrown, secrets), [], `${(thrown as Error | undefined)?.message}: no password`);
      }
    });
  });
}

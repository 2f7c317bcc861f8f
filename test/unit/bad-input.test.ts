import net from 'node:net';
import t, { type Test } from 'tap';
import { createPool, sql, SqlQuery, SqlpinError, type Connection, type Pool } from '../../lib/index.js';

/**
 * Just enough of a PostgreSQL server to log a client in and count what it is
 * sent, so bad input can be shown to fail before any SQL leaves the process
 * without a real server. Any query gets an error reply, so nothing hangs.
 */
class FakePostgres {
  readonly #server = net.createServer((socket) => this.#serve(socket));
  /** Query, Parse and Sync messages received after login. */
  statements = 0;

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `postgres://fake:secret@127.0.0.1:${(this.#server.address() as net.AddressInfo).port}/fake`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: net.Socket): void {
    let buffered = Buffer.alloc(0);
    let started = false;
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        // The startup message has no type byte; every later message has one.
        const offset = started ? 1 : 0;
        if (buffered.length < offset + 4) return;
        const length = buffered.readInt32BE(offset);
        if (buffered.length < offset + length) return;
        const type = started ? String.fromCharCode(buffered[0]!) : 'startup';
        buffered = buffered.subarray(offset + length);
        started = true;
        this.#answer(socket, type);
      }
    });
  }

  #answer(socket: net.Socket, type: string): void {
    const message = (code: string, body: Buffer) => {
      const header = Buffer.alloc(5);
      header.write(code, 0, 'latin1');
      header.writeInt32BE(body.length + 4, 1);
      return Buffer.concat([header, body]);
    };
    const int32s = (...values: number[]) => Buffer.concat(values.map((value) => Buffer.from(Int32Array.of(value).buffer).reverse()));
    const ready = message('Z', Buffer.from('I'));
    const error = message('E', Buffer.from('SERROR\0CXX000\0Mthe fake server runs no SQL\0\0'));
    if (type === 'startup') socket.write(Buffer.concat([message('R', int32s(0)), message('K', int32s(4242, 1)), ready]));
    else if (type === 'X') socket.end();
    else if (type === 'Q' || type === 'P' || type === 'S') {
      this.statements += 1;
      socket.write(type === 'Q' ? Buffer.concat([error, ready]) : type === 'P' ? error : ready);
    }
  }
}

/** Inputs that are wrong in type or range, with a label for the report. */
type Case = readonly [label: string, call: () => unknown, code: string];

/**
 * Runs each call and asserts that it returns a promise that rejects with a
 * SqlpinError of the given code, and that the server was sent no SQL.
 */
async function expectRejections(t: Test, fake: FakePostgres, cases: readonly Case[]): Promise<void> {
  for (const [label, call, code] of cases) {
    const before = fake.statements;
    let result: unknown;
    try {
      result = call();
    } catch (error) {
      t.fail(`${label}: threw synchronously instead of rejecting: ${String(error)}`);
      continue;
    }
    if (!(result instanceof Promise)) {
      t.fail(`${label}: returned ${String(result)}, not a promise`);
      continue;
    }
    const error = await result.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    t.ok(
      error instanceof SqlpinError,
      `${label}: rejects with a SqlpinError (got ${error instanceof Error ? error.constructor.name : String(error)})`,
    );
    t.equal((error as { code?: unknown } | undefined)?.code, code, `${label}: code ${code}`);
    t.equal(fake.statements, before, `${label}: no SQL sent`);
  }
}

const WRONG_VALUES: readonly (readonly [string, unknown])[] = [
  ['undefined', undefined],
  ['null', null],
  ['a number', 42],
  ['NaN', Number.NaN],
  ['a boolean', true],
  ['a bigint', 10n],
  ['a symbol', Symbol('x')],
  ['an object', {}],
  ['an array', []],
  ['a boxed string', new String('SELECT 1')],
  ['a Date', new Date(0)],
];

t.test('createPool throws ConfigError for wrong types, negative sizes and out-of-range times', async (t) => {
  const url = 'postgres://u@127.0.0.1:1/db';
  const bad: (readonly [string, unknown])[] = [
    ...WRONG_VALUES.map(([label, value]) => [`options ${label}`, value] as const),
    ['options a function', () => ({ url })],
    ['url null', { url: null }],
    ['url empty', { url: '' }],
    ['url a URL object', { url: new URL(url) }],
    ['dialect null', { dialect: null, connection: {} }],
    ['connection null', { dialect: 'postgres', connection: null }],
    ['connection an array', { dialect: 'postgres', connection: [] }],
    ['min negative', { url, min: -1 }],
    ['min NaN', { url, min: Number.NaN }],
    ['min null', { url, min: null }],
    ['min a string', { url, min: '1' }],
    ['max zero', { url, max: 0 }],
    ['max negative', { url, max: -4 }],
    ['max fractional', { url, max: 1.5 }],
    ['max Infinity', { url, max: Number.POSITIVE_INFINITY }],
    ['max a bigint', { url, max: 4n }],
    ['max beyond safe integers', { url, max: 2 ** 53 }],
    ['acquireTimeoutMillis negative', { url, acquireTimeoutMillis: -1 }],
    // Node timers cannot wait longer: a larger value fires after 1 ms, so every acquire would time out at once.
    ['acquireTimeoutMillis beyond a timer', { url, acquireTimeoutMillis: 2 ** 31 }],
    ['idleTimeoutMillis negative', { url, idleTimeoutMillis: -1 }],
    ['order null', { url, order: null }],
    ['resetOnRelease a number', { url, resetOnRelease: 1 }],
    ['onError null', { url, onError: null }],
    ['queryTimeoutMillis negative', { url, queryTimeoutMillis: -1 }],
    ['queryTimeoutMillis beyond a timer', { url, queryTimeoutMillis: 2 ** 31 }],
    ['an unknown key', { url, poolSize: 4 }],
  ];
  for (const [label, options] of bad) {
    let thrown: unknown;
    try {
      createPool(options as Parameters<typeof createPool>[0]);
    } catch (error) {
      thrown = error;
    }
    t.ok(
      thrown instanceof SqlpinError,
      `${label}: throws a SqlpinError (got ${thrown instanceof Error ? thrown.constructor.name : String(thrown)})`,
    );
    t.equal((thrown as { code?: unknown } | undefined)?.code, 'ERR_CONFIG', `${label}: ERR_CONFIG`);
  }
});

t.test('sql and SqlQuery refuse anything but a template', async (t) => {
  const bad: (readonly [string, () => unknown])[] = [
    ['sql(null)', () => sql(null as unknown as TemplateStringsArray)],
    ['sql("text")', () => sql('SELECT 1' as unknown as TemplateStringsArray)],
    ['sql(["a", "b"]) without a value', () => sql(['a', 'b'] as unknown as TemplateStringsArray)],
    ['sql([42])', () => sql([42] as unknown as TemplateStringsArray)],
    ['new SqlQuery(undefined, [])', () => new SqlQuery(undefined as unknown as string[], [])],
    ['new SqlQuery(["a"], null)', () => new SqlQuery(['a'], null as unknown as unknown[])],
  ];
  for (const [label, call] of bad) {
    let thrown: unknown;
    try {
      call();
    } catch (error) {
      thrown = error;
    }
    t.ok(
      thrown instanceof SqlpinError,
      `${label}: throws a SqlpinError (got ${thrown instanceof Error ? thrown.constructor.name : String(thrown)})`,
    );
    t.equal((thrown as { code?: unknown } | undefined)?.code, 'ERR_INVALID_ARGUMENT', `${label}: ERR_INVALID_ARGUMENT`);
  }
});

t.test('pool and handle methods reject wrong arguments before any SQL is sent', async (t) => {
  const fake = new FakePostgres();
  const url = await fake.listen();
  t.teardown(() => fake.close());
  const db: Pool = createPool({ url, max: 1, acquireTimeoutMillis: 2_000 });
  t.teardown(() => db.close());
  const before = fake.statements;
  t.equal(await db.withConnection(async (conn) => conn.sessionId), 4242, 'the fake server logs a session in');
  t.equal(fake.statements, before, 'logging in sends no SQL');

  const queries = (target: Pool | Connection, who: string): Case[] => [
    ...WRONG_VALUES.map(
      ([label, value]) => [`${who}.query(${label})`, () => target.query(value as string), 'ERR_INVALID_ARGUMENT'] as const,
    ),
    [`${who}.query(a function)`, () => target.query((() => 'SELECT 1') as unknown as string), 'ERR_INVALID_ARGUMENT'],
    [
      `${who}.query(a lookalike of sql)`,
      () => target.query({ strings: ['SELECT 1'], values: [] } as unknown as string),
      'ERR_INVALID_ARGUMENT',
    ],
    [`${who}.query(text, a string)`, () => target.query('SELECT 1', 'x' as unknown as unknown[]), 'ERR_INVALID_ARGUMENT'],
    [`${who}.query(text, null)`, () => target.query('SELECT 1', null as unknown as unknown[]), 'ERR_INVALID_ARGUMENT'],
    [`${who}.query(text, an object)`, () => target.query('SELECT 1', { 0: 1 } as unknown as unknown[]), 'ERR_INVALID_ARGUMENT'],
    [`${who}.query(sql, params)`, () => target.query(sql`SELECT ${1}`, [1]), 'ERR_INVALID_ARGUMENT'],
    [`${who}.query(text, [], timeoutMillis -1)`, () => target.query('SELECT 1', [], { timeoutMillis: -1 }), 'ERR_INVALID_ARGUMENT'],
    [`${who}.query(sql, timeoutMillis NaN)`, () => target.query(sql`SELECT ${1}`, { timeoutMillis: Number.NaN }), 'ERR_INVALID_ARGUMENT'],
    [`${who}.query(text, [], an unknown option)`, () => target.query('SELECT 1', [], { timeout: 5 } as object), 'ERR_INVALID_ARGUMENT'],
    [`${who}.query(text, [], null)`, () => target.query('SELECT 1', [], null as unknown as object), 'ERR_INVALID_ARGUMENT'],
  ];
  const transactions = (target: Pool | Connection, who: string): Case[] =>
    WRONG_VALUES.map(
      ([label, value]) => [`${who}.transaction(${label})`, () => target.transaction(value as () => void), 'ERR_INVALID_ARGUMENT'] as const,
    );
  const pins: Case[] = WRONG_VALUES.map(
    ([label, value]) => [`db.withConnection(${label})`, () => db.withConnection(value as () => void), 'ERR_INVALID_ARGUMENT'] as const,
  );
  const truncates = (target: Pool | Connection, who: string): Case[] => {
    const tables: (readonly [string, unknown])[] = [
      ...WRONG_VALUES.filter(([, value]) => !Array.isArray(value)),
      ['an empty name', ''],
      ['a name with a NUL', 'a\0b'],
      ['two dots', 'a.b.c'],
      ['a lone dot', '.'],
      ['64 bytes', 'x'.repeat(64)],
      ['a lone surrogate', 'a\ud800'],
      ['{ name: 42 }', { name: 42 }],
      ['{ name: null }', { name: null }],
      ['{ schema: null, name }', { schema: null, name: 'a' }],
      ['{ schema: 5, name }', { schema: 5, name: 'a' }],
      ['[null]', [null]],
      ['[42]', [42]],
      ['[[]]', [[]]],
      ['["a", {}]', ['a', {}]],
      ['a sparse array', new Array(1)],
      ['a sparse array with a name', [, 'a']],
      ['a function', () => 'a'],
    ];
    const options: (readonly [string, unknown])[] = [
      ['null', null],
      ['a number', 42],
      ['a string', 'cascade'],
      ['an array', []],
      ['cascade "yes"', { cascade: 'yes' }],
      ['cascade 1', { cascade: 1 }],
      ['restartIdentity null', { restartIdentity: null }],
      ['an unknown key', { cascade: true, Cascade: true }],
      ['lockTimeoutMillis -1', { lockTimeoutMillis: -1 }],
      ['lockTimeoutMillis a string', { lockTimeoutMillis: '300' }],
      ['lockTimeoutMillis beyond a timer', { lockTimeoutMillis: 2 ** 31 }],
    ];
    const allOptions: (readonly [string, unknown, string])[] = [
      ...options.map(([label, value]) => [label, value, 'ERR_INVALID_ARGUMENT'] as const),
      ['strategy "fast"', { strategy: 'fast' }, 'ERR_INVALID_ARGUMENT'],
      ['strategy null', { strategy: null }, 'ERR_INVALID_ARGUMENT'],
      ['except a string', { except: 't' }, 'ERR_INVALID_ARGUMENT'],
      ['except null', { except: null }, 'ERR_INVALID_ARGUMENT'],
      ['schema 5', { schema: 5 }, 'ERR_INVALID_ARGUMENT'],
      ['schema null', { schema: null }, 'ERR_INVALID_ARGUMENT'],
      ['a schema of 64 bytes', { schema: 'x'.repeat(64) }, 'ERR_INVALID_IDENTIFIER'],
      ['an empty schema', { schema: '' }, 'ERR_INVALID_IDENTIFIER'],
      ...tables
        .filter(([, value]) => typeof value === 'string' || (typeof value === 'object' && value !== null && !Array.isArray(value)))
        .map(([label, value]) => [`except [${label}]`, { except: [value] }, 'ERR_INVALID_IDENTIFIER'] as const),
    ];
    return [
      ...tables.map(
        ([label, value]) => [`${who}.truncate(${label})`, () => target.truncate(value as string), 'ERR_INVALID_IDENTIFIER'] as const,
      ),
      ...options.map(
        ([label, value]) =>
          [`${who}.truncate('t', ${label})`, () => target.truncate('t', value as object), 'ERR_INVALID_ARGUMENT'] as const,
      ),
      [`${who}.truncate('t', strategy "all")`, () => target.truncate('t', { strategy: 'all' } as never), 'ERR_INVALID_ARGUMENT'],
      ...allOptions.map(
        ([label, value, code]) => [`${who}.truncateAll(${label})`, () => target.truncateAll(value as object), code] as const,
      ),
    ];
  };

  await expectRejections(t, fake, [...queries(db, 'db'), ...transactions(db, 'db'), ...pins, ...truncates(db, 'db')]);
  let kept!: Connection;
  await db.withConnection(async (conn) => {
    kept = conn;
    // Inside the pin, db.* calls run on the pinned session: they must refuse bad input there too.
    await expectRejections(t, fake, [...queries(conn, 'conn'), ...transactions(conn, 'conn'), ...truncates(conn, 'conn')]);
    await expectRejections(t, fake, [...queries(db, 'pinned db'), ...pins, ...truncates(db, 'pinned db')]);
  });
  await expectRejections(t, fake, [
    ['a released handle: query', () => kept.query('SELECT 1'), 'ERR_CONNECTION_RELEASED'],
    ['a released handle: truncate', () => kept.truncate('t'), 'ERR_CONNECTION_RELEASED'],
    ['a released handle: truncateAll', () => kept.truncateAll(), 'ERR_CONNECTION_RELEASED'],
    ['a released handle: transaction', () => kept.transaction(async () => 1), 'ERR_CONNECTION_RELEASED'],
    ['a released handle with bad input', () => kept.query(null as unknown as string), 'ERR_CONNECTION_RELEASED'],
  ]);
  t.throws(() => kept.sessionId, { code: 'ERR_CONNECTION_RELEASED' }, 'a released handle: sessionId throws ERR_CONNECTION_RELEASED');
  t.same([db.stats().borrowed, db.stats().pending], [0, 0], 'nothing borrowed, nobody waiting');
});

t.test('a closed pool rejects every call with ERR_POOL_CLOSED', async (t) => {
  const fake = new FakePostgres();
  const url = await fake.listen();
  t.teardown(() => fake.close());
  const db = createPool({ url, max: 2 });
  await db.withConnection((conn) => conn.sessionId);
  const close = db.close();
  t.equal(db.close(), close, 'close() is idempotent: the same promise');
  await close;
  await expectRejections(t, fake, [
    ['query', () => db.query('SELECT 1'), 'ERR_POOL_CLOSED'],
    ['query sql``', () => db.query(sql`SELECT ${1}`), 'ERR_POOL_CLOSED'],
    ['withConnection', () => db.withConnection(async () => 1), 'ERR_POOL_CLOSED'],
    ['transaction', () => db.transaction(async () => 1), 'ERR_POOL_CLOSED'],
    ['truncate', () => db.truncate('t'), 'ERR_POOL_CLOSED'],
    ['truncate with options', () => db.truncate(['a', 'b'], { cascade: true }), 'ERR_POOL_CLOSED'],
    // Nothing to empty is still new work on a pool that takes none.
    ['truncate([])', () => db.truncate([]), 'ERR_POOL_CLOSED'],
    ['truncateAll', () => db.truncateAll({ except: ['schema_migrations'] }), 'ERR_POOL_CLOSED'],
  ]);
  await db.close();
  t.same([db.stats().borrowed, db.stats().pending, db.stats().size], [0, 0, 0], 'no session left open');
});

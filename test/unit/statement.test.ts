import t from 'tap';
import { postgresDialect } from '../../dialects/postgres/dialect.js';
import { mysqlDialect } from '../../dialects/mysql/dialect.js';
import { sql } from '../../lib/index.js';
import { parseQuery } from '../../lib/statement.js';

/** The one reader of query() arguments: text, parameters and options in every position they may take. */

/** The statement read, or the error's code and message. */
function read(query: unknown, params?: unknown, options?: unknown): unknown {
  try {
    return parseQuery(postgresDialect, query, params, options);
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
}

t.test('plain text is sent as given, with its parameters if any', async (t) => {
  t.same(read('SELECT 1'), { text: 'SELECT 1' });
  t.notOk('params' in (read('SELECT 1') as object), 'no params key without parameters');
  t.same(read('SELECT $1', [1]), { text: 'SELECT $1', params: [1] });
  t.same(read('SELECT $1', []), { text: 'SELECT $1', params: [] });
});

t.test('options come third, or second where no parameter array is given', async (t) => {
  const signal = new AbortController().signal;
  t.same(read('SELECT 1', { timeoutMillis: 5 }), { text: 'SELECT 1', timeoutMillis: 5, signal: undefined });
  t.same(read('SELECT $1', [1], { signal }), { text: 'SELECT $1', params: [1], timeoutMillis: undefined, signal });
  t.same(read('SELECT 1', undefined, {}), { text: 'SELECT 1' }, 'empty options change nothing');
  t.same(read(sql`SELECT ${1}`, { timeoutMillis: 0 }), { text: 'SELECT $1', params: [1], timeoutMillis: 0, signal: undefined });
});

t.test('sql queries compile for the dialect', async (t) => {
  t.same(read(sql`SELECT ${1}, ${'a'}`), { text: 'SELECT $1, $2', params: [1, 'a'] });
  t.same(parseQuery(mysqlDialect, sql`SELECT ${1}`, undefined, undefined), { text: 'SELECT ?', params: [1] });
});

t.test('wrong arguments: the exact refusal', async (t) => {
  t.same(read('SELECT 1', 'x'), { code: 'ERR_INVALID_ARGUMENT', message: 'query parameters are an array, not string x' });
  t.same(read('SELECT 1', null), { code: 'ERR_INVALID_ARGUMENT', message: 'query parameters are an array, not null' });
  t.same(read('SELECT 1', 'x', {}), { code: 'ERR_INVALID_ARGUMENT', message: 'query parameters are an array, not string x' });
  t.same(read(sql`SELECT 1`, [1]), {
    code: 'ERR_INVALID_ARGUMENT',
    message: 'a sql`` query carries its own values; pass no parameter array',
  });
  t.same(read(42), { code: 'ERR_INVALID_ARGUMENT', message: 'a query is a string or a sql`` query, not number 42' });
  t.same(read(null, undefined, {}), { code: 'ERR_INVALID_ARGUMENT', message: 'a query is a string or a sql`` query, not null' });
  t.same(read('SELECT 1', [], { timeoutMillis: -1 }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: 'query option timeoutMillis must be a whole number from 0 to 2147483647, not number -1',
  });
  t.same(read('SELECT 1', { retries: 1 }), { code: 'ERR_INVALID_ARGUMENT', message: 'unknown query option "retries"' });
  const aborted = new AbortController();
  aborted.abort('late');
  t.same(read('SELECT 1', { signal: aborted.signal }), { code: 'ERR_ABORTED', message: 'the call was aborted' });
});

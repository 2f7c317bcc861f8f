import t from 'tap';
import { mysqlDialect as mysql } from '../../dialects/mysql/dialect.js';
import { postgresDialect as postgres } from '../../dialects/postgres/dialect.js';
import { describe, formatTableName, parseTableRef } from '../../lib/identifiers.js';
import { sql, SqlQuery } from '../../lib/index.js';
import { compileSql } from '../../lib/sql.js';

/** What a refused name or query says: the message names the value and the rule, never more than 40 characters of it. */

function refusal(call: () => unknown): string {
  try {
    call();
    return 'accepted';
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
}

t.test('table names: each rule, its message', async (t) => {
  const pg = (ref: unknown) => refusal(() => parseTableRef(ref as never, postgres.identifierRules));
  t.equal(
    pg('a.b.c'),
    'ERR_INVALID_IDENTIFIER: table name "a.b.c" has more than one dot; use { schema, name } for names that contain dots',
  );
  t.equal(pg(''), 'ERR_INVALID_IDENTIFIER: an identifier cannot be empty');
  t.equal(pg('.x'), 'ERR_INVALID_IDENTIFIER: an identifier cannot be empty');
  t.equal(pg('a\0b'), 'ERR_INVALID_IDENTIFIER: identifier "a\\u0000b" contains a NUL byte');
  t.equal(pg('a\ud800'), 'ERR_INVALID_IDENTIFIER: identifier "a\\ud800" is not well-formed Unicode');
  t.equal(pg({ name: 7 }), 'ERR_INVALID_IDENTIFIER: an identifier is a string, not number 7');
  t.equal(pg({ schema: null, name: 'x' }), 'ERR_INVALID_IDENTIFIER: an identifier is a string, not null');
  t.equal(pg(null), 'ERR_INVALID_IDENTIFIER: a table is a string or { schema?, name }, not null');
  t.equal(pg(['x']), 'ERR_INVALID_IDENTIFIER: a table is a string or { schema?, name }, not an array');
  t.equal(pg(7), 'ERR_INVALID_IDENTIFIER: a table is a string or { schema?, name }, not number 7');
  t.equal(pg('é'.repeat(32)), `ERR_INVALID_IDENTIFIER: identifier "${'é'.repeat(32)}" is 64 bytes long; the limit is 63`);
  t.equal(
    refusal(() => parseTableRef('a'.repeat(65), mysql.identifierRules)),
    `ERR_INVALID_IDENTIFIER: identifier "${'a'.repeat(65)}" is 65 characters long; the limit is 64`,
  );
  t.equal(pg({ schema: undefined, name: 'x' }), 'accepted', 'an undefined schema is left to the server');
  t.same(parseTableRef({ schema: undefined, name: 'x' } as never, postgres.identifierRules), { name: 'x' });
});

t.test('how values and names read in messages', async (t) => {
  t.equal(describe(null), 'null');
  t.equal(describe(undefined), 'undefined undefined');
  t.equal(describe([1]), 'an array');
  t.equal(describe({ password: 'hunter2' }), 'an object', 'an object is never echoed');
  t.equal(describe('x'.repeat(50)), `string ${'x'.repeat(40)}`, 'at most 40 characters');
  t.equal(formatTableName({ name: 't' }), 't');
  t.equal(formatTableName({ schema: 's', name: 't' }), 's.t');
});

t.test('sql: the refusals of a call that is not a template, and of lists without a SQL form', async (t) => {
  const notATemplate = 'ERR_INVALID_ARGUMENT: sql is a tagged template: write sql`...`, not sql(...)';
  t.equal(
    refusal(() => new SqlQuery(['a'], [])),
    'accepted',
  );
  t.equal(
    refusal(() => new SqlQuery(['a', 'b'], [1])),
    'accepted',
  );
  t.equal(
    refusal(() => new SqlQuery('a' as never, [])),
    notATemplate,
  );
  t.equal(
    refusal(() => new SqlQuery(['a'], 'x' as never)),
    notATemplate,
  );
  t.equal(
    refusal(() => new SqlQuery(['a', 'b'], [])),
    notATemplate,
  );
  t.equal(
    refusal(() => new SqlQuery(['a'], [1])),
    notATemplate,
  );
  t.equal(
    refusal(() => new SqlQuery(['a', 2 as never], [1])),
    notATemplate,
  );
  t.equal(
    refusal(() => compileSql(sql`in (${[]})`, postgres)),
    'ERR_INVALID_ARGUMENT: an empty list in a sql`` query has no SQL form (IN () is an error): test for it before the query, or leave the condition out',
  );
  t.equal(
    refusal(() => compileSql(sql`values ${[[1], []]}`, postgres)),
    'ERR_INVALID_ARGUMENT: an empty row in a sql`` query has no SQL form (IN () is an error): test for it before the query, or leave the condition out',
  );
  t.equal(
    refusal(() => compileSql(sql`values ${[[1, [2]]]}`, postgres)),
    'ERR_INVALID_ARGUMENT: a row in a sql`` query holds values, not an array',
  );
});

t.test('sql: fragments, identifiers and lists compose in order', async (t) => {
  const where = sql`a = ${1} and b in (${[2, 3]})`;
  t.same(compileSql(sql`select ${sql.id('t')}.x from t where ${where} and c = ${4}`, postgres), {
    text: 'select "t".x from t where a = $1 and b in ($2, $3) and c = $4',
    params: [1, 2, 3, 4],
  });
  t.same(compileSql(sql`${1}`, mysql), { text: '?', params: [1] }, 'a query that is one value');
  t.same(compileSql(sql``, mysql), { text: '', params: [] });
});

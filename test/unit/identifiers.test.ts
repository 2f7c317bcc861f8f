import t from 'tap';
import { mysqlDialect as mysql } from '../../dialects/mysql/dialect.js';
import { postgresDialect as postgres } from '../../dialects/postgres/dialect.js';
import { parseTableRef, parseTableRefs } from '../../lib/identifiers.js';
import { InvalidIdentifierError } from '../../lib/index.js';

t.test('names, schema.name and the object form', async (t) => {
  t.same(parseTableRef('parent', postgres.identifierRules), { name: 'parent' });
  t.same(parseTableRef('app.parent', postgres.identifierRules), { schema: 'app', name: 'parent' });
  t.same(parseTableRef({ schema: 'a.b', name: 'c.d' }, postgres.identifierRules), { schema: 'a.b', name: 'c.d' });
  t.same(parseTableRef({ name: 'x' }, mysql.identifierRules), { name: 'x' });
  t.same(parseTableRefs([], mysql.identifierRules), []);
  t.same(parseTableRefs('one', mysql.identifierRules), [{ name: 'one' }]);
});

t.test('invalid names are rejected before any SQL', async (t) => {
  const bad: unknown[] = [
    '',
    'a.b.c',
    '.x',
    'x.',
    'nul\0byte',
    null,
    42,
    ['x'],
    { name: '' },
    { schema: '', name: 'x' },
    { name: 7 },
    'lone\ud800surrogate',
  ];
  for (const ref of bad) {
    t.throws(() => parseTableRef(ref as never, postgres.identifierRules), InvalidIdentifierError, JSON.stringify(ref) ?? String(ref));
  }
});

t.test('limits: 64 characters on MySQL, 63 bytes on PostgreSQL', async (t) => {
  t.doesNotThrow(() => parseTableRef('é'.repeat(64), mysql.identifierRules), '64 two-byte characters fit MySQL');
  t.throws(() => parseTableRef('a'.repeat(65), mysql.identifierRules), { code: 'ERR_INVALID_IDENTIFIER' });
  t.doesNotThrow(() => parseTableRef('a'.repeat(63), postgres.identifierRules));
  t.throws(() => parseTableRef('a'.repeat(64), postgres.identifierRules), { code: 'ERR_INVALID_IDENTIFIER' });
  t.throws(() => parseTableRef('é'.repeat(32), postgres.identifierRules), { code: 'ERR_INVALID_IDENTIFIER' }, '64 bytes');
  t.doesNotThrow(() => parseTableRef(`${'é'.repeat(31)}a`, postgres.identifierRules), '63 bytes');
});

t.test('MySQL refuses names its server cannot hold exactly', async (t) => {
  t.throws(() => parseTableRef('trailing ', mysql.identifierRules), { code: 'ERR_INVALID_IDENTIFIER' });
  t.throws(() => parseTableRef('emoji😀', mysql.identifierRules), { code: 'ERR_INVALID_IDENTIFIER' });
  t.doesNotThrow(() => parseTableRef('trailing ', postgres.identifierRules), 'PostgreSQL keeps trailing spaces');
  t.doesNotThrow(() => parseTableRef('emoji😀', postgres.identifierRules));
});

t.test('quoting doubles the quote character and nothing else', async (t) => {
  t.equal(mysql.quote('plain'), '`plain`');
  t.equal(mysql.quote('a`b'), '`a``b`');
  t.equal(mysql.quote('it\'s "x"'), '`it\'s "x"`');
  t.equal(postgres.quote('a"b'), '"a""b"');
  t.equal(postgres.quote('Mixed Case'), '"Mixed Case"');
  t.equal(postgres.quote("a`b'c"), '"a`b\'c"');
});

import t from 'tap';
import { mysqlDialect as mysql } from '../../dialects/mysql/dialect.js';
import { postgresDialect as postgres } from '../../dialects/postgres/dialect.js';
import { sql } from '../../lib/index.js';
import { compileSql } from '../../lib/sql.js';

t.test('values become placeholders of the dialect, in order', async (t) => {
  const query = sql`select * from t where a = ${1} and b = ${'x'}`;
  t.same(compileSql(query, mysql), { text: 'select * from t where a = ? and b = ?', params: [1, 'x'] });
  t.same(compileSql(query, postgres), { text: 'select * from t where a = $1 and b = $2', params: [1, 'x'] });
});

t.test('fragments splice in with their own values and keep numbering', async (t) => {
  const filter = sql`b = ${'x'} and c = ${null}`;
  const query = sql`select * from t where a = ${1} and ${filter} limit ${5}`;
  t.same(compileSql(query, postgres), { text: 'select * from t where a = $1 and b = $2 and c = $3 limit $4', params: [1, 'x', null, 5] });
});

t.test('text without values and hostile strings', async (t) => {
  t.same(compileSql(sql`select 1`, postgres), { text: 'select 1', params: [] });
  const hostile = "'; drop table t; --";
  t.same(compileSql(sql`select ${hostile}`, mysql), { text: 'select ?', params: [hostile] }, 'values never enter the text');
});

t.test('an array is a list, an array of arrays a list of rows, on both dialects', async (t) => {
  const ids = sql`select * from t where id in (${[1, 2, 3]}) and k = ${'k'}`;
  t.same(compileSql(ids, postgres), { text: 'select * from t where id in ($1, $2, $3) and k = $4', params: [1, 2, 3, 'k'] });
  t.same(compileSql(ids, mysql), { text: 'select * from t where id in (?, ?, ?) and k = ?', params: [1, 2, 3, 'k'] });
  const rows = sql`insert into t (a, b) values ${[[1, 'x'], [2, 'y']]}`;
  t.same(compileSql(rows, postgres), { text: 'insert into t (a, b) values ($1, $2), ($3, $4)', params: [1, 'x', 2, 'y'] });
  const buffer = Buffer.from('bytes');
  t.same(compileSql(sql`select ${buffer}`, mysql).params, [buffer], 'a Buffer is one value, not a list');
});

t.test('an empty list, and lists nested deeper than rows, are refused', async (t) => {
  t.throws(() => compileSql(sql`select * from t where id in (${[]})`, postgres), { code: 'ERR_INVALID_ARGUMENT', message: /empty list/ });
  t.throws(() => compileSql(sql`values ${[[]]}`, postgres), { code: 'ERR_INVALID_ARGUMENT', message: /empty row/ });
  t.throws(() => compileSql(sql`values ${[[[1]]]}`, mysql), { code: 'ERR_INVALID_ARGUMENT', message: /holds values/ });
});

t.test('sql.id quotes a validated identifier for the dialect', async (t) => {
  const query = sql`select * from ${sql.id('app.users')} where ${sql.id('na"me`')} = ${1}`;
  t.same(compileSql(query, postgres), { text: 'select * from "app"."users" where "na""me`" = $1', params: [1] });
  t.same(compileSql(query, mysql), { text: 'select * from `app`.`users` where `na"me``` = ?', params: [1] });
  t.same(compileSql(sql`select * from ${sql.id({ schema: 'a.b', name: 'c' })}`, postgres).text, 'select * from "a.b"."c"');
  for (const bad of ['', 'a.b.c', 'nul\0', 'x'.repeat(64)]) {
    t.throws(
      () => compileSql(sql`select * from ${sql.id(bad)}`, postgres),
      { code: 'ERR_INVALID_IDENTIFIER' },
      JSON.stringify(bad.slice(0, 8)),
    );
  }
});

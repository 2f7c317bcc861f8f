import t from 'tap';
import { compileSql } from '../../lib/sql.js';
import { sql } from '../../lib/index.js';

const question = () => '?';
const dollar = (n: number) => `$${n}`;

t.test('values become placeholders of the dialect, in order', async (t) => {
  const query = sql`select * from t where a = ${1} and b = ${'x'}`;
  t.same(compileSql(query, question), { text: 'select * from t where a = ? and b = ?', params: [1, 'x'] });
  t.same(compileSql(query, dollar), { text: 'select * from t where a = $1 and b = $2', params: [1, 'x'] });
});

t.test('fragments splice in with their own values and keep numbering', async (t) => {
  const filter = sql`b = ${'x'} and c = ${null}`;
  const query = sql`select * from t where a = ${1} and ${filter} limit ${5}`;
  t.same(compileSql(query, dollar), { text: 'select * from t where a = $1 and b = $2 and c = $3 limit $4', params: [1, 'x', null, 5] });
});

t.test('text without values and hostile strings', async (t) => {
  t.same(compileSql(sql`select 1`, dollar), { text: 'select 1', params: [] });
  const hostile = "'; drop table t; --";
  t.same(compileSql(sql`select ${hostile}`, question), { text: 'select ?', params: [hostile] }, 'values never enter the text');
});

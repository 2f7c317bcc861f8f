import t from 'tap';
import { TruncateRefusedError } from '../../lib/index.js';
import { scratchPool } from '../helpers/pools.js';
import { createScratch } from '../helpers/servers.js';

const STRATEGIES = ['truncate', 'delete', 'auto'] as const;

/**
 * MariaDB refuses TRUNCATE on system-versioned tables (4137), so sqlpin
 * refuses a call that would reach one, before emptying anything; and a
 * temporary table that shadows a target on the session is never emptied in
 * the base table's place.
 */
t.test('mysql: system-versioned and temporary tables', async (t) => {
  const scratch = await createScratch('mysql', 'versioned_temporary');
  t.teardown(() => scratch.drop());
  await scratch.admin('CREATE TABLE plain (id INT AUTO_INCREMENT PRIMARY KEY)');
  await scratch.admin('CREATE TABLE other (id INT AUTO_INCREMENT PRIMARY KEY)');
  await scratch.admin('CREATE TABLE versioned (id INT AUTO_INCREMENT PRIMARY KEY) WITH SYSTEM VERSIONING');
  await scratch.admin(
    'CREATE TABLE versioned_child (id INT AUTO_INCREMENT PRIMARY KEY, plain_id INT, FOREIGN KEY (plain_id) REFERENCES plain (id)) WITH SYSTEM VERSIONING',
  );
  const tables = ['plain', 'other', 'versioned', 'versioned_child'];
  const fill = async () => {
    await scratch.admin('SET FOREIGN_KEY_CHECKS = 0');
    for (const table of tables) await scratch.admin(`DELETE FROM ${table}`);
    await scratch.admin('SET FOREIGN_KEY_CHECKS = 1');
    for (const table of ['plain', 'other', 'versioned']) await scratch.admin(`INSERT INTO ${table} () VALUES (), ()`);
  };
  const counts = async () => {
    const result: Record<string, number> = {};
    for (const table of tables) result[table] = Number((await scratch.admin(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
    return result;
  };
  const full = { plain: 2, other: 2, versioned: 2, versioned_child: 0 };
  const db = scratchPool(t, scratch, { max: 1 });
  const qualified = (name: string) => `${scratch.name}.${name}`;

  t.test('a system-versioned table named, listed, or reached by truncateAll or cascade: refused, nothing emptied', async (t) => {
    const calls: [string, () => Promise<void>, string[]][] = [];
    for (const strategy of STRATEGIES) {
      calls.push(
        [`${strategy}: named`, () => db.truncate('versioned', { strategy }), ['versioned']],
        [`${strategy}: listed last`, () => db.truncate(['plain', 'versioned'], { strategy }), ['versioned']],
        [`${strategy}: truncateAll`, () => db.truncateAll({ strategy }), ['versioned', 'versioned_child']],
        [`${strategy}: cascade`, () => db.truncate('plain', { strategy, cascade: true }), ['versioned_child']],
      );
    }
    for (const [label, call, refused] of calls) {
      await fill();
      const error = await call().catch((e: unknown) => e);
      t.ok(error instanceof TruncateRefusedError, label);
      t.match(error, { code: 'ERR_TRUNCATE_REFUSED', reason: 'system versioning' }, label);
      t.same([...(error as TruncateRefusedError).tables].sort(), refused.map(qualified), label);
      t.same(await counts(), full, `${label}: nothing emptied`);
    }
  });

  t.test('excepted, the system-versioned tables stay and the rest is emptied', async (t) => {
    for (const strategy of STRATEGIES) {
      await fill();
      await db.truncateAll({ strategy, except: ['versioned', 'versioned_child'] });
      t.same(await counts(), { plain: 0, other: 0, versioned: 2, versioned_child: 0 }, strategy);
    }
  });

  t.test('a temporary table shadowing a target on the session: refused, neither table emptied', async (t) => {
    for (const strategy of STRATEGIES) {
      await fill();
      await db.withConnection(async (conn) => {
        await conn.query('CREATE TEMPORARY TABLE plain (id INT)');
        await conn.query('INSERT INTO plain VALUES (7), (8), (9)');
        for (const call of [() => conn.truncate('plain', { strategy }), () => conn.truncate(['other', 'plain'], { strategy })]) {
          const error = await call().catch((e: unknown) => e);
          t.match(error, { code: 'ERR_TRUNCATE_REFUSED', reason: 'temporary table', tables: [qualified('plain')] }, strategy);
        }
        const all = await conn.truncateAll({ strategy, except: ['versioned', 'versioned_child'] }).catch((e: unknown) => e);
        t.match(all, { reason: 'temporary table', tables: [qualified('plain')] }, `${strategy}: truncateAll`);
        const temporary = await conn.query<{ n: number }>('SELECT COUNT(*) AS n FROM plain');
        t.equal(Number(temporary.rows[0]!.n), 3, `${strategy}: the temporary table keeps its rows`);
        t.same(await counts(), full, `${strategy}: the base tables keep theirs`);
        await conn.query('DROP TEMPORARY TABLE plain');
        await conn.truncate(['plain', 'other'], { strategy });
        t.same(await counts(), { ...full, plain: 0, other: 0 }, `${strategy}: once it is dropped, the base tables are emptied`);
      });
    }
  });

  t.test('a name that is only a temporary table of the session: NotATableError, kind temporary table', async (t) => {
    await db.withConnection(async (conn) => {
      await conn.query('CREATE TEMPORARY TABLE scratchpad (id INT)');
      await conn.query('INSERT INTO scratchpad VALUES (1)');
      for (const strategy of STRATEGIES) {
        const error = await conn.truncate(['other', 'scratchpad'], { strategy }).catch((e: unknown) => e);
        t.match(error, { code: 'ERR_NOT_A_TABLE', kind: 'temporary table', table: qualified('scratchpad') }, strategy);
      }
      t.same((await conn.query('SELECT COUNT(*) AS n FROM scratchpad')).rows, [{ n: 1 }], 'its rows stay');
      await conn.query('DROP TEMPORARY TABLE scratchpad');
      await t.rejects(conn.truncate('scratchpad'), { code: 'ERR_TABLE_NOT_FOUND' }, 'dropped, the name is missing again');
    });
  });

  t.test('a temporary table left on a pooled session by an earlier borrower is seen too', async (t) => {
    await fill();
    await db.withConnection((conn) => conn.query('CREATE TEMPORARY TABLE other (id INT)'));
    t.match(await db.truncate('other').catch((e: unknown) => e), { reason: 'temporary table', tables: [qualified('other')] });
    t.same(await counts(), full);
    await db.query('DROP TEMPORARY TABLE other');
  });
});

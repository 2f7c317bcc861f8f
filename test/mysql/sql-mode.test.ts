import t from 'tap';
import { type Connection, sql } from '../../lib/index.js';
import { scratchPool } from '../helpers/pools.js';
import { createScratch } from '../helpers/servers.js';

/**
 * Values in `sql` queries and sqlpin's own catalog look-ups mean the same
 * whatever sql_mode the session has: NO_BACKSLASH_ESCAPES reads `\'` as a
 * backslash that ends the string.
 */
const NBE = "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')";
const VALUES = [
  "' OR 1=1 -- ",
  "it's",
  "''",
  '\\',
  "\\'",
  "'\\",
  "a\\' OR 1=1 -- ",
  'back\\slash\\',
  'nul\0byte',
  'tab\tline\nfeed\rctrl\x1aquote"',
  'ünïcødé ✓ 日本',
  '😀 astral',
];

t.test('mysql: sql_mode NO_BACKSLASH_ESCAPES', async (t) => {
  const scratch = await createScratch('mysql', 'sql_mode');
  t.teardown(() => scratch.drop());
  await scratch.admin('CREATE TABLE docs (id INT AUTO_INCREMENT PRIMARY KEY, owner VARCHAR(40), body TEXT) DEFAULT CHARSET utf8mb4');
  await scratch.admin("INSERT INTO docs (owner, body) VALUES ('alice', 'a'), ('bob', 'b')");
  const db = scratchPool(t, scratch, { max: 1 });

  const noBackslashEscapes = async (conn: Connection) => {
    const { rows } = await conn.query<{ mode: string }>('SELECT @@sql_mode AS mode');
    return rows[0]!.mode.split(',').includes('NO_BACKSLASH_ESCAPES');
  };
  /** Sets the mode asked for, whatever the session had: the pool reuses its one session. */
  const setMode = async (conn: Connection, mode: string) => {
    const { rows } = await conn.query<{ mode: string }>('SELECT @@sql_mode AS mode');
    const others = rows[0]!.mode.split(',').filter((part) => part !== '' && part !== 'NO_BACKSLASH_ESCAPES');
    await conn.query(`SET SESSION sql_mode = '${[...others, ...(mode === 'default' ? [] : [mode])].join(',')}'`);
  };

  t.test('a value cannot leave its literal: the injection the issue reproduced returns no row', async (t) => {
    await db.withConnection(async (conn) => {
      await conn.query(NBE);
      t.ok(await noBackslashEscapes(conn));
      const { rows } = await conn.query(sql`SELECT id FROM docs WHERE owner = ${"' OR 1=1 -- "}`);
      t.same(rows, []);
    });
  });

  t.test('every value comes back as it was sent, in both modes, selected and stored', async (t) => {
    for (const mode of ['default', 'NO_BACKSLASH_ESCAPES']) {
      await db.withConnection(async (conn) => {
        await setMode(conn, mode);
        t.equal(await noBackslashEscapes(conn), mode !== 'default', mode);
        for (const value of VALUES) {
          const { rows } = await conn.query<{ v: string; n: number }>(sql`SELECT ${value} AS v, ${[value, 'x']} IS NOT NULL AS n`);
          t.equal(rows[0]!.v, value, `${mode}: ${JSON.stringify(value)} selected`);
          const { insertId } = await conn.query(sql`INSERT INTO docs (owner, body) VALUES (${'stored'}, ${value})`);
          const stored = await conn.query<{ h: string }>(sql`SELECT HEX(body) AS h FROM docs WHERE id = ${insertId}`);
          t.equal(stored.rows[0]!.h, Buffer.from(value, 'utf8').toString('hex').toUpperCase(), `${mode}: ${JSON.stringify(value)} stored`);
        }
        await conn.query(sql`DELETE FROM docs WHERE owner = ${'stored'}`);
      });
    }
  });

  t.test('after resetOnRelease the mode is the server default again, and values still mean the same', async (t) => {
    const resetting = scratchPool(t, scratch, { max: 1, resetOnRelease: true });
    await resetting.withConnection((conn) => conn.query(NBE));
    await resetting.withConnection(async (conn) => {
      t.notOk(await noBackslashEscapes(conn), 'the reset gave the session the default mode');
      for (const value of VALUES) {
        const { rows } = await conn.query<{ v: string }>(sql`SELECT ${value} AS v`);
        t.equal(rows[0]!.v, value, JSON.stringify(value));
      }
      const { rows } = await conn.query(sql`SELECT id FROM docs WHERE owner = ${"a\\' OR 1=1 -- "}`);
      t.same(rows, []);
    });
  });

  t.test('sql_mode ORACLE, ANSI and others: truncate and truncateAll work under each, every strategy', async (t) => {
    await scratch.admin('CREATE TABLE modes_parent (id INT AUTO_INCREMENT PRIMARY KEY)');
    await scratch.admin(
      'CREATE TABLE modes_child (id INT AUTO_INCREMENT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES modes_parent (id))',
    );
    for (const mode of ['ORACLE', 'ORACLE,NO_BACKSLASH_ESCAPES', 'ANSI', 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES', 'PIPES_AS_CONCAT', 'MSSQL']) {
      for (const strategy of ['truncate', 'delete', 'auto'] as const) {
        await scratch.admin('INSERT INTO modes_parent () VALUES (), ()');
        await scratch.admin('INSERT INTO modes_child (p) SELECT MIN(id) FROM modes_parent');
        await db.withConnection(async (conn) => {
          await conn.query(`SET SESSION sql_mode = '${mode}'`);
          await conn.truncate('modes_parent', { cascade: true, strategy });
          const counts = await scratch.admin('SELECT (SELECT COUNT(*) FROM modes_parent) AS p, (SELECT COUNT(*) FROM modes_child) AS c');
          t.same(counts, [{ p: 0, c: 0 }], `${mode}, ${strategy}: truncate`);
          await scratch.admin('INSERT INTO modes_parent () VALUES ()');
          await conn.truncateAll({ strategy, except: ['docs'] });
          t.same(await scratch.admin('SELECT COUNT(*) AS n FROM modes_parent'), [{ n: 0 }], `${mode}, ${strategy}: truncateAll`);
          await conn.query('SET SESSION sql_mode = DEFAULT');
        });
      }
    }
    await scratch.admin('DROP TABLE modes_child, modes_parent');
  });

  t.test('a result column named serverStatus is a row, not the server status (found reading the driver)', async (t) => {
    // 512 is the NO_BACKSLASH_ESCAPES bit: read as status flags, it made the next value go out formatted for
    // that mode while the server still read backslashes, and "a\\' OR 1=1 -- " left its literal.
    await db.withConnection(async (conn) => {
      await setMode(conn, 'default');
      await conn.query('SELECT 512 AS serverStatus');
      for (const value of VALUES) t.same((await conn.query('SELECT ? AS v', [value])).rows, [{ v: value }], JSON.stringify(value));
      await setMode(conn, 'NO_BACKSLASH_ESCAPES');
      await conn.query('SELECT 0 AS serverStatus');
      for (const value of VALUES)
        t.same((await conn.query('SELECT ? AS v', [value])).rows, [{ v: value }], `NBE: ${JSON.stringify(value)}`);
      await conn.query('SET SESSION sql_mode = DEFAULT');
    });
  });

  t.test("sqlpin's own look-ups: truncate of names with quotes and backslashes, in both modes", async (t) => {
    const names = ["it's", 'back\\slash', "both\\'"];
    for (const name of names) await scratch.admin(`CREATE TABLE \`${name}\` (id INT AUTO_INCREMENT PRIMARY KEY)`);
    for (const mode of ['default', 'NO_BACKSLASH_ESCAPES']) {
      for (const strategy of ['truncate', 'delete'] as const) {
        for (const name of names) await scratch.admin(`INSERT INTO \`${name}\` () VALUES (), ()`);
        await db.withConnection(async (conn) => {
          await setMode(conn, mode);
          await conn.truncate(names, { strategy });
          await conn.truncateAll({ except: ['docs'], strategy });
        });
        for (const name of names) {
          const rows = await scratch.admin(`SELECT COUNT(*) AS n FROM \`${name}\``);
          t.equal(Number(rows[0]!.n), 0, `${mode}, ${strategy}: ${name} emptied`);
        }
      }
    }
  });
});

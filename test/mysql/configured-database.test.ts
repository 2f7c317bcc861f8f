import t from 'tap';
import { scratchPool, testPool } from '../helpers/pools.js';
import { createScratch } from '../helpers/servers.js';

/**
 * `truncateAll()` without a schema empties the database the pool was
 * configured for, whatever `USE` the session ran; `resetOnRelease` brings the
 * configured database back. An unqualified `truncate('t')` names what a raw
 * `TRUNCATE t` on that session would: the session's current database.
 */
t.test('mysql: the configured database, not the current one', async (t) => {
  const home = await createScratch('mysql', 'home_db');
  t.teardown(() => home.drop());
  const other = await createScratch('mysql', 'other_db');
  t.teardown(() => other.drop());
  for (const scratch of [home, other]) await scratch.admin('CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY)');
  const fill = async () => {
    for (const scratch of [home, other]) {
      await scratch.admin('DELETE FROM t');
      await scratch.admin('INSERT INTO t () VALUES (), (), ()');
    }
  };
  const counts = async () => ({
    home: Number((await home.admin('SELECT COUNT(*) AS n FROM t'))[0]!.n),
    other: Number((await other.admin('SELECT COUNT(*) AS n FROM t'))[0]!.n),
  });

  t.test('resetOnRelease: the next borrower is back in the configured database, and truncateAll empties it', async (t) => {
    await fill();
    const db = scratchPool(t, home, { max: 1, resetOnRelease: true });
    await db.withConnection((conn) => conn.query(`USE \`${other.name}\``));
    const { rows } = await db.query<{ db: string }>('SELECT DATABASE() AS db');
    t.equal(rows[0]!.db, home.name, 'the reset restored the database');
    await db.truncateAll();
    t.same(await counts(), { home: 0, other: 3 });
  });

  t.test('inside a pin after USE: truncateAll empties the configured database; truncate(name) follows the session', async (t) => {
    await fill();
    const db = scratchPool(t, home, { max: 1 });
    await db.withConnection(async (conn) => {
      await conn.query(`USE \`${other.name}\``);
      await other.admin('CREATE TABLE kept (id INT)');
      await home.admin('CREATE TABLE kept (id INT)');
      for (const scratch of [home, other]) await scratch.admin('INSERT INTO kept VALUES (1)');
      await conn.truncateAll({ except: ['kept'] });
      t.same(await counts(), { home: 0, other: 3 }, 'truncateAll: the configured database');
      t.same((await home.admin('SELECT COUNT(*) AS n FROM kept'))[0]!.n, 1, 'an unqualified except names a table of the database emptied');
      for (const scratch of [home, other]) await scratch.admin('DROP TABLE kept');
      await conn.truncate('t');
      t.same(await counts(), { home: 0, other: 0 }, "truncate('t'): the table a raw TRUNCATE t would empty");
    });
  });

  t.test('without resetOnRelease the USE stays with the session, and truncateAll still empties the configured database', async (t) => {
    await fill();
    const db = scratchPool(t, home, { max: 1 });
    await db.withConnection((conn) => conn.query(`USE \`${other.name}\``));
    await db.truncateAll();
    t.same(await counts(), { home: 0, other: 3 });
    await db.query(`USE \`${home.name}\``);
  });

  t.test('a pool configured without a database: truncateAll needs { schema }, even after a USE', async (t) => {
    await fill();
    const url = new URL(home.url);
    url.pathname = '/';
    const db = testPool(t, url.toString(), { max: 1 });
    await db.withConnection(async (conn) => {
      await conn.query(`USE \`${other.name}\``);
      await t.rejects(conn.truncateAll(), { code: 'ERR_INVALID_ARGUMENT', message: /schema/ });
    });
    t.same(await counts(), { home: 3, other: 3 }, 'nothing emptied');
    await db.truncateAll({ schema: other.name });
    t.same(await counts(), { home: 3, other: 0 });
  });
});

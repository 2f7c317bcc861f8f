import { randomBytes } from 'node:crypto';
import t from 'tap';
import mysql from 'mysql2/promise';
import { TruncateRefusedError } from '../../lib/index.js';
import { testPool } from '../helpers/pools.js';
import { createScratch } from '../helpers/servers.js';

const STRATEGIES = ['truncate', 'delete', 'auto'] as const;

/**
 * TRUNCATE needs DROP: a call the server would refuse part-way is refused
 * before anything is emptied, whatever the strategy; lockTimeoutMillis needs
 * LOCK TABLES, which a raw TRUNCATE does not, and says so.
 */
t.test('mysql: privileges', async (t) => {
  const scratch = await createScratch('mysql', 'privileges');
  t.teardown(() => scratch.drop());
  const user = `sqlpin_priv_${randomBytes(4).toString('hex')}`;
  const role = `${user}_role`;
  await scratch.admin(`CREATE USER '${user}'@'%'`);
  await scratch.admin(`CREATE ROLE ${role}`);
  t.teardown(async () => {
    await scratch.admin(`DROP USER IF EXISTS '${user}'@'%'`);
    await scratch.admin(`DROP ROLE IF EXISTS ${role}`);
  });
  for (const table of ['a', 'b', 'c']) await scratch.admin(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY)`);
  await scratch.admin(`GRANT SELECT, INSERT, DELETE, ALTER ON \`${scratch.name}\`.* TO '${user}'@'%'`);
  await scratch.admin(`GRANT DROP ON \`${scratch.name}\`.a TO '${user}'@'%'`);
  await scratch.admin(`GRANT DROP ON \`${scratch.name}\`.c TO ${role}`);
  await scratch.admin(`GRANT ${role} TO '${user}'@'%'`);
  const url = new URL(scratch.url);
  url.username = user;
  const db = testPool(t, url.toString(), { max: 1 });
  const fill = async () => {
    for (const table of ['a', 'b', 'c']) {
      await scratch.admin(`DELETE FROM ${table}`);
      await scratch.admin(`INSERT INTO ${table} () VALUES (), ()`);
    }
  };
  const counts = async () => {
    const result: Record<string, number> = {};
    for (const table of ['a', 'b', 'c']) result[table] = Number((await scratch.admin(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
    return result;
  };

  t.test('the raw statements: TRUNCATE a works, TRUNCATE b fails with 1142', async (t) => {
    await fill();
    const raw = await mysql.createConnection({ uri: url.toString() });
    t.teardown(() => raw.end());
    await raw.query('TRUNCATE a');
    t.match(await raw.query('TRUNCATE b').catch((e: unknown) => e), { errno: 1142 });
  });

  t.test('without DROP on the last table: refused before anything is emptied, every strategy', async (t) => {
    for (const strategy of STRATEGIES) {
      for (const cleanB of [false, true]) {
        await fill();
        if (cleanB) await scratch.admin('DELETE FROM b');
        const error = await db.truncate(['a', 'b'], { strategy }).catch((e: unknown) => e);
        t.ok(error instanceof TruncateRefusedError, strategy);
        t.match(error, { code: 'ERR_TRUNCATE_REFUSED', reason: 'privilege', tables: [`${scratch.name}.b`], message: /DROP/ }, strategy);
        t.same(await counts(), { a: 2, b: cleanB ? 0 : 2, c: 2 }, `${strategy}${cleanB ? ', b clean' : ''}: nothing emptied`);
      }
      const all = await db.truncateAll({ strategy }).catch((e: unknown) => e);
      t.match(
        all,
        { reason: 'privilege', tables: [`${scratch.name}.b`, `${scratch.name}.c`] },
        `${strategy}: truncateAll, no role in force`,
      );
    }
  });

  t.test('with DROP on every table (directly, or through the role in force) it empties them', async (t) => {
    for (const strategy of STRATEGIES) {
      await fill();
      await db.truncate('a', { strategy });
      await db.withConnection(async (conn) => {
        await conn.query(`SET ROLE ${role}`);
        await conn.truncate(['a', 'c'], { strategy });
        await conn.query('SET ROLE NONE');
      });
      t.same(await counts(), { a: 0, b: 2, c: 0 }, strategy);
    }
  });

  t.test('DROP alone is what TRUNCATE needs: no SELECT, DELETE or ALTER, and every strategy still empties as TRUNCATE does', async (t) => {
    const elsewhere = await createScratch('mysql', 'privileges_elsewhere');
    t.teardown(() => elsewhere.drop());
    const grants: Record<string, string> = { d: 'DROP', e: 'DROP, SELECT', f: 'DROP, SELECT, DELETE' };
    for (const [table, privileges] of Object.entries(grants)) {
      await elsewhere.admin(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY)`);
      await elsewhere.admin(`GRANT ${privileges} ON \`${elsewhere.name}\`.${table} TO '${user}'@'%'`);
    }
    const raw = await mysql.createConnection({ uri: url.toString() });
    t.teardown(() => raw.end());
    for (const strategy of STRATEGIES) {
      for (const restartIdentity of [true, false]) {
        for (const table of Object.keys(grants)) {
          await elsewhere.admin(`TRUNCATE ${table}`);
          await elsewhere.admin(`INSERT INTO ${table} () VALUES (), (), ()`);
          if (table === 'f') await elsewhere.admin('DELETE FROM f WHERE id > 1');
          const label = `${table} (${grants[table]}), ${strategy}, restartIdentity ${restartIdentity}`;
          const before = Number((await elsewhere.admin(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
          if (restartIdentity) {
            await db.truncate(`${elsewhere.name}.${table}`, { strategy, restartIdentity });
          } else {
            // Keeping the counter is sqlpin's own (ALTER TABLE): without ALTER it is refused up front.
            const error = await db.truncate(`${elsewhere.name}.${table}`, { strategy, restartIdentity }).catch((e: unknown) => e);
            t.match(error, { code: 'ERR_TRUNCATE_REFUSED', reason: 'privilege', message: /ALTER/ }, label);
          }
          const rows = Number((await elsewhere.admin(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
          t.equal(rows, restartIdentity ? 0 : before, label);
        }
      }
    }
    await raw.query(`TRUNCATE \`${elsewhere.name}\`.d`);
  });

  t.test('lockTimeoutMillis without the LOCK TABLES privilege: refused, saying so', async (t) => {
    await fill();
    const error = await db.truncate('a', { lockTimeoutMillis: 2000 }).catch((e: unknown) => e);
    t.match(error, { code: 'ERR_TRUNCATE_REFUSED', reason: 'privilege', message: /LOCK TABLES/ });
    t.same(await counts(), { a: 2, b: 2, c: 2 }, 'nothing emptied');
    await scratch.admin(`GRANT LOCK TABLES ON \`${scratch.name}\`.* TO '${user}'@'%'`);
    // A database grant reaches a session at its next USE: a new pool's sessions have it.
    await testPool(t, url.toString()).truncate('a', { lockTimeoutMillis: 2000 });
    t.same(await counts(), { a: 0, b: 2, c: 2 }, 'with the privilege, it works');
  });
});

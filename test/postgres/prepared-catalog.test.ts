import t from 'tap';
import { scratchPool } from '../helpers/pools.js';
import { createScratch } from '../helpers/servers.js';
import { recordStatements } from '../helpers/statements.js';

/**
 * The catalog query is prepared once per server session and run with EXECUTE
 * (issue 20: its planning was most of a reset). Each case checks the rows a
 * truncate leaves and the statements it sent: a prepared statement the
 * caller's own SQL dropped is prepared again, never met twice, and the catalog
 * is read as it is now, not as it was when the statement was prepared.
 */
t.test('postgres: the prepared catalog query', async (t) => {
  const scratch = await createScratch('postgres', 'prepared_catalog');
  t.teardown(() => scratch.drop());
  await scratch.admin(
    'CREATE TABLE parent (id serial PRIMARY KEY); CREATE TABLE child (id serial PRIMARY KEY, parent_id int REFERENCES parent)',
  );
  const seed = () =>
    scratch.admin(
      'TRUNCATE parent, child RESTART IDENTITY CASCADE; INSERT INTO parent DEFAULT VALUES; INSERT INTO child (parent_id) VALUES (1)',
    );
  const rows = async (table: string) => Number((await scratch.admin(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

  t.test('prepared on the first call of a session, then EXECUTE alone', async (t) => {
    const db = scratchPool(t, scratch, { max: 1 });
    const sent = recordStatements(t);
    for (let call = 0; call < 3; call++) {
      await seed();
      await db.truncate(['parent', 'child']);
      t.same([await rows('parent'), await rows('child')], [0, 0], `call ${call + 1} empties both tables`);
    }
    t.equal(sent.filter(isPrepare).length, 1, 'one PREPARE');
    t.equal(sent.filter(isExecute).length, 3, 'one EXECUTE per call');
    const asked = sent.findIndex((text) => text.endsWith('SELECT pg_catalog.pg_backend_pid() AS pid'));
    t.ok(asked >= 0 && asked < sent.findIndex(isPrepare), "the pool's first call asks which backend answers, before it prepares");
  });

  t.test('a DEALLOCATE ALL or DISCARD ALL of the caller is followed by a new PREPARE', async (t) => {
    const db = scratchPool(t, scratch, { max: 1 });
    const sent = recordStatements(t);
    for (const drop of ['DEALLOCATE ALL', 'DISCARD ALL', "DO $$ BEGIN EXECUTE 'DEALLOCATE ALL'; END $$"]) {
      await seed();
      await db.withConnection(async (conn) => {
        await conn.truncate('child');
        await conn.query(drop);
        await conn.truncate('child', { cascade: true });
        await seed();
        await conn.truncate('parent', { cascade: true });
      });
      t.same([await rows('parent'), await rows('child')], [0, 0], `${drop}: the truncates after it work`);
    }
    t.notOk(
      sent.some((text) => /prepared statement .* does not exist|already exists/.test(text)),
      'no statement failed over a prepared statement',
    );
    t.ok(sent.filter(isPrepare).length >= 4, 'prepared again after each drop');
  });

  t.test('inside a transaction of the caller, after a DEALLOCATE ALL there', async (t) => {
    const db = scratchPool(t, scratch, { max: 1 });
    await seed();
    await db.truncate('child');
    await db.transaction(async (tx) => {
      await tx.query('DEALLOCATE ALL');
      await tx.truncate('parent', { cascade: true });
      await tx.query('INSERT INTO parent DEFAULT VALUES');
    });
    t.same([await rows('parent'), await rows('child')], [1, 0], 'the truncate and the insert after it both committed');
  });

  t.test('a DEALLOCATE sqlpin cannot see fails one call with the server error, and changes nothing', async (t) => {
    const db = scratchPool(t, scratch, { max: 1 });
    await scratch.admin("CREATE FUNCTION hidden_drop() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DEALLOCATE ALL'; END $$");
    t.teardown(() => scratch.admin('DROP FUNCTION hidden_drop()'));
    await seed();
    await db.withConnection(async (conn) => {
      await conn.truncate('child');
      await seed();
      await conn.query('SELECT hidden_drop()');
      const error = await conn.truncate('child').catch((e: unknown) => e);
      t.match(error, { code: '26000' }, "the server's own error");
      t.same(await rows('child'), 1, 'nothing emptied');
      await conn.truncate('child');
      t.same(await rows('child'), 0, 'the next call prepares it again');
    });
  });

  t.test('a schema change after the PREPARE is seen by the next call', async (t) => {
    const db = scratchPool(t, scratch, { max: 1 });
    await seed();
    await db.truncate(['parent', 'child']);
    await scratch.admin('CREATE TABLE grandchild (id serial PRIMARY KEY, child_id int REFERENCES child)');
    t.teardown(() => scratch.admin('DROP TABLE IF EXISTS grandchild'));
    await seed();
    await scratch.admin('INSERT INTO grandchild (child_id) VALUES (1)');
    const error = await db.truncate(['parent', 'child']).catch((e: unknown) => e);
    t.match(error, { code: 'ERR_FOREIGN_KEY_TRUNCATE' }, 'the new foreign key refuses the same call');
    t.same([await rows('parent'), await rows('child'), await rows('grandchild')], [1, 1, 1], 'nothing emptied');
    await db.truncate('parent', { cascade: true });
    t.same([await rows('parent'), await rows('child'), await rows('grandchild')], [0, 0, 0], 'cascade empties the new table too');
  });

  t.test('in a transaction of its own the generic plan is used from the first call, and the setting ends with it', async (t) => {
    const db = scratchPool(t, scratch, { max: 1 });
    const sent = recordStatements(t);
    await db.withConnection(async (conn) => {
      const before = await conn.query<{ mode: string }>("SELECT pg_catalog.current_setting('plan_cache_mode') AS mode");
      for (let call = 0; call < 7; call++) {
        await seed();
        await conn.truncate(['parent', 'child']);
      }
      const [{ version }] = (
        await conn.query<{ version: number }>("SELECT pg_catalog.current_setting('server_version_num')::int AS version")
      ).rows as [{ version: number }];
      // pg_prepared_statements counts plans from PostgreSQL 14 on.
      const skip = version < 140000 && 'PostgreSQL 13 does not count plans';
      const plans = skip
        ? []
        : (
            await conn.query(
              "SELECT generic_plans AS generic, custom_plans AS custom FROM pg_catalog.pg_prepared_statements WHERE name LIKE 'sqlpin\\_%'",
            )
          ).rows;
      t.same(plans, [{ generic: '7', custom: '0' }], 'never planned for the call at hand: PostgreSQL would for the first five', { skip });
      const after = await conn.query<{ mode: string }>("SELECT pg_catalog.current_setting('plan_cache_mode') AS mode");
      t.same(after.rows, before.rows, "the session's plan_cache_mode is as it was");
    });
    t.equal(sent.filter((text) => text.includes('plan_cache_mode = force_generic_plan')).length, 7, 'SET LOCAL on every call');
  });

  t.test("in the caller's transaction plan_cache_mode is left to the caller", async (t) => {
    const db = scratchPool(t, scratch, { max: 1 });
    const sent = recordStatements(t);
    await seed();
    const mode = await db.transaction(async (tx) => {
      await tx.query("SET LOCAL plan_cache_mode = 'force_custom_plan'");
      await tx.truncate('parent', { cascade: true });
      return (await tx.query<{ mode: string }>("SELECT pg_catalog.current_setting('plan_cache_mode') AS mode")).rows[0]!.mode;
    });
    t.equal(mode, 'force_custom_plan', "the caller's own setting holds after the truncate");
    t.notOk(
      sent.some((text) => text.includes('force_generic_plan')),
      'no SET LOCAL sent',
    );
    t.same([await rows('parent'), await rows('child')], [0, 0]);
  });

  t.test('a foreign key of several columns is found from the table it references', async (t) => {
    await scratch.admin(`
      CREATE TABLE pair (a int, b int, PRIMARY KEY (a, b));
      CREATE TABLE pair_ref (a int, b int, FOREIGN KEY (b, a) REFERENCES pair (b, a));
      CREATE TABLE pair_self (id int PRIMARY KEY, up int REFERENCES pair_self);
      INSERT INTO pair VALUES (1, 2); INSERT INTO pair_ref VALUES (1, 2); INSERT INTO pair_self VALUES (1, NULL), (2, 1)`);
    t.teardown(() => scratch.admin('DROP TABLE pair_ref, pair, pair_self'));
    const db = scratchPool(t, scratch, { max: 1 });
    const error = await db.truncate('pair').catch((e: unknown) => e);
    t.match(error, { code: 'ERR_FOREIGN_KEY_TRUNCATE' }, 'refused without cascade');
    t.same([await rows('pair'), await rows('pair_ref')], [1, 1], 'nothing emptied');
    await db.truncate('pair', { cascade: true });
    t.same([await rows('pair'), await rows('pair_ref')], [0, 0], 'cascade empties the referencing table once');
    await db.truncate('pair_self');
    t.same(await rows('pair_self'), 0, 'a table that references itself is emptied alone');
  });

  t.test('a pool told of a pooler sends the plain query: a prepared statement would stay on another backend', async (t) => {
    const db = scratchPool(t, scratch, { max: 1, pooler: 'transaction' });
    const sent = recordStatements(t);
    await seed();
    await db.truncate(['parent', 'child']);
    await db.truncate(['parent', 'child']);
    t.same([await rows('parent'), await rows('child')], [0, 0]);
    t.equal(sent.filter((text) => isPrepare(text) || isExecute(text)).length, 0, 'no PREPARE, no EXECUTE');
  });
});

function isPrepare(text: string): boolean {
  return /(^|\n)PREPARE sqlpin_catalog_/.test(text);
}

function isExecute(text: string): boolean {
  return /(^|\n)EXECUTE sqlpin_catalog_/.test(text);
}

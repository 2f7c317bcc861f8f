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

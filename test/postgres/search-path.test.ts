import t from 'tap';
import { createScratch } from '../helpers/servers.js';
import { testPool } from '../helpers/pools.js';
import { counts } from '../helpers/postgres-exact.js';

/**
 * Functions sqlpin's SQL calls, each shadowed in a schema the session searches
 * before pg_catalog (or matched more exactly than pg_catalog's). Every shadow
 * but to_regclass raises: any unqualified call fails the truncate.
 */
const SHADOWS = [
  'pg_backend_pid() RETURNS int4',
  'current_setting(text) RETURNS text',
  'current_schema() RETURNS name',
  'pg_relation_size(oid) RETURNS int8',
  'set_config(text, text, boolean) RETURNS text',
  'has_table_privilege(oid, text) RETURNS boolean',
  'has_sequence_privilege(oid, text) RETURNS boolean',
  'row_security_active(oid) RETURNS boolean',
  'pg_has_role(oid, text) RETURNS boolean',
  'unnest(text[]) RETURNS SETOF text',
];

t.test('postgres: what sqlpin sends means the same under any search_path', async (t) => {
  const scratch = await createScratch('postgres', 'search_path');
  const shadow = `${scratch.name}_shadow`;
  t.teardown(async () => {
    await scratch.admin(`DROP SCHEMA IF EXISTS "${shadow}" CASCADE`);
    await scratch.drop();
  });
  await scratch.admin(`CREATE SCHEMA "${shadow}"`);
  await scratch.admin('CREATE TABLE target (id int PRIMARY KEY); CREATE TABLE other (id int PRIMARY KEY)');
  await scratch.admin(
    `CREATE FUNCTION "${shadow}".to_regclass(text) RETURNS pg_catalog.regclass LANGUAGE sql
       AS $$ SELECT '"${scratch.name}".other'::pg_catalog.regclass $$`,
  );
  for (const signature of SHADOWS) {
    const setOf = signature.includes('SETOF');
    await scratch.admin(
      `CREATE FUNCTION "${shadow}".${signature} LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'shadow called: %', '${signature}'; ${setOf ? '' : 'RETURN NULL;'} END $$`,
    );
  }
  const url = new URL(scratch.url);
  url.searchParams.set('options', `-c search_path=${shadow},pg_catalog,${scratch.name}`);
  const seed = () => scratch.admin('TRUNCATE target, other; INSERT INTO target VALUES (1), (2); INSERT INTO other VALUES (1)');

  for (const strategy of ['truncate', 'delete', 'auto'] as const) {
    t.test(`truncate('schema.target'), ${strategy}: the named table is emptied, no other`, async (t) => {
      const db = testPool(t, url.toString(), { max: 1 });
      await seed();
      await db.truncate(`${scratch.name}.target`, { strategy });
      t.same(await counts(scratch, ['target', 'other']), { target: 0, other: 1 });
    });
  }

  t.test('truncateAll({ schema, except }) under the same search_path', async (t) => {
    const db = testPool(t, url.toString(), { max: 1 });
    await seed();
    await db.truncateAll({ schema: scratch.name, except: [`${scratch.name}.other`] });
    t.same(await counts(scratch, ['target', 'other']), { target: 0, other: 1 });
  });

  t.test('truncateAll() empties the schema the pool was configured for', async (t) => {
    const db = testPool(t, scratch.url, { max: 1 });
    await seed();
    await db.truncateAll({ except: ['other'] });
    t.same(await counts(scratch, ['target', 'other']), { target: 0, other: 1 });
  });
});

t.test('postgres: truncateAll() without schema, after a callback changed search_path', async (t) => {
  const scratch = await createScratch('postgres', 'configured_schema');
  const other = `${scratch.name}_other`;
  t.teardown(async () => {
    await scratch.admin(`DROP SCHEMA IF EXISTS "${other}" CASCADE`);
    await scratch.drop();
  });
  await scratch.admin(`CREATE SCHEMA "${other}"; CREATE TABLE home (id int); CREATE TABLE "${other}".away (id int)`);
  const seed = () => scratch.admin(`TRUNCATE home, "${other}".away; INSERT INTO home VALUES (1); INSERT INTO "${other}".away VALUES (1)`);
  const left = async () => ({
    home: Number((await scratch.admin('SELECT count(*) AS n FROM home'))[0]!.n),
    away: Number((await scratch.admin(`SELECT count(*) AS n FROM "${other}".away`))[0]!.n),
  });

  t.test('the session left in another schema: refused, nothing emptied', async (t) => {
    await seed();
    const db = testPool(t, scratch.url, { max: 1 });
    await db.withConnection((conn) => conn.query(`SET search_path TO "${other}"`));
    await t.rejects(db.truncateAll(), { code: 'ERR_TRUNCATE_REFUSED', reason: 'session setting', tables: [other] });
    t.same(await left(), { home: 1, away: 1 }, 'nothing emptied, least of all the other schema');
    await db.truncateAll({ schema: scratch.name });
    t.same(await left(), { home: 0, away: 1 }, 'with schema given it works');
  });

  t.test('resetOnRelease puts the configured search_path back: the configured schema is emptied', async (t) => {
    await seed();
    const db = testPool(t, scratch.url, { max: 1, resetOnRelease: true });
    await db.withConnection((conn) => conn.query(`SET search_path TO "${other}"`));
    await db.truncateAll();
    t.same(await left(), { home: 0, away: 1 });
  });
});

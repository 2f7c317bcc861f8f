import t from 'tap';
import { NotATableError, TruncateRefusedError } from '../../lib/index.js';
import { createScratch } from '../helpers/servers.js';
import { scratchPool } from '../helpers/pools.js';
import { counts, createRole, rejection } from '../helpers/postgres-exact.js';

const STRATEGIES = ['truncate', 'delete', 'auto'] as const;

/** sqlpin needs no privilege the raw TRUNCATE does not, and succeeds nowhere it fails. */
t.test('postgres: privileges', async (t) => {
  const scratch = await createScratch('postgres', 'privileges');
  t.teardown(() => scratch.drop());
  const role = await createRole(t, scratch, 'priv');
  await scratch.admin(`
    CREATE TABLE only_truncate (id int);
    CREATE TABLE no_delete (id int);
    CREATE TABLE no_truncate (id int);
    CREATE TABLE counted (id serial PRIMARY KEY);
    GRANT TRUNCATE ON only_truncate TO "${role.name}";
    GRANT TRUNCATE, SELECT ON no_delete TO "${role.name}";
    GRANT TRUNCATE ON counted TO "${role.name}";
    GRANT SELECT, DELETE ON no_truncate TO "${role.name}"`);
  const seed = () =>
    scratch.admin(`TRUNCATE only_truncate, no_delete, no_truncate, counted;
      INSERT INTO only_truncate VALUES (1); INSERT INTO no_delete VALUES (1), (2); INSERT INTO counted DEFAULT VALUES`);

  for (const strategy of STRATEGIES) {
    t.test(`${strategy}: a role granted only TRUNCATE empties the table, as its raw TRUNCATE does`, async (t) => {
      await seed();
      await role.pool(t).truncate('only_truncate', { strategy });
      t.same(await counts(scratch, ['only_truncate']), { only_truncate: 0 });
    });

    t.test(`${strategy}: TRUNCATE and SELECT but no DELETE: never a DELETE`, async (t) => {
      await seed();
      await role.pool(t).truncate('no_delete', { strategy });
      t.same(await counts(scratch, ['no_delete']), { no_delete: 0 });
    });

    t.test(`${strategy}: a table the raw TRUNCATE may not empty is refused, even clean, and nothing is emptied`, async (t) => {
      await seed();
      const db = role.pool(t);
      const raw = await rejection(t, db.query('TRUNCATE only_truncate, no_truncate'), 'raw TRUNCATE');
      t.equal(raw.code, '42501', 'the raw statement fails');
      const error = await rejection(t, db.truncate(['only_truncate', 'no_truncate'], { strategy }), 'truncate');
      t.ok(error instanceof TruncateRefusedError, `refused, got ${String(error.code)}`);
      t.equal(error.reason, 'privilege');
      t.same(error.tables, [`${scratch.name}.no_truncate`]);
      t.same(await counts(scratch, ['only_truncate']), { only_truncate: 1 }, 'nothing emptied');
    });
  }

  t.test('RESTART IDENTITY needs the sequence owned: refused as the raw statement fails', async (t) => {
    await seed();
    const db = role.pool(t);
    const raw = await rejection(t, db.query('TRUNCATE counted RESTART IDENTITY'), 'raw TRUNCATE');
    t.equal(raw.code, '42501');
    const error = await rejection(t, db.truncate('counted'), 'truncate');
    t.ok(error instanceof TruncateRefusedError, `refused, got ${String(error.code)}`);
    t.equal(error.reason, 'privilege');
    await db.truncate('counted', { restartIdentity: false });
    t.same(await counts(scratch, ['counted']), { counted: 0 }, 'without the restart it works, as raw CONTINUE IDENTITY');
  });

  t.test('privileges on a parent cover its partitions and INHERITS children, as for the raw TRUNCATE', async (t) => {
    await scratch.admin(`
      CREATE TABLE IF NOT EXISTS part (id int) PARTITION BY LIST (id);
      CREATE TABLE IF NOT EXISTS part_1 PARTITION OF part FOR VALUES IN (1);
      CREATE TABLE IF NOT EXISTS heir_parent (id int);
      CREATE TABLE IF NOT EXISTS heir_child () INHERITS (heir_parent);
      GRANT TRUNCATE ON part, heir_parent TO "${role.name}";
      INSERT INTO part VALUES (1); INSERT INTO heir_child VALUES (1)`);
    const db = role.pool(t);
    for (const strategy of STRATEGIES) {
      await db.truncate(['part', 'heir_parent'], { strategy });
      t.same(await counts(scratch, ['part_1', 'heir_child']), { part_1: 0, heir_child: 0 }, strategy);
      await scratch.admin('INSERT INTO part VALUES (1); INSERT INTO heir_child VALUES (1)');
    }
  });

  t.test('truncateAll as a role granted only TRUNCATE', async (t) => {
    await seed();
    await role.pool(t).truncateAll({ schema: scratch.name, except: ['no_truncate', 'counted', 'part', 'heir_parent', 'heir_child'] });
    t.same(await counts(scratch, ['only_truncate', 'no_delete']), { only_truncate: 0, no_delete: 0 });
  });
});

t.test('postgres: what is not a table is named by its kind', async (t) => {
  const scratch = await createScratch('postgres', 'not_a_table');
  const wrapper = `${scratch.name}_fdw`;
  t.teardown(async () => {
    await scratch.admin(`DROP FOREIGN DATA WRAPPER IF EXISTS "${wrapper}" CASCADE`);
    await scratch.drop();
  });
  await scratch.admin(`
    CREATE TABLE base (id serial PRIMARY KEY);
    CREATE VIEW a_view AS SELECT * FROM base;
    CREATE MATERIALIZED VIEW a_matview AS SELECT * FROM base;
    CREATE SEQUENCE a_sequence;
    CREATE FOREIGN DATA WRAPPER "${wrapper}";
    CREATE SERVER "${wrapper}_server" FOREIGN DATA WRAPPER "${wrapper}";
    CREATE FOREIGN TABLE a_foreign (id int) SERVER "${wrapper}_server"`);
  const db = scratchPool(t, scratch, { max: 1 });
  const kinds = { a_view: 'view', a_matview: 'materialized view', a_sequence: 'sequence', a_foreign: 'foreign table' };
  for (const [name, kind] of Object.entries(kinds)) {
    t.test(`${kind}`, async (t) => {
      await scratch.admin('INSERT INTO base DEFAULT VALUES');
      const error = await rejection(t, db.truncate(['base', name]), `truncate(${name})`);
      t.ok(error instanceof NotATableError, `NotATableError, got ${String(error.code)}`);
      t.equal(error.code, 'ERR_NOT_A_TABLE');
      t.equal(error.kind, kind);
      t.equal(error.table, `${scratch.name}.${name}`);
      t.same(await counts(scratch, ['base']), { base: 1 }, 'nothing changed');
      await scratch.admin('DELETE FROM base');
    });
  }
});

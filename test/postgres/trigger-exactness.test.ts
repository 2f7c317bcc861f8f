import t from 'tap';
import { createScratch } from '../helpers/servers.js';
import { scratchPool } from '../helpers/pools.js';
import { counts } from '../helpers/postgres-exact.js';

/**
 * DELETE fires what TRUNCATE does not: triggers of the emptied tables, and of
 * the tables an FK action reaches (ON DELETE CASCADE deletes, SET NULL / SET
 * DEFAULT update), and DELETE / UPDATE rules. 'delete' and 'auto' must leave
 * the trigger log as TRUNCATE would: empty. A TRUNCATE trigger fires even on
 * an empty table, so such a table is never skipped.
 */
t.test('postgres: triggers fired, as the raw TRUNCATE fires them', async (t) => {
  const scratch = await createScratch('postgres', 'trigger_exactness');
  t.teardown(() => scratch.drop());
  await scratch.admin(`
    CREATE TABLE log (what text);
    CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO log VALUES (TG_TABLE_NAME || ' ' || TG_OP); RETURN NULL; END $$;
    CREATE TABLE p (id int PRIMARY KEY);
    CREATE TABLE cascaded (id int PRIMARY KEY, p_id int REFERENCES p ON DELETE CASCADE);
    CREATE TRIGGER noted AFTER DELETE ON cascaded FOR EACH STATEMENT EXECUTE FUNCTION note();
    CREATE TABLE nulled (id int, p_id int REFERENCES p ON DELETE SET NULL);
    CREATE TRIGGER noted AFTER UPDATE ON nulled FOR EACH STATEMENT EXECUTE FUNCTION note();
    CREATE TABLE q (id int PRIMARY KEY);
    CREATE TABLE middle (id int PRIMARY KEY, q_id int REFERENCES q ON DELETE CASCADE);
    CREATE TABLE deep (id int, middle_id int REFERENCES middle ON DELETE CASCADE);
    CREATE TRIGGER noted AFTER DELETE ON deep FOR EACH STATEMENT EXECUTE FUNCTION note();
    CREATE TABLE r (id int PRIMARY KEY);
    CREATE TABLE ruled (id int, r_id int REFERENCES r ON DELETE CASCADE);
    CREATE RULE noted AS ON DELETE TO ruled DO ALSO INSERT INTO log VALUES ('ruled rule');
    CREATE TABLE s (id int PRIMARY KEY);
    CREATE TABLE defaulted (id int, s_id int DEFAULT NULL REFERENCES s ON DELETE SET DEFAULT);
    CREATE RULE noted AS ON UPDATE TO defaulted DO ALSO INSERT INTO log VALUES ('defaulted rule');
    CREATE TABLE watched (id int);
    CREATE TRIGGER noted AFTER TRUNCATE ON watched FOR EACH STATEMENT EXECUTE FUNCTION note()`);
  const db = scratchPool(t, scratch, { max: 2 });
  const log = async () => (await scratch.admin('SELECT what FROM log ORDER BY what')).map((row) => row.what);
  const seed = async (sql: string) =>
    scratch.admin(`TRUNCATE p, cascaded, nulled, q, middle, deep, r, ruled, s, defaulted, watched; TRUNCATE log; ${sql}`);

  for (const strategy of ['delete', 'auto'] as const) {
    for (const cascade of [false, true]) {
      const how = `${strategy}${cascade ? ', cascade' : ''}`;
      t.test(`${how}: ON DELETE CASCADE into a table with a DELETE trigger`, async (t) => {
        await seed('INSERT INTO p VALUES (1), (2)');
        await db.truncate('p', { strategy, cascade });
        t.same(await log(), [], 'no trigger fired');
        t.same(await counts(scratch, ['p']), { p: 0 });
      });
      t.test(`${how}: ON DELETE SET NULL into a table with an UPDATE trigger`, async (t) => {
        await seed('INSERT INTO p VALUES (1)');
        await db.truncate('p', { strategy, cascade });
        t.same(await log(), [], 'no trigger fired');
      });
      t.test(`${how}: transitively, two cascades away`, async (t) => {
        await seed('INSERT INTO q VALUES (1); INSERT INTO middle VALUES (1, 1)');
        await db.truncate(['q', 'middle'], { strategy, cascade });
        t.same(await log(), [], 'no trigger fired');
        t.same(await counts(scratch, ['q', 'middle']), { q: 0, middle: 0 });
      });
      t.test(`${how}: a DELETE rule reached by ON DELETE CASCADE`, async (t) => {
        await seed('INSERT INTO r VALUES (1)');
        await db.truncate('r', { strategy, cascade });
        t.same(await log(), [], 'no rule ran');
      });
      t.test(`${how}: an UPDATE rule reached by ON DELETE SET DEFAULT`, async (t) => {
        await seed('INSERT INTO s VALUES (1)');
        await db.truncate('s', { strategy, cascade });
        t.same(await log(), [], 'no rule ran');
      });
    }
  }

  for (const strategy of ['truncate', 'delete', 'auto'] as const) {
    t.test(`${strategy}: an empty table with a TRUNCATE trigger is not skipped`, async (t) => {
      await seed('');
      await db.truncate('watched', { strategy });
      t.same(await log(), ['watched TRUNCATE'], 'fired once, as a raw TRUNCATE fires it');
    });
  }

  // Found by the differential fuzzer (seed 1008903580, truncate-triggers): 'auto' and 'delete' deleted from the
  // named table and left out the empty referencing table whose trigger the raw TRUNCATE fires.
  t.test('an empty referencing table with a TRUNCATE trigger, which the raw statement needs, fires it', async (t) => {
    await scratch.admin(`
      CREATE TABLE target (id int PRIMARY KEY);
      CREATE TABLE referrer (id int, target_id int REFERENCES target);
      CREATE TRIGGER noted BEFORE TRUNCATE ON referrer FOR EACH STATEMENT EXECUTE FUNCTION note()`);
    t.teardown(() => scratch.admin('DROP TABLE referrer, target'));
    for (const strategy of ['truncate', 'delete', 'auto'] as const) {
      for (const rows of ['INSERT INTO target VALUES (1)', '']) {
        await scratch.admin('TRUNCATE target, referrer');
        await seed(rows);
        await db.truncate('target', { strategy });
        const which = `${strategy}, target ${rows === '' ? 'empty' : 'with a row'}`;
        t.same(await log(), ['referrer TRUNCATE'], `${which}: fired once`);
        t.same(await counts(scratch, ['target', 'referrer']), { target: 0, referrer: 0 }, `${which}: both empty`);
      }
      await scratch.admin('TRUNCATE target, referrer');
      await seed('INSERT INTO target VALUES (1)');
      await db.truncateAll({ schema: scratch.name, except: ['log', 'referrer'], strategy });
      t.same(
        await log(),
        ['referrer TRUNCATE', 'watched TRUNCATE'],
        `${strategy}, truncateAll excepting it: fired as the raw statement fires it`,
      );
    }
  });

  t.test('truncateAll: an empty table with a TRUNCATE trigger is not skipped', async (t) => {
    await seed('');
    await db.truncateAll({ schema: scratch.name, except: ['log'] });
    t.same(await log(), ['watched TRUNCATE']);
  });
});

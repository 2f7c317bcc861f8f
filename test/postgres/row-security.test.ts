import t from 'tap';
import { TruncateRefusedError } from '../../lib/index.js';
import { createScratch } from '../helpers/servers.js';
import { counts, createRole, rejection } from '../helpers/postgres-exact.js';

const STRATEGIES = ['truncate', 'delete', 'auto'] as const;

/**
 * Row-level security in force for the role: sqlpin sees only the rows a
 * policy shows, so it may decide nothing on them (skip, DELETE, add an "empty"
 * referencing table). The raw TRUNCATE, as the same role, is the reference.
 */
t.test('postgres: row-level security, a non-owner role', async (t) => {
  const scratch = await createScratch('postgres', 'row_security');
  t.teardown(() => scratch.drop());
  const role = await createRole(t, scratch, 'rls');
  await scratch.admin(`
    CREATE TABLE parent (id int PRIMARY KEY, owner text);
    CREATE TABLE child (id int, parent_id int REFERENCES parent, owner text);
    CREATE TABLE hidden (id int, owner text);
    ALTER TABLE child ENABLE ROW LEVEL SECURITY;
    ALTER TABLE hidden ENABLE ROW LEVEL SECURITY;
    CREATE POLICY mine ON child USING (owner = current_user);
    CREATE POLICY mine ON hidden USING (owner = current_user);
    GRANT SELECT, DELETE, TRUNCATE ON parent, child, hidden TO "${role.name}"`);
  const seed = () =>
    scratch.admin(`TRUNCATE parent, child, hidden;
      INSERT INTO parent VALUES (1, 'other'); INSERT INTO child VALUES (1, 1, 'other'); INSERT INTO hidden VALUES (1, 'other'), (2, 'other')`);

  t.test('the raw TRUNCATE parent, as the role, fails while child has hidden rows', async (t) => {
    await seed();
    const db = role.pool(t);
    const error = await rejection(t, db.query('TRUNCATE parent'), 'raw TRUNCATE');
    t.equal(error.code, '0A000');
  });

  for (const strategy of STRATEGIES) {
    t.test(`${strategy}: a referencing table whose rows are all hidden is not taken for empty`, async (t) => {
      await seed();
      const db = role.pool(t);
      const error = await rejection(t, db.truncate('parent', { strategy }), 'truncate(parent)');
      t.ok(error instanceof TruncateRefusedError, `refused, got ${String(error.code)}`);
      t.equal(error.reason, 'row security');
      t.same(error.tables, [`${scratch.name}.child`]);
      t.same(await counts(scratch, ['parent', 'child']), { parent: 1, child: 1 }, 'nothing changed');
    });

    t.test(`${strategy}: a table whose rows are all hidden is emptied, as a raw TRUNCATE does`, async (t) => {
      await seed();
      const db = role.pool(t);
      await db.truncate('hidden', { strategy, restartIdentity: false });
      t.same(await counts(scratch, ['hidden']), { hidden: 0 });
    });
  }

  t.test('cascade: the hidden rows of the referencing table go, as with raw TRUNCATE parent CASCADE', async (t) => {
    await seed();
    const db = role.pool(t);
    await db.truncate('parent', { cascade: true, strategy: 'auto' });
    t.same(await counts(scratch, ['parent', 'child']), { parent: 0, child: 0 });
  });

  t.test('FORCE ROW LEVEL SECURITY binds the owner too', async (t) => {
    await scratch.admin(`
      CREATE TABLE forced (id int, owner text);
      ALTER TABLE forced ENABLE ROW LEVEL SECURITY; ALTER TABLE forced FORCE ROW LEVEL SECURITY;
      CREATE POLICY mine ON forced USING (owner = current_user);
      INSERT INTO forced VALUES (1, 'other');
      ALTER TABLE forced OWNER TO "${role.name}"`);
    const db = role.pool(t);
    for (const strategy of STRATEGIES) {
      await scratch.admin("INSERT INTO forced VALUES (2, 'other')");
      await db.truncate('forced', { strategy });
      t.same(await counts(scratch, ['forced']), { forced: 0 }, strategy);
    }
  });

  t.test('truncateAll skips no table whose rows are hidden', async (t) => {
    await seed();
    const db = role.pool(t);
    await scratch.admin('DELETE FROM child');
    await db.truncateAll({ schema: scratch.name, except: ['forced'] });
    t.same(await counts(scratch, ['parent', 'child', 'hidden']), { parent: 0, child: 0, hidden: 0 });
  });
});

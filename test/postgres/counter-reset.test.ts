import t from 'tap';
import { createScratch } from '../helpers/servers.js';
import { scratchPool } from '../helpers/pools.js';
import { recordStatements } from '../helpers/statements.js';

/**
 * After a DELETE, the counter is set back without DDL (setval) where nothing
 * can roll the truncate back afterwards; inside a caller's transaction it
 * stays transactional (ALTER SEQUENCE ... RESTART), as TRUNCATE ... RESTART IDENTITY is.
 */
t.test('postgres: counter resets', async (t) => {
  const scratch = await createScratch('postgres', 'counter_reset');
  t.teardown(() => scratch.drop());
  await scratch.admin('CREATE TABLE counted (id serial PRIMARY KEY, name text)');
  const db = scratchPool(t, scratch, { max: 1 });
  const fileOf = async () =>
    (await scratch.admin("SELECT relfilenode::text AS file FROM pg_class WHERE oid = 'counted_id_seq'::regclass"))[0]!.file;
  const next = async () => Number((await scratch.admin("SELECT nextval('counted_id_seq') AS n"))[0]!.n);

  for (const strategy of ['delete', 'auto'] as const) {
    t.test(`${strategy}: the counter restarts, and the sequence keeps its file (no DDL)`, async (t) => {
      await scratch.admin("INSERT INTO counted (name) VALUES ('a'), ('b')");
      const before = await fileOf();
      await db.truncate('counted', { strategy });
      t.equal(await fileOf(), before, 'no ALTER SEQUENCE');
      t.equal(await next(), 1, 'the next id is the first');
      await scratch.admin('TRUNCATE counted RESTART IDENTITY');
    });
  }

  t.test('inside a caller transaction rolled back, the counter goes back with the rows', async (t) => {
    await scratch.admin("INSERT INTO counted (name) VALUES ('a'), ('b')");
    await db
      .transaction(async (tx) => {
        await tx.truncate('counted', { strategy: 'delete' });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const [row] = await scratch.admin('SELECT count(*)::int AS n FROM counted');
    t.equal(row!.n, 2, 'rows back');
    t.equal(await next(), 3, 'counter back');
    await scratch.admin('TRUNCATE counted RESTART IDENTITY');
  });

  t.test('restartIdentity: false reads no counter, and leaves it where it was', async (t) => {
    const sent = recordStatements(t);
    await scratch.admin("INSERT INTO counted (name) VALUES ('a'), ('b')");
    await db.truncate('counted', { strategy: 'auto', restartIdentity: false });
    t.notOk(
      sent.some((text) => text.includes('counted_id_seq')),
      'no statement names the sequence',
    );
    t.equal(await next(), 3, 'the next id follows the deleted rows');
    await db.truncate('counted', { strategy: 'auto', restartIdentity: false });
    t.equal(await next(), 4, 'a table with no rows and a moved counter is left alone');
  });
});

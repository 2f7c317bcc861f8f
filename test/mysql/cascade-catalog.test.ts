import t from 'tap';
import { scratchPool } from '../helpers/pools.js';
import { createScratch } from '../helpers/servers.js';

/**
 * cascade finds referencing tables from InnoDB's dictionary where it can, and
 * from information_schema where the dictionary spells a name differently
 * (characters outside [0-9A-Za-z_] are encoded there): both find the same
 * tables, in this database and in others.
 */
t.test('mysql: cascade over names the dictionary encodes, and across databases', async (t) => {
  const scratch = await createScratch('mysql', 'cascade_catalog');
  t.teardown(() => scratch.drop());
  const elsewhere = await createScratch('mysql', 'cascade_elsewhere');
  t.teardown(() => elsewhere.drop());
  await scratch.admin('CREATE TABLE parent (id INT AUTO_INCREMENT PRIMARY KEY)');
  await elsewhere.admin(
    `CREATE TABLE child (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT, FOREIGN KEY (parent_id) REFERENCES \`${scratch.name}\`.parent (id))`,
  );
  const db = scratchPool(t, scratch);
  const fill = async () => {
    await scratch.admin('INSERT INTO parent () VALUES (), ()');
    await elsewhere.admin(`INSERT INTO child (parent_id) SELECT MIN(id) FROM \`${scratch.name}\`.parent`);
  };
  const count = async (scratchOf: typeof scratch, table: string) =>
    Number((await scratchOf.admin(`SELECT COUNT(*) AS n FROM \`${table}\``))[0]!.n);

  t.test('plain names: a referencing table in another database is emptied', async (t) => {
    await fill();
    await db.truncate('parent', { cascade: true });
    t.same([await count(scratch, 'parent'), await count(elsewhere, 'child')], [0, 0]);
  });

  t.test('an encoded name in the graph: the same tables are found', async (t) => {
    await scratch.admin(
      'CREATE TABLE `dépôt` (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT, FOREIGN KEY (parent_id) REFERENCES parent (id))',
    );
    await scratch.admin('CREATE TABLE `dépôt child` (id INT, depot_id INT, FOREIGN KEY (depot_id) REFERENCES `dépôt` (id))');
    await fill();
    await scratch.admin('INSERT INTO `dépôt` (parent_id) SELECT MIN(id) FROM parent');
    await scratch.admin('INSERT INTO `dépôt child` (depot_id) SELECT MIN(id) FROM `dépôt`');
    await db.truncate('parent', { cascade: true });
    t.same(
      [await count(scratch, 'parent'), await count(elsewhere, 'child'), await count(scratch, 'dépôt'), await count(scratch, 'dépôt child')],
      [0, 0, 0, 0],
    );
  });
});

import t from 'tap';
import { scratchPool } from '../helpers/pools.js';
import { createScratch } from '../helpers/servers.js';
import { recordStatements } from '../helpers/statements.js';

/**
 * Found by the differential fuzzer (family partitions, seed 20261204): b
 * references itself and a, and a references b ON DELETE SET NULL while b
 * references a ON DELETE CASCADE. Under LOCK TABLES MariaDB refuses
 * `DELETE FROM b` (1100, "b was not locked"), though both tables are locked
 * WRITE; sqlpin had emptied a already, and the call failed half-way. The raw
 * statements (checks off, no table locks) empty both. A DELETE of no row now
 * finds that out first, and the call goes on without the table locks.
 */
t.test('mysql: a DELETE the server refuses under LOCK TABLES', async (t) => {
  const scratch = await createScratch('mysql', 'delete_under_locks');
  t.teardown(() => scratch.drop());
  await scratch.admin('SET FOREIGN_KEY_CHECKS = 0');
  await scratch.admin(
    'CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY, f INT NULL, FOREIGN KEY (f) REFERENCES b (id) ON DELETE SET NULL) ENGINE=InnoDB',
  );
  await scratch.admin(
    'CREATE TABLE b (id INT AUTO_INCREMENT PRIMARY KEY, f0 INT NULL, f2 INT NULL, FOREIGN KEY (f0) REFERENCES b (id), FOREIGN KEY (f2) REFERENCES a (id) ON DELETE CASCADE) ENGINE=InnoDB',
  );
  await scratch.admin('CREATE TABLE keep (id INT PRIMARY KEY) ENGINE=InnoDB');
  await scratch.admin('SET FOREIGN_KEY_CHECKS = 1');
  const seed = async () => {
    await scratch.admin('SET FOREIGN_KEY_CHECKS = 0');
    await scratch.admin('DELETE FROM a');
    await scratch.admin('DELETE FROM b');
    await scratch.admin('INSERT INTO a (id, f) VALUES (5, 5)');
    await scratch.admin('INSERT INTO b (id, f0, f2) VALUES (5, 5, 5)');
    await scratch.admin('INSERT IGNORE INTO keep VALUES (1)');
    await scratch.admin('SET FOREIGN_KEY_CHECKS = 1');
  };
  const counts = async () =>
    (await scratch.admin('SELECT (SELECT COUNT(*) FROM a) AS a, (SELECT COUNT(*) FROM b) AS b, (SELECT COUNT(*) FROM keep) AS keep'))[0];
  const db = scratchPool(t, scratch, { max: 1 });
  const sent = recordStatements(t);
  for (const strategy of ['delete', 'auto'] as const) {
    await seed();
    sent.length = 0;
    await db.truncate(['a', 'b'], { strategy, restartIdentity: false });
    t.same(await counts(), { a: 0, b: 0, keep: 1 }, `${strategy}: truncate empties both`);
    t.equal(sent.filter((text) => text === 'UNLOCK TABLES').length, 1, `${strategy}: the locks are let go once, when the probe is refused`);
    await seed();
    await db.truncateAll({ strategy, restartIdentity: false, except: ['keep'] });
    t.same(await counts(), { a: 0, b: 0, keep: 1 }, `${strategy}: truncateAll empties both`);
    const next = await scratch.admin(
      "SELECT AUTO_INCREMENT AS next FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('a', 'b') ORDER BY TABLE_NAME",
    );
    t.same(next, [{ next: 6 }, { next: 6 }], `${strategy}: the counters stay where they were, as DELETE leaves them`);
    const session = await db.withConnection(async (conn) => (await conn.query('SELECT @@foreign_key_checks AS fkc')).rows[0]);
    t.match(session, { fkc: 1 }, `${strategy}: FK checks back on`);
  }
});

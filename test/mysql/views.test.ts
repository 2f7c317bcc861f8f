import t from 'tap';
import { NotATableError } from '../../lib/index.js';
import { scratchPool } from '../helpers/pools.js';
import { createScratch } from '../helpers/servers.js';

/** A view named as a target is not "a table that does not exist": it is a view, and nothing is emptied. */
t.test('mysql: views named as targets', async (t) => {
  const scratch = await createScratch('mysql', 'views');
  t.teardown(() => scratch.drop());
  await scratch.admin('CREATE TABLE plain (id INT AUTO_INCREMENT PRIMARY KEY)');
  await scratch.admin('CREATE VIEW plain_view AS SELECT * FROM plain');
  await scratch.admin('INSERT INTO plain () VALUES (), ()');
  const db = scratchPool(t, scratch);
  for (const strategy of ['truncate', 'delete', 'auto'] as const) {
    for (const call of [
      () => db.truncate('plain_view', { strategy }),
      () => db.truncate(['plain', 'plain_view'], { strategy, cascade: true }),
      () => db.truncate(`${scratch.name}.plain_view`, { strategy }),
      () => db.truncateAll({ strategy, except: ['plain_view'] }),
    ]) {
      const error = await call().catch((e: unknown) => e);
      t.ok(error instanceof NotATableError, strategy);
      t.match(error, { code: 'ERR_NOT_A_TABLE', kind: 'view', table: /plain_view$/ }, strategy);
    }
  }
  t.same(await scratch.admin('SELECT COUNT(*) AS n FROM plain'), [{ n: 2 }], 'nothing emptied');
});

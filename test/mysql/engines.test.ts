import t from 'tap';
import { scratchPool } from '../helpers/pools.js';
import { createScratch, type Scratch } from '../helpers/servers.js';

const ENGINES = ['InnoDB', 'MyISAM', 'Aria', 'MEMORY'];
const STRATEGIES = ['truncate', 'delete', 'auto'] as const;
/** Rows left in the table and whether the counter moved past them, before the call. */
const STATES = [
  { label: 'rows', insert: 3, remove: false },
  { label: 'no rows, counter moved', insert: 3, remove: true },
  { label: 'fresh', insert: 0, remove: false },
];

/** Rows, and the id the next insert actually gets (inserted, then removed again with the counter kept). */
async function after(scratch: Scratch, table: string): Promise<{ rows: number; next: number }> {
  const rows = Number((await scratch.admin(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
  await scratch.admin(`INSERT INTO ${table} () VALUES ()`);
  const next = Number((await scratch.admin('SELECT LAST_INSERT_ID() AS id'))[0]!.id);
  return { rows, next };
}

/**
 * MyISAM, Aria and MEMORY tables: every strategy leaves the rows and the next
 * AUTO_INCREMENT value a raw TRUNCATE leaves (restartIdentity: false, the
 * counter where it was), as on InnoDB.
 */
t.test('mysql: storage engines', async (t) => {
  const scratch = await createScratch('mysql', 'engines');
  t.teardown(() => scratch.drop());
  const db = scratchPool(t, scratch);
  for (const engine of ENGINES) {
    for (const name of ['target', 'twin']) {
      await scratch.admin(`CREATE TABLE ${engine}_${name} (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=${engine}`);
    }
  }
  const prepare = async (table: string, state: (typeof STATES)[number]) => {
    await scratch.admin(`TRUNCATE ${table}`);
    for (let i = 0; i < state.insert; i++) await scratch.admin(`INSERT INTO ${table} (v) VALUES (${i})`);
    if (state.remove) await scratch.admin(`DELETE FROM ${table}`);
  };
  for (const engine of ENGINES) {
    for (const state of STATES) {
      for (const restartIdentity of [true, false]) {
        for (const strategy of STRATEGIES) {
          const [target, twin] = [`${engine}_target`, `${engine}_twin`];
          await prepare(target, state);
          await prepare(twin, state);
          await db.truncate(target, { strategy, restartIdentity });
          if (restartIdentity) await scratch.admin(`TRUNCATE ${twin}`);
          else await scratch.admin(`DELETE FROM ${twin}`);
          const expected = await after(scratch, twin);
          const label = `${engine}, ${state.label}, ${strategy}, restartIdentity ${restartIdentity}`;
          t.same(await after(scratch, target), expected, label);
          if (!restartIdentity && state.insert > 0) t.equal(expected.next, state.insert + 1, `${label}: the counter kept`);
        }
      }
    }
  }
});

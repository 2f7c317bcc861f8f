/**
 * The reset between tests of examples/test-reset.ts, with tap: one shared
 * pool, `truncateAll` in `beforeEach` keeping the migrations table, and what
 * the reset costs per test. Runs on MySQL, then PostgreSQL.
 *
 *   npx tap examples/test-reset.tap.ts
 */
import t from 'tap';
import { createPool, type Dialect } from '../lib/index.js';
import { loadFixture } from '../fixtures/load.js';
import { openScratch } from './scratch.js';
import { SERVER_NAMES } from './servers.js';

for (const dialect of ['mysql', 'postgres'] satisfies Dialect[]) {
  t.test(`${SERVER_NAMES[dialect]}: every test starts from an empty database`, async (t) => {
    const scratch = await openScratch(dialect, 'test_reset_tap');
    const db = createPool({ url: scratch.url, max: 4 });
    const resetMillis: number[] = [];
    t.teardown(async () => {
      await db.close();
      await scratch.drop();
      const median = [...resetMillis].sort((a, b) => a - b)[resetMillis.length >> 1] ?? 0;
      t.comment(`${SERVER_NAMES[dialect]}: the reset cost ${median.toFixed(1)} ms per test (median of ${resetMillis.length})`);
    });
    await loadFixture(db, 'usage-events');
    await db.query('CREATE TABLE schema_migrations (version VARCHAR(20) PRIMARY KEY)');
    await db.query("INSERT INTO schema_migrations (version) VALUES ('20260101000000')");

    // tap runs a parent's beforeEach before each of its subtests.
    t.beforeEach(async () => {
      const start = performance.now();
      await db.truncateAll({ except: ['schema_migrations'] });
      resetMillis.push(performance.now() - start);
    });

    for (const name of ['web', 'worker']) {
      t.test(`app ${name} gets id 1, whatever the test before it inserted`, async (t) => {
        await db.query(`INSERT INTO apps (name, state, instances, memory_mb) VALUES ('${name}', 'STARTED', 1, 256)`);
        const { rows } = await db.query<{ id: number; name: string }>('SELECT id, name FROM apps');
        t.same(
          rows.map((row) => [Number(row.id), row.name]),
          [[1, name]],
        );
      });
    }

    t.test('the migrations table is kept', async (t) => {
      const { rows } = await db.query<{ version: string }>('SELECT version FROM schema_migrations');
      t.same(
        rows.map((row) => row.version),
        ['20260101000000'],
      );
    });
  });
}

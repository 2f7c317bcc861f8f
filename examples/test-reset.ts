/**
 * Resetting the database between tests, with node:test: one shared pool for
 * the whole file, `truncateAll` in `beforeEach` keeping the migrations table,
 * and what the reset costs per test, printed at the end. Runs on MySQL, then
 * PostgreSQL, each in a scratch namespace it drops afterwards.
 *
 *   npx tsx examples/test-reset.ts          (node:test runs the file's tests)
 *
 * With tap the shape is the same: `t.beforeEach(() => db.truncateAll(...))`
 * and `t.teardown(() => db.close())` — see examples/test-reset.tap.ts.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createPool, type Dialect, type Pool } from '../lib/index.js';
import { loadFixture } from '../fixtures/load.js';
import { openScratch, type Scratch } from './scratch.js';
import { SERVER_NAMES } from './servers.js';

for (const dialect of ['mysql', 'postgres'] satisfies Dialect[]) {
  describe(`${SERVER_NAMES[dialect]}: every test starts from an empty database`, () => {
    let scratch: Scratch;
    // One pool for the whole file: tests borrow sessions from it, and the reset uses one of them.
    let db: Pool;
    const resetMillis: number[] = [];

    before(async () => {
      scratch = await openScratch(dialect, 'test_reset');
      db = createPool({ url: scratch.url, max: 4 });
      // What a migration tool leaves behind: the schema, and its own bookkeeping table.
      await loadFixture(db, 'usage-events');
      await loadFixture(db, 'chain');
      await db.query('CREATE TABLE schema_migrations (version VARCHAR(20) PRIMARY KEY)');
      await db.query("INSERT INTO schema_migrations (version) VALUES ('20260101000000'), ('20260102000000')");
    });

    after(async () => {
      await db.close();
      await scratch.drop();
      const sorted = [...resetMillis].sort((a, b) => a - b);
      const median = sorted[sorted.length >> 1] ?? 0;
      console.log(`${SERVER_NAMES[dialect]}: the reset cost ${median.toFixed(1)} ms per test (median of ${sorted.length})`);
    });

    // Every table but the migrations table is emptied, and ids start at 1 again:
    // tests may rely on them. Clean tables are skipped, so a test that touched
    // two tables pays for two.
    beforeEach(async () => {
      const start = performance.now();
      await db.truncateAll({ except: ['schema_migrations'] });
      resetMillis.push(performance.now() - start);
    });

    test('a new app gets id 1', async () => {
      await db.query("INSERT INTO apps (name, state, instances, memory_mb) VALUES ('web', 'STARTED', 2, 512)");
      const { rows } = await db.query<{ id: number }>('SELECT id FROM apps');
      assert.deepEqual(
        rows.map((row) => Number(row.id)),
        [1],
      );
    });

    test('the previous test left nothing behind, and ids start at 1 again', async () => {
      const { rows } = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM apps');
      assert.equal(Number(rows[0]!.n), 0);
      await db.query("INSERT INTO apps (name, state, instances, memory_mb) VALUES ('worker', 'STOPPED', 1, 256)");
      const { rows: ids } = await db.query<{ id: number }>('SELECT id FROM apps');
      assert.deepEqual(
        ids.map((row) => Number(row.id)),
        [1],
      );
    });

    test('rows linked by foreign keys are emptied together', async () => {
      await db.query("INSERT INTO parent (name) VALUES ('p')");
      await db.query("INSERT INTO child (parent_id, name) SELECT id, 'c' FROM parent");
      await db.query("INSERT INTO grandchild (child_id, name) SELECT id, 'g' FROM child");
      const { rows } = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM grandchild');
      assert.equal(Number(rows[0]!.n), 1);
    });

    test('...and are gone in the next test', async () => {
      for (const table of ['parent', 'child', 'grandchild']) {
        const { rows } = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
        assert.equal(Number(rows[0]!.n), 0, table);
      }
    });

    test('the migrations table is kept as it was', async () => {
      const { rows } = await db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((row) => row.version),
        ['20260101000000', '20260102000000'],
      );
    });
  });
}

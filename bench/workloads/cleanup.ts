import { ARM, type BenchContext } from '../context.js';
import { truncateByHand } from '../floors.js';
import { meanMillis, type Arm } from '../measure.js';
import { Resources } from '../resources.js';
import { measureCase, type CaseResult } from '../results.js';
import { CLEANUP_SIZES, cleanupTables, reloadCleanupSql, type Fill } from '../tables.js';

const FILLS: readonly Fill[] = ['all rows', 'one in ten'];

/** Rounds per size at the default BENCH_REPS: large cleanups cost a second each on MySQL, so they get fewer. */
const BASE_REPS: Readonly<Record<number, number>> = { 10: 7, 50: 5, 200: 3 };
const DEFAULT_REPS = 7;

/** Above this size only the dist build runs: the server's work dominates and the time budget is kept. */
const SOURCE_BUILD_UP_TO = 50;

/**
 * W4: a test-suite cleanup of 10, 50 and 200 tables in parent/child pairs,
 * once with every table holding rows and once with one table in ten holding
 * rows. Floor: the hand-written cleanup on one connection; sqlpin `truncate(all)`.
 */
export async function measureCleanup(ctx: BenchContext): Promise<CaseResult[]> {
  const { dialect, driver, url, signal, loader } = ctx;
  const resources = new Resources();
  try {
    const raw = resources.add(ARM.byHand, await driver.connect(url), (session) => session.close());
    const pools = ctx.builds.map(({ label, sqlpin }) => ({
      label,
      db: resources.add(`sqlpin (${label})`, sqlpin.createPool({ url, max: 1 }), (pool) => pool.close()),
    }));

    const cases: CaseResult[] = [];
    for (const count of CLEANUP_SIZES) {
      const tables = cleanupTables(count);
      const reps = Math.max(3, Math.round((BASE_REPS[count]! * ctx.settings.reps) / DEFAULT_REPS));
      for (const fill of FILLS) {
        const reload = () => loader.query(reloadCleanupSql(count, fill));
        const contenders = [
          { name: ARM.byHand, op: () => truncateByHand(dialect, raw, tables) },
          ...pools
            .filter(({ label }) => label === 'dist' || count <= SOURCE_BUILD_UP_TO)
            .map(({ label, db }) => ({ name: ARM.sqlpin('truncate(all)', label), op: () => db.truncate(tables) })),
        ];
        // The first cleanup of each arm opens its session and warms the JIT; it is not a sample.
        if (count === CLEANUP_SIZES[0]) for (const { op } of contenders) await meanMillis(reload, op, 1);
        const arms: Arm[] = contenders.map(({ name, op }) => ({ name, sample: () => meanMillis(reload, op, 1) }));
        const note = [
          `${reps} rounds`,
          count > SOURCE_BUILD_UP_TO ? 'dist build only' : undefined,
          `${fill === 'all rows' ? 'every table' : 'one parent in five pairs'} reloaded with 100 rows before each truncate, untimed`,
        ]
          .filter((part) => part !== undefined)
          .join('; ');
        cases.push(
          await measureCase({ workload: 'W4', label: `${count} tables, ${fill}`, unit: 'ms', reps, tables: count, note }, arms, signal),
        );
      }
    }
    return cases;
  } finally {
    await resources.closeAll();
  }
}

import { ARM, PINNED_STATEMENTS, POOL_MAX, type BenchContext } from '../context.js';
import { throughput } from '../measure.js';
import { Resources } from '../resources.js';
import { measureCase, type CaseResult } from '../results.js';

const CONCURRENCY = 8;
const WARM_MILLIS = 150;

/**
 * W2: borrow one session, run three statements on it, give it back, at
 * concurrency 8 on pools of 8. The floor is the driver's own pinned session;
 * sqlpin runs as is and with `resetOnRelease`, which shows what the reset costs.
 */
export async function measurePinned(ctx: BenchContext): Promise<CaseResult[]> {
  const { driver, url, signal } = ctx;
  const resources = new Resources();
  try {
    const driverPool = resources.add(ARM.driverPinned(driver), driver.pool(url, POOL_MAX), (pool) => pool.close());
    const contenders = [{ name: ARM.driverPinned(driver), op: () => driverPool.pinned(PINNED_STATEMENTS) }];
    const variants = [
      ...ctx.builds.map((build) => ({ build, resetOnRelease: false })),
      { build: ctx.builds.find((build) => build.label === 'dist')!, resetOnRelease: true },
    ];
    for (const { build, resetOnRelease } of variants) {
      const operation = resetOnRelease ? 'withConnection, resetOnRelease' : 'withConnection';
      const db = resources.add(
        ARM.sqlpin(operation, build.label),
        build.sqlpin.createPool({ url, max: POOL_MAX, resetOnRelease }),
        (pool) => pool.close(),
      );
      const op = () =>
        db.withConnection(async (conn) => {
          for (const text of PINNED_STATEMENTS) await conn.query(text);
        });
      contenders.push({ name: ARM.sqlpin(operation, build.label), op });
    }
    // Opens every pool's sessions and lets the JIT settle before anything is timed.
    for (const { op } of contenders) await throughput(op, CONCURRENCY, WARM_MILLIS, signal);

    const arms = contenders.map(({ name, op }) => ({ name, sample: () => throughput(op, CONCURRENCY, ctx.settings.windowMillis, signal) }));
    return [await measureCase({ workload: 'W2', label: `c=${CONCURRENCY}`, unit: 'ops/s', reps: ctx.settings.reps }, arms, signal)];
  } finally {
    await resources.closeAll();
  }
}

import type { Dialect } from '../lib/index.js';
import { createScratch } from '../test/helpers/servers.js';
import type { Build } from './builds.js';
import type { BenchContext, StandaloneContext } from './context.js';
import type { Driver } from './drivers/driver.js';
import { mysqlDriver } from './drivers/mysql.js';
import { postgresDriver } from './drivers/postgres.js';
import type { CaseResult, DialectReport } from './results.js';
import { countRoundTrips } from './round-trips.js';
import type { Settings, WorkloadId } from './settings.js';
import { createTablesSql } from './tables.js';
import { checkTargets } from './targets.js';
import { measureCleanup } from './workloads/cleanup.js';
import { measurePinned } from './workloads/pinned.js';
import { measurePerTestReset } from './workloads/per-test-reset.js';
import { measureReset } from './workloads/reset.js';
import { measureScale } from './workloads/scale.js';
import { measureSelect } from './workloads/select.js';
import { measureTruncateReferenced } from './workloads/truncate-referenced.js';

const DRIVERS: Readonly<Record<Dialect, Driver>> = { mysql: mysqlDriver, postgres: postgresDriver };

/** Workloads that use the run's shared scratch database and its tables. */
const SHARED: Readonly<Partial<Record<WorkloadId, (ctx: BenchContext) => Promise<CaseResult[]>>>> = {
  W1: measureSelect,
  W2: measurePinned,
  W3: measureTruncateReferenced,
  W4: measureCleanup,
  W5: measureReset,
  W6: measurePerTestReset,
};

/** Workloads that run once the shared scratch database is dropped: W7 counts every table on the server. */
const ALONE: Readonly<Partial<Record<WorkloadId, (ctx: StandaloneContext) => Promise<CaseResult[]>>>> = {
  W7: measureScale,
};

/**
 * Runs everything for one dialect in a scratch database of its own (on
 * PostgreSQL, a schema in it), dropped at the end whatever happened. A failure
 * stops this dialect and is recorded; what was measured before it is kept.
 */
export async function benchDialect(
  dialect: Dialect,
  builds: readonly Build[],
  settings: Settings,
  signal: AbortSignal,
): Promise<DialectReport> {
  const driver = DRIVERS[dialect];
  const report: DialectReport = { dialect, server: 'unknown', cases: [], roundTrips: [], targets: [] };
  const progress = (message: string) => console.error(`[${dialect}] ${message}`);
  const timed = async (id: WorkloadId, workload: () => Promise<CaseResult[]>) => {
    const started = performance.now();
    const cases = await workload();
    progress(`${id} done in ${((performance.now() - started) / 1_000).toFixed(1)} s`);
    return cases;
  };
  try {
    const scratch = await createScratch(dialect, 'bench', undefined, { ownDatabase: true });
    try {
      const [version] = await scratch.admin('SELECT VERSION() AS version');
      // PostgreSQL's version() goes on to name the compiler; the first words are the ones that matter.
      report.server = String(version?.version ?? 'unknown').split(' on ')[0]!;
      const loader = await driver.connect(scratch.url, true);
      try {
        progress(`creating tables in ${scratch.name}`);
        await loader.query(createTablesSql(dialect));
        const ctx: BenchContext = { dialect, driver, url: scratch.url, builds, loader, settings, signal };
        progress('counting round trips');
        report.roundTrips.push(...(await countRoundTrips(ctx)));
        for (const id of settings.workloads) {
          const workload = SHARED[id];
          if (workload !== undefined) report.cases.push(...(await timed(id, () => workload(ctx))));
        }
      } finally {
        await loader.close();
      }
    } finally {
      progress(`dropping ${scratch.name}`);
      await scratch.drop();
    }
    for (const id of settings.workloads) {
      const workload = ALONE[id];
      if (workload !== undefined) report.cases.push(...(await timed(id, () => workload({ dialect, driver, builds, settings, signal }))));
    }
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
    console.error(`[${dialect}] stopped:`, error);
  }
  report.targets.push(...checkTargets(dialect, driver, report.cases));
  return report;
}

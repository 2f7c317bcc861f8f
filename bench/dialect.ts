import type { Dialect } from '../lib/index.js';
import { createScratch } from '../test/helpers/servers.js';
import type { Build } from './builds.js';
import type { BenchContext } from './context.js';
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
import { measureReset } from './workloads/reset.js';
import { measureSelect } from './workloads/select.js';
import { measureTruncateReferenced } from './workloads/truncate-referenced.js';

const DRIVERS: Readonly<Record<Dialect, Driver>> = { mysql: mysqlDriver, postgres: postgresDriver };

const WORKLOADS: Readonly<Record<WorkloadId, (ctx: BenchContext) => Promise<CaseResult[]>>> = {
  W1: measureSelect,
  W2: measurePinned,
  W3: measureTruncateReferenced,
  W4: measureCleanup,
  W5: measureReset,
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
          const started = performance.now();
          const cases = await WORKLOADS[id](ctx);
          report.cases.push(...cases);
          progress(`${id} done in ${((performance.now() - started) / 1_000).toFixed(1)} s`);
        }
      } finally {
        await loader.close();
      }
    } finally {
      progress(`dropping ${scratch.name}`);
      await scratch.drop();
    }
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
    console.error(`[${dialect}] stopped:`, error);
  }
  report.targets.push(...checkTargets(dialect, driver, report.cases));
  return report;
}

/**
 * The benchmark: sqlpin against the raw drivers, their pools, a bare
 * generic-pool loop and knex, arms interleaved in one process run, ratios
 * to the floor of the same run. `make bench` builds dist/ and runs this.
 */
import { cpus, loadavg } from 'node:os';
import { loadBuilds } from './builds.js';
import { benchDialect } from './dialect.js';
import { formatDialect, writeReport, type RunReport } from './report.js';
import { readSettings } from './settings.js';
import { writeResetChart } from './chart.js';

const settings = readSettings(process.env);
const builds = await loadBuilds();
const stop = new AbortController();
// The first Ctrl-C stops at the next sample and still drops the scratch tables; a second one kills at once.
process.once('SIGINT', () => {
  console.error('bench: interrupted, cleaning up (Ctrl-C again to kill)');
  stop.abort(new Error('interrupted'));
});

const report: RunReport = {
  startedAt: new Date().toISOString(),
  machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadAverageAtStart: loadavg() },
  settings: { ...settings, workloads: [...settings.workloads] },
  builds: builds.map(({ label, namingWrappers, commit }) => ({ label, namingWrappers, ...(commit === undefined ? {} : { commit }) })),
  dialects: [],
};
console.log(
  `sqlpin bench ${report.startedAt}: ${settings.dialects.join(', ')}; ${[...settings.workloads].join(', ')}; ` +
    `${settings.reps} rounds, ${settings.windowMillis} ms windows (BENCH_DIALECTS, BENCH_ONLY, BENCH_REPS, BENCH_WINDOW_MS)\n` +
    `builds: ${builds.map((build) => `${build.label}${build.commit === undefined ? '' : ` ${build.commit.slice(0, 12)}`} ${build.namingWrappers ? 'with' : 'without'} tsx __name wrappers`).join(', ')} (BENCH_BASE adds an earlier commit)\n` +
    "Round trips are counted first, so every timed arm runs after sqlpin's first withConnection: where AsyncLocalStorage " +
    'rides on async_hooks (Node < 24), that turns on promise hooks for the whole process, and the floors pay them too.\n',
);
for (const dialect of settings.dialects) {
  if (stop.signal.aborted) break;
  const result = await benchDialect(dialect, builds, settings, stop.signal);
  report.dialects.push(result);
  console.log(formatDialect(result, settings) + '\n');
}
report.finishedAt = new Date().toISOString();
report.machine.loadAverageAtEnd = loadavg();
console.log(
  `${report.machine.cpus} × ${report.machine.cpuModel}, node ${report.machine.node}; ` +
    `load average ${report.machine.loadAverageAtStart.map((n) => n.toFixed(2)).join(' ')} at start, ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')} at end`,
);
const results = await writeReport(report);
console.log(`results: ${results}`);
const chart = await writeResetChart(report.dialects, results.replace(/\.json$/, '-w5.svg'));
if (chart !== undefined) console.log(`W5 curves: ${chart}`);
if (report.dialects.some((result) => result.error !== undefined)) process.exitCode = 1;

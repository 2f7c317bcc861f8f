/**
 * dist/ against the BENCH_BASE commit's dist/ in one process: alternating
 * 150 ms windows of `db.query('SELECT 1')` on pools of 8, so both builds share
 * every moment of the machine's drift. Give BENCH_BASE the current commit for
 * an A/A run: the scatter any ratio must stand out from.
 * `BENCH_BASE=<commit> npx tsx bench/paired.ts mysql|postgres [callers] [rounds]`
 */
import { SERVER_URLS } from '../test/helpers/servers.js';
import { loadBuilds } from './builds.js';
import { POOL_MAX, SELECT_ONE } from './context.js';
import { interleave, throughput, type Arm } from './measure.js';

const [dialect = 'mysql', callers = '32', rounds = '40'] = process.argv.slice(2);
if (dialect !== 'mysql' && dialect !== 'postgres') throw new Error(`no dialect ${dialect}`);
const builds = await loadBuilds();
const base = builds.find((build) => build.label === 'base');
if (base === undefined) throw new Error('set BENCH_BASE to the commit to compare with');
const dist = builds.find((build) => build.label === 'dist')!;

const geomean = (values: number[]) => Math.exp(values.reduce((sum, value) => sum + Math.log(value), 0) / values.length);

const signal = new AbortController().signal;
const pools = [dist, base].map((build) => build.sqlpin.createPool({ url: SERVER_URLS[dialect], max: POOL_MAX }));
try {
  const arms: Arm[] = pools.map((db, index) => ({
    name: index === 0 ? 'dist' : 'base',
    sample: () => throughput(() => db.query(SELECT_ONE), Number(callers), 150, signal),
  }));
  // Warmed first, so that neither pays for opening its sessions in a timed window.
  for (const db of pools) await throughput(() => db.query(SELECT_ONE), Number(callers), 500, signal);
  const [ofDist, ofBase] = await interleave(arms, Number(rounds), signal);
  const speed = ofBase!.map((sample, round) => sample.value / ofDist![round]!.value);
  const cpu = ofDist!.map((sample, round) => sample.cpuMicrosPerOp! / ofBase![round]!.cpuMicrosPerOp!);
  console.log(
    `${dialect} c=${callers}, ${rounds} rounds, base ${base.commit?.slice(0, 12)}: base speed / dist ${geomean(speed).toFixed(3)}, CPU dist / base ${geomean(cpu).toFixed(3)} (geometric means)`,
  );
} finally {
  await Promise.all(pools.map((db) => db.close()));
}

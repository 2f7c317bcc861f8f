/**
 * dist/ against the BENCH_BASE commit's dist/ in one process: alternating
 * 150 ms windows of `db.query('SELECT 1')` on pools of 8, so both builds share
 * every moment of the machine's drift. Give BENCH_BASE the current commit for
 * an A/A run: the scatter any ratio must stand out from.
 * `BENCH_BASE=<commit> npx tsx bench/paired.ts mysql|postgres [callers] [rounds]`
 */
import { SERVER_URLS } from '../test/helpers/servers.js';
import { loadBuilds, type Sqlpin } from './builds.js';
import { POOL_MAX, SELECT_ONE } from './context.js';

const [dialect = 'mysql', callers = '32', rounds = '40'] = process.argv.slice(2);
if (dialect !== 'mysql' && dialect !== 'postgres') throw new Error(`no dialect ${dialect}`);
const builds = await loadBuilds();
const base = builds.find((build) => build.label === 'base');
if (base === undefined) throw new Error('set BENCH_BASE to the commit to compare with');
const dist = builds.find((build) => build.label === 'dist')!;

type Db = ReturnType<Sqlpin['createPool']>;

/** Queries per second and CPU µs per query over one window. */
async function window(db: Db, millis: number): Promise<{ speed: number; cpu: number }> {
  let done = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const caller = async () => {
    while (performance.now() - start < millis) {
      await db.query(SELECT_ONE);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Number(callers) }, caller));
  const cpu = process.cpuUsage(cpuStart);
  return { speed: (done * 1000) / (performance.now() - start), cpu: (cpu.user + cpu.system) / done };
}

const geomean = (values: number[]) => Math.exp(values.reduce((sum, value) => sum + Math.log(value), 0) / values.length);

const pools = {
  dist: dist.sqlpin.createPool({ url: SERVER_URLS[dialect], max: POOL_MAX }),
  base: base.sqlpin.createPool({ url: SERVER_URLS[dialect], max: POOL_MAX }),
};
try {
  for (const db of Object.values(pools)) await window(db, 500);
  const speed: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < Number(rounds); round++) {
    // The first arm of a round alternates, so neither always follows the other.
    const first = round % 2 === 0 ? pools.base : pools.dist;
    const second = first === pools.base ? pools.dist : pools.base;
    const one = await window(first, 150);
    const two = await window(second, 150);
    const [ofBase, ofDist] = first === pools.base ? [one, two] : [two, one];
    speed.push(ofBase.speed / ofDist.speed);
    cpu.push(ofDist.cpu / ofBase.cpu);
  }
  console.log(
    `${dialect} c=${callers}, ${rounds} rounds, base ${base.commit?.slice(0, 12)}: base speed / dist ${geomean(speed).toFixed(3)}, CPU dist / base ${geomean(cpu).toFixed(3)} (geometric means)`,
  );
} finally {
  await Promise.all(Object.values(pools).map((db) => db.close()));
}

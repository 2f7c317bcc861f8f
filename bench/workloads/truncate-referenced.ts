import { ARM, type BenchContext } from '../context.js';
import { truncateByHand } from '../floors.js';
import { meanMillis, type Arm } from '../measure.js';
import { Resources } from '../resources.js';
import { measureCase, type CaseResult } from '../results.js';
import { referencedPair, reloadParentChildSql, W3_CHILD, W3_PARENT } from '../tables.js';

/** Truncates per sample; each is timed alone, after an untimed reload. */
const CALLS_PER_SAMPLE = 4;

/**
 * W3: empty one table referenced by another, 1,000 rows each. Floor: the
 * hand-written statements on one connection; against it, sqlpin `truncate`.
 */
export async function measureTruncateReferenced(ctx: BenchContext): Promise<CaseResult[]> {
  const { dialect, driver, url, signal, loader } = ctx;
  const tables = referencedPair(dialect);
  const reload = () => loader.query(reloadParentChildSql());
  const resources = new Resources();
  try {
    const raw = resources.add(ARM.byHand, await driver.connect(url), (session) => session.close());
    const contenders: { name: string; op: () => Promise<unknown> }[] = [
      { name: ARM.byHand, op: () => truncateByHand(dialect, raw, tables) },
    ];
    for (const { label, sqlpin } of ctx.builds) {
      const db = resources.add(`sqlpin (${label})`, sqlpin.createPool({ url, max: 1 }), (pool) => pool.close());
      contenders.push({ name: ARM.sqlpin('truncate', label), op: () => db.truncate(tables) });
    }
    if (dialect === 'postgres') {
      // The floor as first written, without RESTART IDENTITY: shows what restarting the two sequences costs.
      contenders.push({ name: ARM.byHandKeepingIdentity, op: () => raw.query(`TRUNCATE ${W3_PARENT}, ${W3_CHILD}`) });
    }
    for (const { op } of contenders) await meanMillis(reload, op, 1);

    const arms: Arm[] = contenders.map(({ name, op }) => ({ name, sample: () => meanMillis(reload, op, CALLS_PER_SAMPLE) }));
    const label = `${tables.join(' + ')}, ${dialect === 'mysql' ? 'child left with rows' : 'both emptied'}`;
    const note = `each sample: mean of ${CALLS_PER_SAMPLE} truncates, 1,000 + 1,000 rows reloaded before each, untimed`;
    return [await measureCase({ workload: 'W3', label, unit: 'ms', reps: ctx.settings.reps, note }, arms, signal)];
  } finally {
    await resources.closeAll();
  }
}

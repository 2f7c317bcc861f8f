import type { Build } from '../builds.js';
import { createScratch } from '../../test/helpers/servers.js';
import { ARM, type StandaloneContext } from '../context.js';
import { truncateByHand } from '../floors.js';
import { meanMillis, type Arm } from '../measure.js';
import { Resources } from '../resources.js';
import { measureCase, type CaseResult } from '../results.js';
import { createPairsSql, referencedPair, reloadParentChildSql, W3_CHILD, W3_PARENT } from '../tables.js';
import { createUnrelated, reapLeftovers, scaleLabel, UNRELATED_PAIRS } from '../unrelated-tables.js';

/** Truncates per sample, as in W3: each timed alone, after an untimed reload. */
const CALLS_PER_SAMPLE = 4;

/** W7's two cases, shared with the targets. */
export const W7_CASE = {
  alone: 'no other tables',
  crowded: `${(UNRELATED_PAIRS * 2).toLocaleString('en-US')} unrelated tables`,
} as const;

/** The arm that empties the parent and, through the option, its child. */
export const W7_CASCADE = (build: Build['label']) => ARM.sqlpin('truncate(parent, { cascade: true })', build);

/**
 * W7: W3's truncate of one referenced table, in a database of its own with no
 * other table, then again once 2,000 unrelated parent/child pairs exist in
 * another database (MySQL) or schema (PostgreSQL). A truncate's cost should
 * not grow with tables it does not touch. Arms: W3's floor and sqlpin
 * `truncate`, and sqlpin with `cascade`, which must find the referencing tables.
 * The crowd is made once per run and dropped at the end; leftovers of runs that
 * died are dropped first.
 */
export async function measureScale(ctx: StandaloneContext): Promise<CaseResult[]> {
  const { dialect, driver, signal } = ctx;
  const progress = (message: string) => console.error(`[${dialect}] W7 ${message}`);
  const resources = new Resources();
  try {
    const scratch = resources.add('W7 scratch', await createScratch(dialect, scaleLabel('pair'), undefined, { ownDatabase: true }), (s) =>
      s.drop(),
    );
    const reaped = await reapLeftovers(scratch);
    if (reaped.length > 0) progress(`dropped what dead runs left: ${reaped.join(', ')}`);
    const loader = resources.add('W7 loader', await driver.connect(scratch.url, true), (s) => s.close());
    await loader.query(createPairsSql(dialect, [{ parent: W3_PARENT, child: W3_CHILD }]));
    const raw = resources.add('W7 raw', await driver.connect(scratch.url), (s) => s.close());
    const tables = referencedPair(dialect);
    const contenders: { name: string; op: () => Promise<unknown> }[] = [
      { name: ARM.byHand, op: () => truncateByHand(dialect, raw, tables) },
    ];
    for (const { label, sqlpin } of ctx.builds.filter((build) => build.label !== 'src')) {
      const db = resources.add(`W7 sqlpin (${label})`, sqlpin.createPool({ url: scratch.url, max: 1 }), (pool) => pool.close());
      contenders.push(
        { name: ARM.sqlpin('truncate', label), op: () => db.truncate(tables) },
        { name: W7_CASCADE(label), op: () => db.truncate(W3_PARENT, { cascade: true }) },
      );
    }
    const reload = () => loader.query(reloadParentChildSql());
    const measure = async (label: string) => {
      // The first truncate of each arm opens its session, warms the JIT and the server's caches; it is not a sample.
      for (const { op } of contenders) await meanMillis(reload, op, 1);
      const arms: Arm[] = contenders.map(({ name, op }) => ({ name, sample: () => meanMillis(reload, op, CALLS_PER_SAMPLE) }));
      const note = `each sample: mean of ${CALLS_PER_SAMPLE} truncates, 1,000 + 1,000 rows reloaded before each, untimed`;
      return measureCase({ workload: 'W7', label, unit: 'ms', reps: ctx.settings.reps, note }, arms, signal);
    };

    const alone = await measure(W7_CASE.alone);
    progress(`making ${UNRELATED_PAIRS * 2} unrelated tables`);
    const started = performance.now();
    const where = await createUnrelated(driver, scratch, resources);
    progress(`made in ${((performance.now() - started) / 1_000).toFixed(1)} s, in ${where}`);
    const crowded = await measure(W7_CASE.crowded);
    return [alone, crowded];
  } finally {
    await resources.closeAll();
  }
}

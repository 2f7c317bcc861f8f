import type { Build } from '../builds.js';
import { createScratch, type Scratch } from '../../test/helpers/servers.js';
import { ARM, type StandaloneContext } from '../context.js';
import { truncateByHand } from '../floors.js';
import { interleave, meanMillis, type Arm } from '../measure.js';
import { Resources } from '../resources.js';
import { caseResult, measureCase, type CaseResult } from '../results.js';
import { createPairsSql, referencedPair, reloadParentChildSql, W3_CHILD, W3_PARENT } from '../tables.js';
import { createUnrelated, DROP_LIMIT_MILLIS, reapLeftovers, scaleLabel, UNRELATED_PAIRS } from '../unrelated-tables.js';

/** Truncates per sample, as in W3: each timed alone, after an untimed reload. */
const CALLS_PER_SAMPLE = 4;

/** W7's two cases, shared with the targets. */
export const W7_CASE = {
  alone: 'no other tables',
  crowded: `${(UNRELATED_PAIRS * 2).toLocaleString('en-US')} unrelated tables`,
} as const;

/** The arm that empties the parent and, through the option, its child. */
export const W7_CASCADE = (build: Build['label']) => ARM.sqlpin('truncate(parent, { cascade: true })', build);

/** One W3 pair in a namespace of its own, and the arms that empty it. */
interface PairSpace {
  readonly scratch: Scratch;
  readonly contenders: readonly { name: string; op: () => Promise<unknown> }[];
  readonly reload: () => Promise<unknown>;
}

/**
 * W7: W3's truncate of one referenced table, with no other table around, and
 * with 2,000 unrelated parent/child pairs in another database (MySQL) or
 * schema (PostgreSQL). A truncate's cost should not grow with tables it does
 * not touch. Arms: W3's floor and sqlpin `truncate`, and sqlpin with
 * `cascade`, which must find the referencing tables.
 *
 * PostgreSQL's catalogs are per database, so there both cases exist at once,
 * each in a database of its own, and their arms are interleaved in one set of
 * rounds: the ratio does not ride on the machine's drift. On MySQL the crowd
 * is seen from every database, so the cases run one after the other.
 * The crowd is made once per run and dropped at the end; leftovers of runs
 * that died are dropped first.
 */
export async function measureScale(ctx: StandaloneContext): Promise<CaseResult[]> {
  const { dialect, driver, signal } = ctx;
  const progress = (message: string) => console.error(`[${dialect}] W7 ${message}`);
  const resources = new Resources();
  const crowd = async (space: PairSpace) => {
    progress(`making ${UNRELATED_PAIRS * 2} unrelated tables`);
    const started = performance.now();
    const where = await createUnrelated(driver, space.scratch, resources);
    progress(`made in ${((performance.now() - started) / 1_000).toFixed(1)} s, in ${where}`);
  };
  try {
    const alone = await pairSpace(ctx, 'alone', resources);
    const reaped = await reapLeftovers(alone.scratch);
    if (reaped.length > 0) progress(`dropped what dead runs left: ${reaped.join(', ')}`);
    const spec = (label: string) => ({ workload: 'W7', label, unit: 'ms' as const, reps: ctx.settings.reps, note: NOTE });
    if (dialect === 'mysql') {
      const first = await measureCase(spec(W7_CASE.alone), await warmArms(alone), signal);
      await crowd(alone);
      return [first, await measureCase(spec(W7_CASE.crowded), await warmArms(alone), signal)];
    }
    const crowded = await pairSpace(ctx, 'crowded', resources);
    await crowd(crowded);
    const [aloneArms, crowdedArms] = [await warmArms(alone), await warmArms(crowded)];
    const samples = await interleave([...aloneArms, ...crowdedArms], ctx.settings.reps, signal);
    const names = alone.contenders.map(({ name }) => name);
    return [
      caseResult(spec(W7_CASE.alone), names, samples.slice(0, names.length)),
      caseResult(spec(W7_CASE.crowded), names, samples.slice(names.length)),
    ];
  } finally {
    await resources.closeAll();
  }
}

const NOTE = `each sample: mean of ${CALLS_PER_SAMPLE} truncates, 1,000 + 1,000 rows reloaded before each, untimed`;

/** The W3 pair in a new database (on PostgreSQL, a schema in a new database), with its arms. */
async function pairSpace(ctx: StandaloneContext, part: string, resources: Resources): Promise<PairSpace> {
  const { dialect, driver } = ctx;
  // On PostgreSQL the crowd lives in one of these databases, and goes with it.
  const scratch = resources.add(
    `W7 ${part}`,
    await createScratch(dialect, scaleLabel(part), undefined, { ownDatabase: true }),
    (s) => s.drop(),
    DROP_LIMIT_MILLIS,
  );
  const loader = resources.add(`W7 ${part} loader`, await driver.connect(scratch.url, true), (s) => s.close());
  await loader.query(createPairsSql(dialect, [{ parent: W3_PARENT, child: W3_CHILD }]));
  const raw = resources.add(`W7 ${part} raw`, await driver.connect(scratch.url), (s) => s.close());
  const tables = referencedPair(dialect);
  const contenders: { name: string; op: () => Promise<unknown> }[] = [{ name: ARM.byHand, op: () => truncateByHand(dialect, raw, tables) }];
  for (const { label, sqlpin } of ctx.builds.filter((build) => build.label !== 'src')) {
    const db = resources.add(`W7 ${part} sqlpin (${label})`, sqlpin.createPool({ url: scratch.url, max: 1 }), (pool) => pool.close());
    contenders.push(
      { name: ARM.sqlpin('truncate', label), op: () => db.truncate(tables) },
      { name: W7_CASCADE(label), op: () => db.truncate(W3_PARENT, { cascade: true }) },
    );
  }
  return { scratch, contenders, reload: () => loader.query(reloadParentChildSql()) };
}

/** The arms of a space, after one untimed truncate each: it opens the session and warms the JIT and the server's caches. */
async function warmArms({ contenders, reload }: PairSpace): Promise<Arm[]> {
  for (const { op } of contenders) await meanMillis(reload, op, 1);
  return contenders.map(({ name, op }) => ({ name, sample: () => meanMillis(reload, op, CALLS_PER_SAMPLE) }));
}

import type { Dialect } from '../lib/index.js';
import { ARM } from './context.js';
import type { Driver } from './drivers/driver.js';
import type { CaseResult } from './results.js';
import { CLEANUP_SIZES } from './tables.js';
import { W6_ARM, W6_CASE } from './workloads/per-test-reset.js';
import { BEST_STRATEGY, RESET_ARM, RESET_CASES } from './workloads/reset.js';
import { W7_CASCADE, W7_CASE } from './workloads/scale.js';

/** W5 goals from issue 10, per case in RESET_CASES order: truncateAll's default over the TRUNCATE floor. */
const RESET_GOALS: Readonly<Record<Dialect, readonly number[]>> = {
  mysql: [0.4, 0.1, 0.1, 1.05],
  postgres: [0.6, 0.25, 0.25, 1.05],
};

/** W6 goals from issue 13: sqlpin's reset over the three hand-written DELETEs it replaces. */
const PER_TEST_GOALS: Readonly<Record<Dialect, { defaults: number; keepingCounters: number }>> = {
  mysql: { defaults: 2, keepingCounters: 1 },
  postgres: { defaults: 1, keepingCounters: 1 },
};

/** W7: a truncate may cost at most this much more with 4,000 unrelated tables on the server than without. */
const SCALE_GOAL = 1.2;

/** One target the lead reports against: a ratio of medians from the same run, and whether it holds. */
export interface TargetCheck {
  readonly target: string;
  /** `>= 0.95` or `<= 1.10`. */
  readonly goal: string;
  /** Undefined when the cases it needs were not measured. */
  readonly measured?: number;
  readonly met?: boolean;
}

interface Goal {
  readonly target: string;
  readonly at: 'least' | 'most';
  readonly bound: number;
  readonly measured: number | undefined;
}

/** Checks every target against the measured cases of one dialect; only the dist build counts, as users run it. */
export function checkTargets(dialect: Dialect, driver: Driver, cases: readonly CaseResult[]): TargetCheck[] {
  const median = (workload: string, label: string, arm: string) =>
    cases.find((c) => c.workload === workload && c.label === label)?.arms.find((a) => a.name === arm)?.median;
  const ratio = (workload: string, label: string, arm: string, floor: string) =>
    over(median(workload, label, arm), median(workload, label, floor));
  const cpu = (workload: string, label: string, arm: string) =>
    cases.find((c) => c.workload === workload && c.label === label)?.arms.find((a) => a.name === arm)?.cpuMicrosPerOp;
  const cpuOver = (label: string, arm: string, over: string) => {
    const top = cpu('W1', label, arm);
    const bottom = cpu('W1', label, over);
    return top === undefined || bottom === undefined ? undefined : top - bottom;
  };
  const query = ARM.sqlpin('db.query', 'dist');
  const truncateAll = ARM.sqlpin('truncate(all)', 'dist');
  const w3 = cases.find((c) => c.workload === 'W3')?.label ?? 'W3';

  const goals: Goal[] = [
    {
      target: `W1 c=1 sqlpin / ${ARM.driverPool(driver)}`,
      at: 'least',
      bound: 0.97,
      measured: ratio('W1', 'c=1', query, ARM.driverPool(driver)),
    },
    ...[8, 32].map(
      (c): Goal => ({
        target: `W1 c=${c} sqlpin / ${ARM.driverPool(driver)}`,
        at: 'least',
        bound: 1,
        measured: ratio('W1', `c=${c}`, query, ARM.driverPool(driver)),
      }),
    ),
    ...[1, 8, 32].map(
      (c): Goal => ({
        target: `W1 c=${c} sqlpin / ${ARM.genericPool}`,
        at: 'least',
        bound: 0.95,
        measured: ratio('W1', `c=${c}`, query, ARM.genericPool),
      }),
    ),
    // Client CPU is steadier than wall time on a shared machine: sqlpin's layers over generic-pool's, in µs per call.
    ...[1, 8, 32].map(
      (c): Goal => ({
        target: `W1 c=${c} CPU µs/op: sqlpin − ${ARM.genericPool}`,
        at: 'most',
        bound: 1.5,
        measured: cpuOver(`c=${c}`, query, ARM.genericPool),
      }),
    ),
    {
      target: `W2 sqlpin withConnection / ${ARM.driverPinned(driver)}`,
      at: 'least',
      bound: 1,
      measured: ratio('W2', 'c=8', ARM.sqlpin('withConnection', 'dist'), ARM.driverPinned(driver)),
    },
    // On PostgreSQL also against the floor as first written, which keeps the sequences sqlpin restarts.
    ...(dialect === 'postgres' ? [ARM.byHand, ARM.byHandKeepingIdentity] : [ARM.byHand]).map(
      (floor): Goal => ({
        target: `W3 sqlpin truncate / ${floor}`,
        at: 'most',
        bound: dialect === 'mysql' ? 1.15 : 1.3,
        measured: ratio('W3', w3, ARM.sqlpin('truncate', 'dist'), floor),
      }),
    ),
    ...CLEANUP_SIZES.map(
      (n): Goal => ({
        target: `W4 ${n} tables, all rows: sqlpin / by hand`,
        at: 'most',
        bound: 1.05,
        measured: ratio('W4', `${n} tables, all rows`, truncateAll, ARM.byHand),
      }),
    ),
    {
      target: `W4 all rows: sqlpin ms per table, ${CLEANUP_SIZES.at(-1)} tables / ${CLEANUP_SIZES[0]} tables (not growing)`,
      at: 'most',
      bound: 1,
      measured: perTableGrowth(
        median('W4', `${CLEANUP_SIZES.at(-1)} tables, all rows`, truncateAll),
        median('W4', `${CLEANUP_SIZES[0]} tables, all rows`, truncateAll),
      ),
    },
    ...CLEANUP_SIZES.map(
      (n): Goal => ({
        target: `W4 ${n} tables, one in ten: sqlpin / by hand (5x faster)`,
        at: 'most',
        bound: 0.2,
        measured: ratio('W4', `${n} tables, one in ten`, truncateAll, ARM.byHand),
      }),
    ),
    ...RESET_CASES.map(
      (resetCase, i): Goal => ({
        target: `W5 ${resetCase.label}: truncateAll ${BEST_STRATEGY} / ${ARM.byHand}`,
        at: 'most',
        bound: RESET_GOALS[dialect][i]!,
        measured: ratio('W5', resetCase.label, RESET_ARM.truncateAll(BEST_STRATEGY), ARM.byHand),
      }),
    ),
    {
      target: `W6 truncateAll() / ${W6_ARM.deletes}`,
      at: 'most',
      bound: PER_TEST_GOALS[dialect].defaults,
      measured: ratio('W6', W6_CASE.reset, W6_ARM.defaults('dist'), W6_ARM.deletes),
    },
    {
      target: `W6 truncateAll({ restartIdentity: false }) / ${W6_ARM.deletes}`,
      at: 'most',
      bound: PER_TEST_GOALS[dialect].keepingCounters,
      measured: ratio('W6', W6_CASE.reset, W6_ARM.keepingCounters('dist'), W6_ARM.deletes),
    },
    ...[ARM.sqlpin('truncate', 'dist'), W7_CASCADE('dist')].map(
      (arm): Goal => ({
        target: `W7 ${arm.replace(/^sqlpin | \(dist\)$/g, '')}: ${W7_CASE.crowded} / ${W7_CASE.alone}`,
        at: 'most',
        bound: SCALE_GOAL,
        measured: over(median('W7', W7_CASE.crowded, arm), median('W7', W7_CASE.alone, arm)),
      }),
    ),
  ];
  return goals.map(({ target, at, bound, measured }) => ({
    target,
    goal: `${at === 'least' ? '>=' : '<='} ${bound.toFixed(2)}`,
    ...(measured === undefined ? {} : { measured, met: at === 'least' ? measured >= bound : measured <= bound }),
  }));
}

function over(top: number | undefined, bottom: number | undefined): number | undefined {
  return top === undefined || bottom === undefined ? undefined : top / bottom;
}

function perTableGrowth(largest: number | undefined, smallest: number | undefined): number | undefined {
  if (largest === undefined || smallest === undefined) return undefined;
  return largest / CLEANUP_SIZES.at(-1)! / (smallest / CLEANUP_SIZES[0]);
}

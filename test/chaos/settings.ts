import { CATEGORIES, type Category } from './invariants.js';
import { FAULT_FAMILIES, type FaultFamily } from './scenario.js';
import { wholeNumber } from '../helpers/env.js';

/**
 * What a run of the chaos suite does, from the environment, so that any run
 * can be made again: every value is printed at the start of the run.
 * - CHAOS_SEED: fast-check's seed (default: drawn at random, and printed)
 * - CHAOS_RUNS: scenarios per family (default 3)
 * - CHAOS_STEPS: most steps in a scenario (default 5)
 * - CHAOS_FAMILIES: comma-separated families to run, of none, timeout, kill, cancel, link, hold, abort, mixed
 *   (default all; 'none' runs with no fault at all and must pass on any code)
 * - CHAOS_IGNORE: invariant categories to set aside, to look past a known failure
 * - CHAOS_SHRINK=0: stop at the first failure instead of shrinking it (default 1)
 * - CHAOS_BUDGET_MS: time per family, shrinking included (default 60000); past it the remaining runs pass unrun
 * - CHAOS_PATH: with CHAOS_SEED and one family, replays one counterexample as fast-check printed it
 */
export interface ChaosSettings {
  readonly seed: number;
  readonly runs: number;
  readonly steps: number;
  readonly families: readonly Family[];
  readonly ignore: readonly Category[];
  readonly shrink: boolean;
  readonly budgetMillis: number;
  readonly path: string | undefined;
}

/** A tap subtest's worth of faults: one family, none, or all of them mixed. */
export type Family = FaultFamily | 'none' | 'mixed';
const FAMILIES: readonly Family[] = ['none', ...FAULT_FAMILIES, 'mixed'];

export function chaosSettings(env: NodeJS.ProcessEnv = process.env): ChaosSettings {
  return {
    seed: wholeNumber(env.CHAOS_SEED, Math.floor(Math.random() * 2 ** 31), 'CHAOS_SEED'),
    runs: wholeNumber(env.CHAOS_RUNS, 3, 'CHAOS_RUNS'),
    steps: wholeNumber(env.CHAOS_STEPS, 5, 'CHAOS_STEPS'),
    families: list(env.CHAOS_FAMILIES, FAMILIES, 'CHAOS_FAMILIES') ?? FAMILIES,
    ignore: list(env.CHAOS_IGNORE, CATEGORIES, 'CHAOS_IGNORE') ?? [],
    shrink: env.CHAOS_SHRINK !== '0',
    budgetMillis: wholeNumber(env.CHAOS_BUDGET_MS, 60_000, 'CHAOS_BUDGET_MS'),
    path: env.CHAOS_PATH || undefined,
  };
}

/** The families of faults a subtest draws from. */
export function faultsOf(family: Family): FaultFamily[] {
  if (family === 'none') return [];
  if (family === 'mixed') return [...FAULT_FAMILIES];
  return [family];
}

/** The environment that runs this again, for the log. */
export function describeSettings(settings: ChaosSettings): string {
  return [
    `CHAOS_SEED=${settings.seed}`,
    `CHAOS_RUNS=${settings.runs}`,
    `CHAOS_STEPS=${settings.steps}`,
    `CHAOS_FAMILIES=${settings.families.join(',')}`,
    `CHAOS_IGNORE=${settings.ignore.join(',')}`,
    `CHAOS_SHRINK=${settings.shrink ? 1 : 0}`,
    `CHAOS_BUDGET_MS=${settings.budgetMillis}`,
    ...(settings.path === undefined ? [] : [`CHAOS_PATH=${settings.path}`]),
  ].join(' ');
}

function list<T extends string>(value: string | undefined, known: readonly T[], name: string): T[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const items = value.split(',').map((item) => item.trim());
  const unknown = items.filter((item) => !known.includes(item as T));
  if (unknown.length > 0) throw new Error(`${name}: unknown ${unknown.join(', ')}; known: ${known.join(', ')}`);
  return items as T[];
}

import type { Dialect } from '../../lib/index.js';
import { type Family, familiesOf } from './families.js';
import { wholeNumber } from '../helpers/env.js';

/**
 * What a fuzz run does, from the environment; every value is printed first so
 * that any run can be made again.
 * - SQLPIN_FUZZ_SEED: fast-check's seed (default: drawn at random, and printed)
 * - SQLPIN_FUZZ_SECONDS: time per dialect, split evenly between its families (default 40)
 * - SQLPIN_FUZZ_FAMILY: comma-separated families (default: all of the dialect's); `mysql:name` or
 *   `postgres:name` for one dialect only; a family the dialect does not have is left out on that dialect
 * - SQLPIN_FUZZ_PATH: with the seed and one family, replays the counterexample fast-check printed
 * - SQLPIN_FUZZ_SHRINK=0: report the first failure as drawn, without shrinking it
 */
export interface FuzzSettings {
  readonly seed: number;
  readonly seconds: number;
  readonly families: readonly Family[];
  readonly named: string | undefined;
  readonly path: string | undefined;
  readonly shrink: boolean;
}

export function fuzzSettings(dialect: Dialect, env: NodeJS.ProcessEnv = process.env): FuzzSettings {
  const own = familiesOf(dialect);
  const named = env.SQLPIN_FUZZ_FAMILY?.trim() || undefined;
  let families = own;
  if (named !== undefined) {
    const entries = named.split(',').map((n) => n.trim());
    const known = new Set([...familiesOf('mysql'), ...familiesOf('postgres')].map((f) => f.name));
    const unknown = entries.filter((e) => !known.has(e.replace(/^(mysql|postgres):/, '')));
    if (unknown.length > 0) throw new Error(`SQLPIN_FUZZ_FAMILY: unknown ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
    // `mysql:partitions` names a family on one dialect only, so that CI can run, per dialect, what passes there.
    const names = entries.flatMap((e) => (!e.includes(':') ? [e] : e.startsWith(`${dialect}:`) ? [e.slice(dialect.length + 1)] : []));
    families = own.filter((f) => names.includes(f.name));
  }
  return {
    seed: wholeNumber(env.SQLPIN_FUZZ_SEED, Math.floor(Math.random() * 2 ** 31), 'SQLPIN_FUZZ_SEED'),
    seconds: wholeNumber(env.SQLPIN_FUZZ_SECONDS, 40, 'SQLPIN_FUZZ_SECONDS'),
    families,
    named,
    path: env.SQLPIN_FUZZ_PATH?.trim() || undefined,
    shrink: env.SQLPIN_FUZZ_SHRINK !== '0',
  };
}

/** The environment that runs this again. */
export function describeSettings(settings: FuzzSettings): string {
  return [
    `SQLPIN_FUZZ_SEED=${settings.seed}`,
    `SQLPIN_FUZZ_SECONDS=${settings.seconds}`,
    `SQLPIN_FUZZ_FAMILY=${settings.families.map((f) => f.name).join(',')}`,
    ...(settings.shrink ? [] : ['SQLPIN_FUZZ_SHRINK=0']),
    ...(settings.path === undefined ? [] : [`SQLPIN_FUZZ_PATH=${settings.path}`]),
  ].join(' ');
}

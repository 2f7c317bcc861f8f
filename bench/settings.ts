import type { Dialect } from '../lib/index.js';

/** The workloads of the benchmark. */
export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6' | 'W7';

/** How much the benchmark measures. The defaults keep each dialect near a minute; a quiet machine can afford more. */
export interface Settings {
  readonly dialects: readonly Dialect[];
  readonly workloads: ReadonlySet<WorkloadId>;
  /** Rounds of interleaved arms in W1–W3; W4 scales its own per-size rounds from it. */
  readonly reps: number;
  /** Length of one throughput sample in W1 and W2. */
  readonly windowMillis: number;
}

const DIALECTS: readonly Dialect[] = ['mysql', 'postgres'];
const WORKLOADS: readonly WorkloadId[] = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7'];

/** Reads BENCH_DIALECTS, BENCH_ONLY, BENCH_REPS and BENCH_WINDOW_MS; a bad value stops the run before any SQL. */
export function readSettings(env: NodeJS.ProcessEnv): Settings {
  return {
    dialects: listSetting(env.BENCH_DIALECTS, 'BENCH_DIALECTS', DIALECTS),
    workloads: new Set(listSetting(env.BENCH_ONLY, 'BENCH_ONLY', WORKLOADS)),
    reps: numberSetting(env.BENCH_REPS, 'BENCH_REPS', 7, 3, 50),
    windowMillis: numberSetting(env.BENCH_WINDOW_MS, 'BENCH_WINDOW_MS', 150, 50, 5_000),
  };
}

function listSetting<T extends string>(value: string | undefined, name: string, choices: readonly T[]): T[] {
  if (value === undefined || value.trim() === '') return [...choices];
  const picked = value.split(',').map((item) => item.trim());
  const unknown = picked.filter((item) => !choices.includes(item as T));
  if (unknown.length > 0) throw new Error(`${name}: unknown ${unknown.join(', ')}; choose from ${choices.join(', ')}`);
  return choices.filter((choice) => picked.includes(choice));
}

function numberSetting(value: string | undefined, name: string, fallback: number, least: number, most: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < least || parsed > most) {
    throw new Error(`${name} must be a whole number from ${least} to ${most}, not ${JSON.stringify(value)}`);
  }
  return parsed;
}

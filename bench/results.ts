import type { Dialect } from '../lib/index.js';
import { interleave, summarize, type Arm, type Sample } from './measure.js';
import type { RoundTripCount } from './round-trips.js';
import type { TargetCheck } from './targets.js';

/** Throughput (higher is better) or time per call (lower is better). */
export type Unit = 'ops/s' | 'ms';

/** One arm's samples and their summary; `ratio` is its median over the floor's median in the same case. */
export interface ArmResult {
  readonly name: string;
  readonly samples: readonly Sample[];
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly ratio: number;
  /** Median CPU time of the whole process per operation, for throughput arms. */
  readonly cpuMicrosPerOp?: number;
}

/** One measured case: a workload at one setting, every arm sampled in the same interleaved rounds. */
export interface CaseResult {
  readonly workload: string;
  /** The setting within the workload: `c=8`, `200 tables, all rows`. */
  readonly label: string;
  readonly unit: Unit;
  readonly floor: string;
  readonly reps: number;
  /** Tables emptied per call, where cost per table matters. */
  readonly tables?: number;
  readonly note?: string;
  readonly arms: readonly ArmResult[];
}

/** Everything one dialect produced; `error` is set when its run stopped early. */
export interface DialectReport {
  readonly dialect: Dialect;
  server: string;
  readonly cases: CaseResult[];
  readonly roundTrips: RoundTripCount[];
  readonly targets: TargetCheck[];
  error?: string;
}

/** What a case is, before it is measured. */
export interface CaseSpec {
  readonly workload: string;
  readonly label: string;
  readonly unit: Unit;
  readonly reps: number;
  readonly tables?: number;
  readonly note?: string;
}

/** Measures the arms of one case interleaved; the first arm is the floor every ratio is taken against. */
export async function measureCase(spec: CaseSpec, arms: readonly Arm[], signal: AbortSignal): Promise<CaseResult> {
  const samples = await interleave(arms, spec.reps, signal);
  return caseResult(
    spec,
    arms.map((arm) => arm.name),
    samples,
  );
}

/**
 * Summarizes samples already taken, one list per arm in `names` order; the
 * first is the floor. For figures taken beside another case's samples (W6's
 * next query after each reset), which share that case's interleaving.
 */
export function caseResult(spec: CaseSpec, names: readonly string[], samples: readonly (readonly Sample[])[]): CaseResult {
  const summaries = samples.map((armSamples) => summarize(armSamples.map((sample) => sample.value)));
  const floor = summaries[0]!.median;
  return {
    ...spec,
    floor: names[0]!,
    arms: names.map((name, i) => {
      const cpu = samples[i]!.flatMap((sample) => (sample.cpuMicrosPerOp === undefined ? [] : [sample.cpuMicrosPerOp]));
      return {
        name,
        samples: samples[i]!,
        ...summaries[i]!,
        ratio: summaries[i]!.median / floor,
        ...(cpu.length === 0 ? {} : { cpuMicrosPerOp: summarize(cpu).median }),
      };
    }),
  };
}

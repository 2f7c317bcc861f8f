import { summarize } from '../measure.js';

/** One way of doing something, to be timed against the others. */
export interface Candidate {
  readonly label: string;
  /** Untimed, before each run. */
  readonly prepare?: () => Promise<unknown>;
  readonly run: () => Promise<unknown>;
}

/** A candidate's times in ms over the rounds. */
export interface Timing {
  readonly label: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Runs every candidate once per round, the order rotating each round so that
 * none always follows the same neighbour, after one untimed warm-up run each.
 * On a shared machine the median of interleaved rounds is the figure to compare.
 */
export async function compare(candidates: readonly Candidate[], rounds: number): Promise<Timing[]> {
  const times = candidates.map((): number[] => []);
  for (const { prepare, run } of candidates) {
    await prepare?.();
    await run();
  }
  for (let round = 0; round < rounds; round++) {
    for (let step = 0; step < candidates.length; step++) {
      const index = (round + step) % candidates.length;
      const { prepare, run } = candidates[index]!;
      await prepare?.();
      const started = performance.now();
      await run();
      times[index]!.push(performance.now() - started);
    }
  }
  return candidates.map(({ label }, i) => ({ label, ...summarize(times[i]!) }));
}

/** A timing as `median (min–max)` in ms. */
export function formatTiming({ median, min, max }: Timing): string {
  const digits = (n: number) => n.toFixed(n < 10 ? 2 : 1);
  return `${digits(median)} (${digits(min)}–${digits(max)})`;
}

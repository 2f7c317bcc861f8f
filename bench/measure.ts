/** One contender in a case: each call takes one sample. */
export interface Arm {
  readonly name: string;
  sample(): Promise<Sample>;
}

/** ops/s or ms, as the case's unit says; throughput samples also carry the process's CPU time per operation. */
export interface Sample {
  readonly value: number;
  readonly cpuMicrosPerOp?: number;
}

/** No sample may run longer than this: a stuck server must end the run, not hang it. */
const SAMPLE_LIMIT_MILLIS = 120_000;

/**
 * Takes `reps` samples of every arm, round-robin, so that every arm sees the
 * same drift of a shared machine. The starting arm rotates each round so none
 * always runs first after a pause or a collection.
 */
export async function interleave(arms: readonly Arm[], reps: number, signal: AbortSignal): Promise<Sample[][]> {
  const samples = arms.map((): Sample[] => []);
  for (let rep = 0; rep < reps; rep++) {
    for (let step = 0; step < arms.length; step++) {
      signal.throwIfAborted();
      const index = (rep + step) % arms.length;
      const arm = arms[index]!;
      samples[index]!.push(await withDeadline(arm.sample(), SAMPLE_LIMIT_MILLIS, `a sample of ${arm.name}`));
    }
  }
  return samples;
}

/**
 * Operations per second of `op` run by `concurrency` callers in a loop, for
 * `windowMillis` or `maxOps` operations, whichever ends first. The CPU time
 * per operation is the whole process's: client-side cost, whatever the server's latency.
 */
export async function throughput(
  op: () => PromiseLike<unknown>,
  concurrency: number,
  windowMillis: number,
  signal: AbortSignal,
  maxOps = 1_000_000,
): Promise<Sample> {
  let done = 0;
  const cpuAtStart = process.cpuUsage();
  const start = performance.now();
  const deadline = start + windowMillis;
  const caller = async () => {
    while (done < maxOps && performance.now() < deadline && !signal.aborted) {
      await op();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpuAtStart);
  signal.throwIfAborted();
  return { value: done / (elapsed / 1_000), cpuMicrosPerOp: (cpu.user + cpu.system) / done };
}

/** Mean milliseconds of `op` over `times` runs; `prepare` runs before each, outside the timed part. */
export async function meanMillis(prepare: () => Promise<unknown>, op: () => Promise<unknown>, times: number): Promise<Sample> {
  let total = 0;
  for (let i = 0; i < times; i++) {
    await prepare();
    const start = performance.now();
    await op();
    total += performance.now() - start;
  }
  return { value: total / times };
}

/** Rejects when `work` has not settled within `millis`; the timer never keeps the process alive. */
export function withDeadline<T>(work: Promise<T>, millis: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${millis} ms`)), millis);
    timer.unref();
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Median, min and max of samples. */
export function summarize(samples: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

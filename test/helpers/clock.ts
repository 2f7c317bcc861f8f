import { mock } from 'node:test';
import type { Test } from 'tap';

/**
 * Node's mock timers (setTimeout and Date) for one test: time moves only when
 * the test ticks it, so timeouts and graces are exact and the test never waits.
 */
export interface Clock {
  /** Moves time on, fires what falls due, then lets the promises it settled run. */
  tick(millis: number): Promise<void>;
}

export function fakeClock(t: Test, now = 1_000_000): Clock {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now });
  t.teardown(() => mock.timers.reset());
  return {
    async tick(millis) {
      mock.timers.tick(millis);
      await settle();
    },
  };
}

/** Lets every promise chain that can run, run (generic-pool's and the session's take a few turns). */
export async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
}

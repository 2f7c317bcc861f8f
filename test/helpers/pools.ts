import type { Test } from 'tap';
import { createPool, type Pool, type PoolOptions } from '../../lib/index.js';
import type { Scratch } from './servers.js';

/** A pool on the scratch namespace, closed when the test ends. */
export function scratchPool(t: Test, scratch: Scratch, options: Omit<PoolOptions, 'url'> = {}): Pool {
  return testPool(t, scratch.url, options);
}

/** A pool on any URL (another node or a replica of the scratch's server), closed when the test ends. */
export function testPool(t: Test, url: string, options: Omit<PoolOptions, 'url'> = {}): Pool {
  const db = createPool({ url, ...options });
  t.teardown(() => db.close());
  return db;
}

/**
 * Opens `count` sessions at once and gives them back, so a fifo pool then
 * hands them out in turn: the deterministic setup for two-session races.
 * Returns the session ids in the order the pool will hand them out.
 */
export async function warm(db: Pool, count: number): Promise<number[]> {
  const ids: number[] = [];
  let arrived = 0;
  let open!: () => void;
  const allPinned = new Promise<void>((resolve) => (open = resolve));
  await Promise.all(
    Array.from({ length: count }, () =>
      db.withConnection(async (conn) => {
        ids.push(conn.sessionId);
        if (++arrived === count) open();
        await allPinned;
      }),
    ),
  );
  return ids;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Collects the process warnings raised while the test runs; deprecations only when asked for. */
export function captureWarnings(t: Test, { deprecations = false } = {}): Error[] {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => {
    if (deprecations || warning.name !== 'DeprecationWarning') warnings.push(warning);
  };
  process.on('warning', onWarning);
  t.teardown(() => {
    process.off('warning', onWarning);
  });
  return warnings;
}

/** Polls until `condition` holds; fails the wait after `limitMillis`. */
export async function until(condition: () => boolean | Promise<boolean>, limitMillis = 5_000): Promise<void> {
  for (const deadline = Date.now() + limitMillis; !(await condition()); ) {
    if (Date.now() > deadline) throw new Error(`condition not reached in ${limitMillis} ms`);
    await sleep(10);
  }
}

/** Polls until `condition` holds, at most `limitMillis`; says whether it did. A wait that lets the test go on either way. */
export async function holdsWithin(condition: () => boolean | Promise<boolean>, limitMillis: number): Promise<boolean> {
  for (const deadline = Date.now() + limitMillis; Date.now() < deadline; await sleep(10)) {
    if (await condition()) return true;
  }
  return false;
}

/**
 * `work`'s value, or `timedOut` if it has not settled within `limitMillis`.
 * The timer is cleared either way, so a bound that was not needed never holds the process open.
 */
export async function within<T, U>(work: Promise<T>, limitMillis: number, timedOut: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<U>((resolve) => (timer = setTimeout(() => resolve(timedOut), limitMillis)));
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

import genericPool from 'generic-pool';
import type { Driver, RawSession } from './drivers/driver.js';

/** What sqlpin must give generic-pool on every acquire (an acquire timeout arms a timer per call): the bare loop pays it too. */
const ACQUIRE_TIMEOUT_MILLIS = 10_000;

/**
 * generic-pool over raw driver connections and nothing else: acquire, one
 * statement, release. The lower bound for any pool built on generic-pool.
 */
export function barePool(driver: Driver, url: string, max: number): { query(text: string): Promise<unknown>; close(): Promise<void> } {
  const pool = genericPool.createPool<RawSession>(
    { create: () => driver.connect(url), destroy: (session) => session.close() },
    { min: 0, max, acquireTimeoutMillis: ACQUIRE_TIMEOUT_MILLIS, fifo: true },
  );
  return {
    async query(text) {
      const session = await pool.acquire();
      try {
        return await session.query(text);
      } finally {
        await pool.release(session);
      }
    },
    async close() {
      await pool.drain();
      await pool.clear();
    },
  };
}

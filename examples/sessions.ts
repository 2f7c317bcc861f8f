import { createPool, type Connection, type Pool, type PoolOptions } from '../lib/index.js';

/**
 * Pins `count` sessions at once and runs `fn` on each once all are pinned.
 * Holding them together is what makes them distinct: with `count` equal to
 * the pool's max, this touches every session the pool has.
 */
export async function onEverySession<T>(db: Pool, count: number, fn: (conn: Connection) => Promise<T>): Promise<T[]> {
  let pinned = 0;
  let failure = false;
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  return Promise.all(
    Array.from({ length: count }, () =>
      db
        .withConnection(async (conn) => {
          if (++pinned === count) openGate();
          await gate;
          if (failure) throw new Error('another session could not be pinned');
          return fn(conn);
        })
        .catch((error: unknown) => {
          // The pins that did succeed must not wait forever for the one that failed.
          failure = true;
          openGate();
          throw error;
        }),
    ),
  );
}

/** Opens every session of a `min = max` pool, so that one-shot queries rotate through all of them. */
export async function warm(db: Pool, size: number): Promise<number[]> {
  return onEverySession(db, size, async (conn) => conn.sessionId);
}

/** Runs `fn` with a pool of its own and closes the pool however `fn` ends. */
export async function withPool<T>(url: string, options: Omit<PoolOptions, 'url'>, fn: (db: Pool) => Promise<T>): Promise<T> {
  const db = createPool({ url, ...options });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

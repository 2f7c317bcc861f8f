import type { Connection, Pool } from '../../lib/index.js';
import { sleep } from './pools.js';

/** Helpers for a warmed pool of exactly two sessions handed out in fifo order. */

/** Runs `fn` on both sessions of a two-session pool at once, in session-id order. */
export async function pinBoth<T>(db: Pool, fn: (conn: Connection) => Promise<T>): Promise<T[]> {
  let arrived = 0;
  let open!: () => void;
  const both = new Promise<void>((resolve) => (open = resolve));
  const results = await Promise.all(
    [0, 1].map(() =>
      db.withConnection(async (conn) => {
        if (++arrived === 2) open();
        await both;
        return { id: conn.sessionId, value: await fn(conn) };
      }),
    ),
  );
  return results.sort((a, b) => a.id - b.id).map((r) => r.value);
}

/** Runs `fn` on the session with the given id, holding both so the right one can be chosen. */
export async function onSession<T>(db: Pool, id: number, fn: (conn: Connection) => Promise<T>): Promise<T> {
  const results = await pinBoth(db, async (conn) =>
    conn.sessionId === id ? { hit: true as const, value: await fn(conn) } : { hit: false as const },
  );
  const hit = results.find((r) => r.hit);
  if (hit === undefined || !hit.hit) throw new Error(`session ${id} is not in the pool`);
  return hit.value;
}

/**
 * The ids of the sessions the next two one-shot calls will get. Reading them
 * costs two calls, which in a two-session fifo pool brings the order back to
 * where it was.
 */
export async function nextTwo(db: Pool): Promise<[number, number]> {
  const read = () => db.withConnection((conn) => conn.sessionId);
  return [await read(), await read()];
}

/** Polls `probe` until it gives a value (2 s at most). */
export async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(10);
  }
  throw new Error('condition not reached in 2 s');
}

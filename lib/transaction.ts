import type { Pin } from './pin.js';

/**
 * Runs `body` in a transaction on the pinned session: BEGIN at the outermost
 * level, a SAVEPOINT inside one — also inside a transaction the caller opened
 * with a raw BEGIN, so that it is never committed behind the caller's back. A
 * throw rolls back to where this level began and is re-thrown unchanged; if
 * the rollback itself fails the session's state is unknown, so it is condemned
 * and destroyed on release.
 */
export async function runTransaction<T>(pin: Pin, body: () => Promise<T> | T): Promise<T> {
  const level = pin.depth;
  const outermost = level === 0 && !pin.session.inTransaction();
  const savepoint = `sqlpin_savepoint_${level}`;
  await pin.session.query(outermost ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
  pin.depth = level + 1;
  let result: T;
  try {
    result = await body();
  } catch (error) {
    pin.depth = level;
    try {
      await pin.session.query(outermost ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`);
    } catch (rollbackError) {
      pin.session.condemn();
      pin.report(rollbackError);
    }
    throw error;
  }
  pin.depth = level;
  await pin.session.query(outermost ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
  return result;
}

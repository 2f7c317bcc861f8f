import { TransactionAbortedError } from './errors.js';
import type { Pin } from './pin.js';

/**
 * Runs `body` as a transaction unit on the pinned session: BEGIN at the
 * outermost level, a SAVEPOINT inside one (also inside a transaction the caller
 * opened with a raw BEGIN, so that it is never committed behind the caller's
 * back). Sibling transactions on one pin run one after the other.
 */
export function runTransaction<T, H>(pin: Pin<H>, body: () => Promise<T> | T): Promise<T> {
  return pin.transactionUnit((unit) => transact(pin, unit.depth - 1, body));
}

/**
 * One transaction level above `level` levels sqlpin already opened. A throw
 * rolls back to where this level began and is re-thrown unchanged. A body that
 * returns after the server aborted the transaction gets `TransactionAbortedError`;
 * where the server ended the whole transaction itself (a MySQL deadlock), its
 * error reaches every level and nothing is rolled back that no longer exists.
 * If a rollback fails the session's state is unknown: it is condemned.
 */
export async function transact<T, H>(pin: Pin<H>, level: number, body: () => Promise<T> | T): Promise<T> {
  const { session } = pin;
  const savepoint = level === 0 && !session.inTransaction() ? undefined : pin.nextSavepoint();
  await session.query(savepoint === undefined ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
  let result: T;
  try {
    result = await body();
  } catch (error) {
    await rollBack(pin, savepoint);
    throw error;
  }
  const { status, failure } = await session.transactionState();
  if (status === 'failed') {
    await rollBack(pin, savepoint);
    throw new TransactionAbortedError(failure);
  }
  // The server ended the transaction on an error of its own: that error is the outcome of every level.
  if (status === 'idle' && failure !== undefined) throw failure;
  await session.query(savepoint === undefined ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
  return result;
}

/** Rolls back one level, unless the server already ended the transaction; a rollback that fails condemns the session. */
export async function rollBack<H>(pin: Pin<H>, savepoint: string | undefined): Promise<void> {
  const { session } = pin;
  try {
    const { status, failure } = await session.transactionState();
    if (status === 'idle' && failure !== undefined) return;
    await session.query(savepoint === undefined ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`);
  } catch (rollbackError) {
    session.condemn();
    pin.report(rollbackError);
  }
}

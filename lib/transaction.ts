import type { AdapterSession } from './driver.js';
import { TransactionAbortedError } from './errors.js';
import type { Pin } from './pin.js';

/**
 * Runs `body` as a transaction unit on the pinned session: BEGIN at the
 * outermost level, a SAVEPOINT inside one (also inside a transaction the caller
 * opened with a raw BEGIN, so that it is never committed behind the caller's
 * back). Sibling transactions on one pin run one after the other.
 */
export function runTransaction<T, H>(pin: Pin<H>, body: () => Promise<T> | T): Promise<T> {
  return pin.unit(true, (unit) => transact(pin, unit.depth - 1, body));
}

/**
 * One transaction level above `level` levels sqlpin already opened. A throw
 * rolls back to where this level began and is re-thrown unchanged. A body that
 * returns after the server aborted the transaction gets `TransactionAbortedError`;
 * where the server ended the whole transaction itself (a MySQL deadlock), its
 * error reaches every level and nothing is rolled back that no longer exists.
 * If a rollback fails the session's state is unknown: it is condemned.
 *
 * With `bodyMayBegin`, where no transaction is open the body is told to open
 * it itself (its argument is true), in the message of its first statement, and
 * it may commit in the message of its last: a round trip saved at each end.
 * Whatever it leaves open is committed here, as usual.
 */
export async function transact<T, H>(
  pin: Pin<H>,
  level: number,
  body: (begins: boolean) => Promise<T> | T,
  bodyMayBegin = false,
): Promise<T> {
  const { session } = pin;
  const savepoint = level === 0 && !session.inTransaction() ? undefined : pin.nextSavepoint();
  const bodyBegins = bodyMayBegin && savepoint === undefined;
  if (!bodyBegins) await session.query(savepoint === undefined ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
  let result: T;
  try {
    result = await body(bodyBegins);
  } catch (error) {
    // A body that begins may fail before its BEGIN, or in its COMMIT: then there is nothing to roll back.
    if (!bodyBegins || (await session.transactionState()).status !== 'idle') await rollBack(pin, savepoint);
    throw error;
  }
  const { status, failure } = await session.transactionState();
  if (status === 'failed') {
    await rollBack(pin, savepoint);
    throw new TransactionAbortedError(failure);
  }
  // The server ended the transaction on an error of its own: that error is the outcome of every level.
  if (status === 'idle' && failure !== undefined) throw failure;
  // A body that began the transaction committed it with its last statement, or never began one.
  if (bodyBegins && status === 'idle') return result;
  await session.query(savepoint === undefined ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
  return result;
}

/** Rolls back one level, unless the server already ended the transaction. */
async function rollBack<H>(pin: Pin<H>, savepoint: string | undefined): Promise<void> {
  const session: AdapterSession = pin.session;
  try {
    const { status, failure } = await session.transactionState();
    if (status === 'idle' && failure !== undefined) return;
    await session.query(savepoint === undefined ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`);
  } catch (rollbackError) {
    session.condemn();
    pin.report(rollbackError);
  }
}

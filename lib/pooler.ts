import type { TransactionPin } from './driver.js';
import { AbortError } from './errors.js';
import type { Pin } from './pin.js';
import { commit } from './transaction.js';
import type { TransactionMode } from './transaction-options.js';

/**
 * Behind a transaction-pooling proxy (`pooler: 'transaction'`) a client keeps
 * one server session only while a transaction is open, so a pinned callback
 * runs inside one: BEGIN first, and at the end the session state the callback
 * set is undone before COMMIT (or ROLLBACK after a throw), because the next
 * client of the proxy gets that server session. Nested `transaction` calls
 * become savepoints (the session reports the open transaction). The pin's id is the backend of this transaction.
 */
export async function pinByTransaction<T>(
  pin: Pin,
  statements: TransactionPin,
  mode: TransactionMode,
  body: () => Promise<T> | T,
): Promise<T> {
  const signal = pin.root.signal;
  const begin = [...pin.dialect.beginTransaction(mode), statements.afterBegin].join('; ');
  const { rows } = await pin.session.query<{ id: number | string }>(begin, undefined, { signal });
  pin.id = Number(rows[0]!.id);
  let result: T;
  try {
    result = await body();
  } catch (error) {
    await undo(pin, statements);
    throw error;
  }
  try {
    if (signal?.aborted) throw new AbortError(signal.reason);
    await commit(pin.session, statements.commit, signal);
  } catch (error) {
    // Typically a transaction the server had aborted: the callback's work is lost, and the caller hears why.
    await undo(pin, statements);
    throw error;
  }
  return result;
}

/** Rolls back and undoes session state; if even that fails, the session's state is unknown and it is destroyed. */
async function undo(pin: Pin, statements: TransactionPin): Promise<void> {
  // A broken session is destroyed on release, which ends its transaction on the server; a
  // COMMIT that failed ended it, and the undoing it carried ran before.
  if (!pin.session.isReusable() || !pin.session.inTransaction()) return;
  try {
    await pin.session.query(statements.rollback);
  } catch (error) {
    pin.session.condemn();
    pin.report(error);
  }
}

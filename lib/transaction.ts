import type { AbortSignalLike } from './signal.js';
import type { Fate } from './bound.js';
import type { DialectInfo } from './driver.js';
import {
  AbortError,
  ConnectionLostError,
  InvalidArgumentError,
  QueryTimeoutError,
  TransactionAbortedError,
  type CommitOutcome,
} from './errors.js';
import type { Pin } from './pin.js';
import { withRetries } from './retry.js';
import type { ManagedSession } from './session.js';
import { publishTransactionEvent } from './tracing.js';
import type { TransactionConfig } from './transaction-options.js';

/**
 * Runs `body` as a transaction unit on the pinned session: BEGIN at the
 * outermost level, a SAVEPOINT inside one (also inside a transaction the caller
 * opened with a raw BEGIN, so that it is never committed behind the caller's
 * back). Sibling transactions on one pin run one after the other.
 */
export function runTransaction<T, H>(pin: Pin<H>, body: () => Promise<T> | T, config: TransactionConfig): Promise<T> {
  return pin.transactionUnit((unit) => transact(pin, unit.depth - 1, body, config), config.signal);
}

/**
 * One transaction level above `level` levels sqlpin already opened. A throw
 * rolls back to where this level began and is re-thrown unchanged. A body that
 * returns after the server aborted the transaction gets `TransactionAbortedError`;
 * where the server ended the whole transaction itself (a MySQL deadlock), its
 * error reaches every level and nothing is rolled back that no longer exists.
 * If a rollback fails the session's state is unknown: it is condemned. An
 * aborted signal never lets a level commit.
 */
export async function transact<T, H>(pin: Pin<H>, level: number, body: () => Promise<T> | T, config: TransactionConfig): Promise<T> {
  const { session } = pin;
  const savepoint = level === 0 && !(await session.inTransactionNow()) ? undefined : pin.nextSavepoint();
  if (savepoint !== undefined && config.outermostOnly.length > 0) {
    throw new InvalidArgumentError(
      `a nested transaction (a savepoint) takes no ${config.outermostOnly.join(' or ')}; give it to the outermost one`,
    );
  }
  const signal = pin.current().signal;
  for (const statement of savepoint === undefined ? pin.dialect.beginTransaction(config.mode) : [`SAVEPOINT ${savepoint}`]) {
    await session.query(statement, undefined, { signal });
  }
  let result: T;
  try {
    result = await body();
    if (signal?.aborted) throw new AbortError(signal.reason);
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
  if (savepoint !== undefined) await session.query(`RELEASE SAVEPOINT ${savepoint}`, undefined, { signal });
  else await commit(session, 'COMMIT', signal);
  return result;
}

/**
 * Sends the text that commits a transaction. Cut (a timeout, an abort), the
 * COMMIT is waited for, within the cancel's grace: if it took effect the call
 * resolves, as if it had answered late; if not, the error says the
 * transaction was rolled back; past the grace, or with the link lost, it says
 * the outcome is unknown (and the session is not reused).
 */
export async function commit(session: ManagedSession, text: string, signal: AbortSignalLike | undefined): Promise<void> {
  try {
    await session.query(text, undefined, { signal });
  } catch (error) {
    if (error instanceof ConnectionLostError) throw new ConnectionLostError(error.cause, 'unknown');
    const fate = session.fateOf(error);
    if (fate === undefined) throw error;
    const end = await fate;
    if (end === 'ended') return;
    throw withOutcome(error, outcomeOf(end));
  }
}

/** What a cut statement's fate says of the transaction its COMMIT would have ended. */
export function outcomeOf(fate: Exclude<Fate, 'ended'>): CommitOutcome {
  return fate === 'failed' ? 'rolled back' : 'unknown';
}

/** The same cut error, saying what became of the transaction. */
export function withOutcome(error: unknown, outcome: CommitOutcome): unknown {
  if (error instanceof QueryTimeoutError) return new QueryTimeoutError(error.timeoutMillis, outcome);
  if (error instanceof AbortError) return new AbortError(error.cause, outcome);
  if (error instanceof ConnectionLostError) return new ConnectionLostError(error.cause, outcome);
  return error;
}

/** Rolls back one level, unless the server already ended the transaction; a rollback that fails condemns the session. */
export async function rollBack<H>(pin: Pin<H>, savepoint: string | undefined): Promise<void> {
  const { session } = pin;
  // A lost session is destroyed when it goes back, which ends its transaction on the server.
  if (!session.isReusable()) return;
  try {
    const { status, failure } = await session.transactionState();
    if (status === 'idle' && failure !== undefined) return;
    await session.query(savepoint === undefined ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`);
  } catch (rollbackError) {
    session.condemn();
    pin.report(rollbackError);
  }
}

/**
 * Runs a whole transaction, and again while the server rolls it back over a
 * conflict it says to retry (up to `config.retries` more times); each retry is
 * published on `sqlpin:transaction`. Never after a timeout, an abort, or a
 * session that cannot take another attempt.
 */
export function retried<T>(
  dialect: DialectInfo,
  config: TransactionConfig,
  session: () => ManagedSession | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  if (config.retries === 0) return attempt();
  return withRetries(attempt, {
    retries: config.retries,
    signal: config.signal,
    retryable: (error) => dialect.isRetryable(error) && session()?.isReusable() !== false,
    onRetry: (made, error) =>
      publishTransactionEvent(() => ({ event: 'retry', dialect: dialect.name, sessionId: session()?.id ?? 0, attempt: made, error })),
  });
}

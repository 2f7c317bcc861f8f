import { QueryTimeoutError } from './errors.js';

/** How long a cancelled statement may take to end before its session is given up as unknown. */
export const CANCEL_GRACE_MILLIS = 1_000;

/** What an adapter's session does when one of its statements runs past its time. */
export interface OverdueHandling {
  /** Cancels the running statement on the server, from a short-lived side connection. */
  cancel(): Promise<void>;
  /** Closes the session's link at once: the statement's fate, and so the session's state, is unknown. */
  abandon(): void;
  report(error: unknown): void;
}

/**
 * Bounds one statement: past `timeoutMillis` the caller gets `QueryTimeoutError`
 * at once, and the statement is cancelled on the server. `settled` resolves once
 * the statement ended, or after the grace when it did not and the session was
 * abandoned; until then the session must not be handed to anyone else.
 */
export function bounded<T>(
  running: Promise<T>,
  timeoutMillis: number,
  overdue: OverdueHandling,
  onTimeout: (error: QueryTimeoutError, settled: Promise<void>) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new QueryTimeoutError(timeoutMillis);
      reject(error);
      onTimeout(error, settleOrAbandon(running, overdue));
    }, timeoutMillis);
    running.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Cancels, then waits for the statement to end; abandons the session if it does not within the grace. */
function settleOrAbandon(running: Promise<unknown>, overdue: OverdueHandling): Promise<void> {
  const ended = running.then(
    () => true,
    () => true,
  );
  let grace: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (grace = setTimeout(() => resolve(false), CANCEL_GRACE_MILLIS)));
  // A cancel that fails (the side connection could not open) leaves the grace to decide.
  overdue.cancel().catch(overdue.report);
  return Promise.race([ended, expired]).then((endedInTime) => {
    clearTimeout(grace);
    if (!endedInTime) overdue.abandon();
  });
}

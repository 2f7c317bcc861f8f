import { QueryTimeoutError } from './errors.js';

/** How long a cancelled statement, and its cancel, may take to end before the session is given up as unknown. */
export const CANCEL_GRACE_MILLIS = 1_000;

/** What bounding one statement needs from its session. */
export interface Overdue {
  /** Cancels the running statement on the server; resolves once the server has taken the cancel. */
  cancel(): Promise<void>;
  /** Closes the session's link at once: the statement's fate, and so the session's state, is unknown. */
  abandon(reason: unknown): void;
}

/** How a bounded statement ends, as its session hears it. */
export interface BoundedOutcome<T> {
  ended(value: T): void;
  failed(error: unknown): void;
  /**
   * The statement ran past its time: the caller is told at once. `settled`
   * resolves once both the statement has ended and the server has taken the
   * cancel, so that the cancel can no longer land on a later statement; where
   * either takes longer than the grace, or the cancel fails, the session has
   * been abandoned instead (its link closed): never reused.
   */
  timedOut(error: QueryTimeoutError, settled: Promise<void>): void;
  /** After a timeout: how the statement itself ended, when it did. */
  readonly late: { ended(): void; failed(error: unknown): void };
}

/** Bounds one running statement: past `timeoutMillis` it is cancelled on the server (see `BoundedOutcome`). */
export function bounded<T>(running: Promise<T>, timeoutMillis: number, overdue: Overdue, outcome: BoundedOutcome<T>): void {
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    outcome.timedOut(new QueryTimeoutError(timeoutMillis), cancelAndWait(running, overdue));
  }, timeoutMillis);
  running.then(
    (value) => {
      if (late) return outcome.late.ended();
      clearTimeout(timer);
      outcome.ended(value);
    },
    (error: unknown) => {
      if (late) return outcome.late.failed(error);
      clearTimeout(timer);
      outcome.failed(error);
    },
  );
}

/** Cancels, then waits for the statement to end and the cancel to be taken; abandons the session past the grace. */
function cancelAndWait(running: Promise<unknown>, overdue: Overdue): Promise<void> {
  const ended = running.then(
    () => true,
    () => true,
  );
  const cancelled = overdue.cancel().then(
    () => true,
    (error: unknown) => {
      // The cancel may or may not have reached the server: it might still land on a later statement.
      overdue.abandon(error);
      return false;
    },
  );
  let grace: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (grace = setTimeout(() => resolve(false), CANCEL_GRACE_MILLIS)));
  return Promise.race([Promise.all([ended, cancelled]).then((both) => both.every(Boolean)), expired]).then((settled) => {
    clearTimeout(grace);
    if (!settled) overdue.abandon(new Error('a cancelled statement or its cancel did not end within the grace'));
  });
}

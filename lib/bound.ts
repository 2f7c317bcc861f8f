import type { AbortSignalLike } from './signal.js';
import { AbortError, QueryTimeoutError } from './errors.js';

/** How long a cut statement, and its cancel, may take to end before the session is given up as unknown. */
export const CANCEL_GRACE_MILLIS = 1_000;

/** How long a statement may run, and what may cancel it. */
export interface Bound {
  /** 0 for no time bound. */
  readonly timeoutMillis: number;
  readonly signal?: AbortSignalLike | undefined;
}

/** A statement's own limits as a call gives them; what it leaves out, the pool's settings fill in. */
export interface Limits {
  readonly timeoutMillis?: number | undefined;
  readonly signal?: AbortSignalLike | undefined;
  /**
   * A statement that must run to its end once asked for (restoring session
   * state, a step that can no longer block): no signal cuts it, the call's
   * included; its time bound still applies.
   */
  readonly finish?: boolean | undefined;
}

/** What became of a statement after it was cut (timed out or aborted): it ended, it failed, or the session was given up. */
export type Fate = 'ended' | 'failed' | 'abandoned';

/** What cutting a statement needs from its session. */
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
   * The statement ran past its time, or its signal was aborted: the caller is
   * told at once. `fate` resolves once both the statement has ended and the
   * server has taken the cancel, so that the cancel can no longer land on a
   * later statement; where either takes longer than the grace, or the cancel
   * fails, the session has been abandoned instead (its link closed).
   */
  cut(error: QueryTimeoutError | AbortError, fate: Promise<Fate>): void;
  /** After a cut: how the statement itself ended, when it did. */
  readonly late: { ended(): void; failed(error: unknown): void };
}

/** Bounds one running statement: past `timeoutMillis`, or once `signal` aborts, it is cut (see `BoundedOutcome`). */
export function bounded<T>(running: Promise<T>, bound: Bound, overdue: Overdue, outcome: BoundedOutcome<T>): void {
  const { timeoutMillis, signal } = bound;
  let cut = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  const cutWith = (error: QueryTimeoutError | AbortError) => {
    if (cut) return;
    cut = true;
    stop();
    outcome.cut(error, cancelAndWait(running, overdue));
  };
  const onAbort = () => cutWith(new AbortError(signal!.reason));
  if (timeoutMillis > 0) timer = setTimeout(() => cutWith(new QueryTimeoutError(timeoutMillis)), timeoutMillis);
  signal?.addEventListener('abort', onAbort, { once: true });
  running.then(
    (value) => {
      if (cut) return outcome.late.ended();
      stop();
      outcome.ended(value);
    },
    (error: unknown) => {
      if (cut) return outcome.late.failed(error);
      stop();
      outcome.failed(error);
    },
  );
}

/** Cancels, then waits for the statement to end and the cancel to be taken; abandons the session past the grace. */
function cancelAndWait(running: Promise<unknown>, overdue: Overdue): Promise<Fate> {
  const ended = running.then(
    (): Fate => 'ended',
    (): Fate => 'failed',
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
  const expired = new Promise<Fate>((resolve) => (grace = setTimeout(() => resolve('abandoned'), CANCEL_GRACE_MILLIS)));
  const settled = Promise.all([ended, cancelled]).then(([fate, taken]): Fate => (taken ? fate : 'abandoned'));
  return Promise.race([settled, expired]).then((fate) => {
    clearTimeout(grace);
    if (fate === 'abandoned') overdue.abandon(new Error('a cut statement or its cancel did not end within the grace'));
    return fate;
  });
}

/** The signal that aborts when either does; undefined when neither is given. Called for every statement on a pin: it allocates only for two signals. */
export function eitherSignal(first: AbortSignalLike | undefined, second: AbortSignalLike | undefined): AbortSignalLike | undefined {
  if (second === undefined || second === first) return first;
  if (first === undefined) return second;
  return AbortSignal.any([first, second] as AbortSignal[]);
}

/** Rejects before anything is sent when the signal has already aborted. */
export function checkSignal(signal: AbortSignalLike | undefined): void {
  if (signal?.aborted) throw new AbortError(signal.reason);
}

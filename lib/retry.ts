import type { AbortSignalLike } from './signal.js';
import { checkSignal } from './bound.js';

/** Attempts in all of sqlpin's own read-only steps, and no new attempt once this long has passed since the first. */
export const READ_RETRY_ATTEMPTS = 5;
export const READ_RETRY_WITHIN_MILLIS = 1_000;

/**
 * Runs sqlpin's own read-only steps, again when `retryable` says the server
 * aborted them with a transient conflict (a deadlock; on Galera also a
 * certification conflict): they change nothing, so running them again is
 * safe. Bounded in attempts and time; any other error goes to the caller at
 * once. Never used for a statement that changes data.
 */
export async function retryReads<T>(reads: () => Promise<T>, retryable: (error: unknown) => boolean, onRetry: () => void): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await reads();
    } catch (error) {
      const again = retryable(error) && attempt < READ_RETRY_ATTEMPTS && Date.now() - started < READ_RETRY_WITHIN_MILLIS;
      if (!again) throw error;
      onRetry();
      await backoff(attempt);
    }
  }
}

/** A short, growing, jittered pause before attempt `attempt + 1`, so that the conflicting work finishes first. */
export function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, (5 << attempt) * (0.5 + Math.random())));
}

/** What a transaction's retries need: how many, what may stop them, and what counts as a conflict to retry. */
export interface RetryPolicy {
  readonly retries: number;
  readonly signal: AbortSignalLike | undefined;
  /** The server rolled the attempt back over a conflict it says to retry, and the session can take another. */
  retryable(error: unknown): boolean;
  /** Told of each attempt that will be run again, before its pause. */
  onRetry(attempt: number, error: unknown): void;
}

/**
 * Runs `attempt`, and again, up to `retries` more times, after a short
 * jittered pause, while it fails with an error `retryable` accepts. Any other
 * error is re-thrown at once, the same object. The last conflict, once the
 * retries are spent, is re-thrown with `attempts`: how many ran.
 */
export async function withRetries<T>(attempt: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let made = 1; ; made++) {
    try {
      return await attempt();
    } catch (error) {
      if (policy.retries === 0 || !policy.retryable(error)) throw error;
      if (made > policy.retries) throw Object.assign(error as object, { attempts: made });
      policy.onRetry(made, error);
      await backoff(made);
      checkSignal(policy.signal);
    }
  }
}

import { SqlpinError } from '../../lib/index.js';
import { describeReason } from './process-watch.js';

/** How a call ended: its value, or what it rejected with. */
export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Waits for a call and keeps its outcome, whichever it is. */
export function settle<T>(work: Promise<T>): Promise<Settled<T>> {
  return work.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** One line for an outcome: `ok`, or the error's class, code and message. */
export function outcomeLabel(outcome: Settled<unknown>): string {
  return outcome.ok ? 'ok' : describeReason(outcome.error);
}

/** Counts of equal labels, for a comment that says what happened how often. */
export function tally(labels: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

/**
 * Why an error is not what the v0.3 contract lets a fault reach a caller as,
 * or undefined when it is: a SqlpinError with an ERR_ code, and, where the
 * fault came from the server or the driver (`needsCause`), the driver's error as its cause.
 */
export function untypedBecause(error: unknown, { needsCause = false } = {}): string | undefined {
  if (!(error instanceof SqlpinError)) return `not a SqlpinError: ${describeReason(error)}`;
  if (typeof error.code !== 'string' || !error.code.startsWith('ERR_'))
    return `a SqlpinError without an ERR_ code: ${describeReason(error)}`;
  if (needsCause && error.cause === undefined) return `no cause: ${describeReason(error)}`;
  return undefined;
}

/** `outcome: 'unknown'`: the error says sqlpin cannot know what the statement did. */
export function outcomeUnknown(error: unknown): boolean {
  return (error as { outcome?: unknown } | undefined)?.outcome === 'unknown';
}

/** What a cancel from outside (KILL QUERY, pg_cancel_backend) makes the server answer. */
const SERVER_CANCEL = new Set<unknown>(['57014', 1317]);

/**
 * Why an error is not how a statement cancelled from outside may reach its
 * caller, or undefined when it is. sqlpin passes server errors through as the
 * driver's own (as v0.2 does for every server error), so an outside cancel is
 * the server's cancel error itself (57014, errno 1317) — or, where it struck
 * between a call's statements, a typed error with the driver's as cause.
 */
export function notACancelAnswer(error: unknown): string | undefined {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  if (!(error instanceof SqlpinError) && (SERVER_CANCEL.has(code) || SERVER_CANCEL.has(errno))) return undefined;
  return untypedBecause(error, { needsCause: true });
}

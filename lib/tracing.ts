import { channel, tracingChannel } from 'node:diagnostics_channel';
import type { Dialect, QueryResult } from './driver.js';

/**
 * What `sqlpin:query` publishes for each statement sent, sqlpin's own included.
 * The channel adds `result` (with its `rowCount`) on `asyncEnd`, or `error` on `error`.
 */
export interface QueryTrace {
  readonly dialect: Dialect;
  readonly text: string;
  readonly sessionId: number;
  result?: QueryResult<unknown>;
  error?: unknown;
}

/** What `sqlpin:pool` publishes when a session opens, or is closed or destroyed, and why. */
export interface PoolEvent {
  readonly event: 'open' | 'close' | 'destroy';
  readonly dialect: Dialect;
  readonly sessionId: number;
  /** For close and destroy: why the session left the pool. */
  readonly reason?: string;
}

/** What `sqlpin:transaction` publishes: a transaction that will run again after a conflict the server said to retry. */
export interface TransactionEvent {
  readonly event: 'retry';
  readonly dialect: Dialect;
  readonly sessionId: number;
  /** The attempt that failed (1 for the first); the next one is `attempt + 1`. */
  readonly attempt: number;
  /** The server's error that ended the attempt (SQLSTATE 40001 / 40P01, errno 1213). */
  readonly error: unknown;
}

// The channels and the functions that publish on them are @internal: stripped from the published .d.ts,
// so that a consumer's types reach neither `node:diagnostics_channel` nor @types/node's generics for it,
// which changed their order and constraints between majors (20: <Store, Context>, 25+: <Context extends object, Store>).
// Both type arguments are QueryTrace, which satisfies either order.

/** @internal A `TracingChannel` named `sqlpin:query`: start, end, asyncStart, asyncEnd and error, as Node defines them. */
export const queryChannel = tracingChannel<QueryTrace, QueryTrace>('sqlpin:query');
/** @internal The `sqlpin:pool` channel of session lifecycle events. */
export const poolChannel = channel('sqlpin:pool');
/** @internal The `sqlpin:transaction` channel: retries. Aborts show as errors (`ERR_ABORTED`) of the statements on `sqlpin:query`. */
export const transactionChannel = channel('sqlpin:transaction');

/**
 * @internal
 * Runs one statement under the query channel. Callers check
 * `queryChannel.hasSubscribers` first, so that nobody listening costs nothing.
 */
export function traceQuery<Row>(
  dialect: Dialect,
  text: string,
  sessionId: number,
  run: () => Promise<QueryResult<Row>>,
): Promise<QueryResult<Row>> {
  return queryChannel.tracePromise(run, { dialect, text, sessionId });
}

/** @internal Publishes a lifecycle event, built only when someone listens. */
export function publishPoolEvent(event: () => PoolEvent): void {
  if (poolChannel.hasSubscribers) poolChannel.publish(event());
}

/** @internal Publishes a transaction event, built only when someone listens. */
export function publishTransactionEvent(event: () => TransactionEvent): void {
  if (transactionChannel.hasSubscribers) transactionChannel.publish(event());
}

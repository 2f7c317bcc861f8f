import { tracingChannel } from 'node:diagnostics_channel';
import type { Test } from 'tap';
import type { QueryTrace } from '../../lib/index.js';

/** The text of every statement sqlpin sends while the test runs, in order, and the message of every one that fails. */
export function recordStatements(t: Test): string[] {
  const sent: string[] = [];
  const channel = tracingChannel('sqlpin:query');
  const handlers = {
    start: (message: unknown) => sent.push((message as QueryTrace).text),
    end: () => undefined,
    asyncStart: () => undefined,
    asyncEnd: () => undefined,
    error: (message: unknown) => sent.push(String((message as { error?: { message?: unknown } }).error?.message)),
  };
  channel.subscribe(handlers);
  t.teardown(() => channel.unsubscribe(handlers));
  return sent;
}

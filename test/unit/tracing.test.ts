import { channel } from 'node:diagnostics_channel';
import t from 'tap';
import { publishPoolEvent, publishTransactionEvent } from '../../lib/tracing.js';

/** The diagnostics channels build an event only when someone listens, and deliver it as built. */

t.test('nobody listening: the event is never built', async (t) => {
  const build = () => {
    throw new Error('built with nobody listening');
  };
  t.doesNotThrow(() => publishPoolEvent(build));
  t.doesNotThrow(() => publishTransactionEvent(build));
});

t.test('someone listening: the event as built, on its own channel', async (t) => {
  for (const [name, publish] of [
    ['sqlpin:pool', publishPoolEvent],
    ['sqlpin:transaction', publishTransactionEvent],
  ] as const) {
    const seen: unknown[] = [];
    const listen = (message: unknown) => seen.push(message);
    channel(name).subscribe(listen);
    const event = { event: 'open', dialect: 'postgres', sessionId: 1 } as never;
    publish(() => event);
    channel(name).unsubscribe(listen);
    t.same(seen, [event], name);
    t.equal(seen[0], event, `${name}: the same object`);
  }
});

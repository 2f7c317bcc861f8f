import { tracingChannel } from 'node:diagnostics_channel';
import type { QueryTrace } from '../lib/index.js';

/** One statement of a call, as sent. */
export interface Step {
  readonly text: string;
  readonly millis: number;
}

/** Records every statement sqlpin sends while `op` runs: the texts, and the time from sending to the reply. */
export class Recorder {
  #steps: Step[] = [];
  readonly #started = new WeakMap<object, number>();
  readonly #channel = tracingChannel<unknown, QueryTrace>('sqlpin:query');
  readonly #handlers = {
    start: (context: QueryTrace) => {
      this.#started.set(context, performance.now());
    },
    end: () => {},
    asyncStart: () => {},
    asyncEnd: (context: QueryTrace) => this.#end(context),
    error: (context: QueryTrace) => this.#end(context),
  };

  constructor() {
    this.#channel.subscribe(this.#handlers);
  }

  async record(op: () => Promise<unknown>): Promise<{ total: number; steps: Step[] }> {
    this.#steps = [];
    const started = performance.now();
    await op();
    return { total: performance.now() - started, steps: this.#steps };
  }

  close(): void {
    this.#channel.unsubscribe(this.#handlers);
  }

  #end(context: QueryTrace): void {
    const started = this.#started.get(context);
    if (started !== undefined) this.#steps.push({ text: context.text, millis: performance.now() - started });
  }
}

import { withDeadline } from './measure.js';

/** How long closing one pool or connection may take before the run gives up on it. */
const CLOSE_LIMIT_MILLIS = 15_000;

/** What a workload opened, closed in reverse order even when the workload fails. */
export class Resources {
  readonly #closers: Array<{ what: string; close: () => Promise<unknown>; limitMillis: number }> = [];

  /** Registers `resource` to be closed by `close`, within `limitMillis`, and returns it. */
  add<T>(what: string, resource: T, close: (resource: T) => Promise<unknown>, limitMillis = CLOSE_LIMIT_MILLIS): T {
    this.#closers.push({ what, close: () => close(resource), limitMillis });
    return resource;
  }

  /**
   * Closes everything. A failure is reported and fails the run's exit code, but
   * does not hide the workload's own error or stop the rest from closing.
   */
  async closeAll(): Promise<void> {
    for (const { what, close, limitMillis } of this.#closers.splice(0).reverse()) {
      try {
        await withDeadline(close(), limitMillis, `closing ${what}`);
      } catch (error) {
        console.error(`bench: closing ${what} failed:`, error);
        process.exitCode = 1;
      }
    }
  }
}

import type { Dialect } from '../lib/index.js';
import type { Checklist } from './checklist.js';
import { withServer } from './embedded-postgres.js';
import { openScratch, type Scratch } from './scratch.js';
import { describeFailure } from './server-errors.js';
import { SERVER_NAMES, redact, unreachable } from './servers.js';

/**
 * Runs one example's work on one server, in a scratch namespace that is
 * dropped even when the work fails. An unreachable server, an unexpected
 * failure or a failed drop each become a ✗ line, never a crash. With no
 * PostgreSQL running and PG_URL not set, an embedded one serves the run.
 */
export async function onServer(dialect: Dialect, label: string, list: Checklist, work: (scratch: Scratch) => Promise<void>): Promise<void> {
  try {
    await withServer(dialect, (server) => onScratch(dialect, server, label, list, work));
  } catch (error) {
    list.check(false, `embedded ${SERVER_NAMES[dialect]}: ${describeFailure(error)}`);
  }
}

async function onScratch(
  dialect: Dialect,
  server: string,
  label: string,
  list: Checklist,
  work: (scratch: Scratch) => Promise<void>,
): Promise<void> {
  list.heading(`${SERVER_NAMES[dialect]} at ${redact(server)}`);
  let scratch: Scratch;
  try {
    scratch = await openScratch(dialect, label, server);
  } catch (error) {
    list.check(false, unreachable(dialect, error, server));
    return;
  }
  try {
    await work(scratch);
  } catch (error) {
    list.check(false, `unexpected failure: ${describeFailure(error)}`);
  } finally {
    try {
      await scratch.drop();
    } catch (error) {
      list.check(false, `could not drop ${scratch.name}: ${describeFailure(error)}`);
    }
  }
}

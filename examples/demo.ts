/**
 * The main job (`make demo`): on MySQL, then PostgreSQL, show that a plain
 * TRUNCATE of a referenced table fails, that the usual workaround spread over
 * two pooled calls fails and poisons a session, and that `db.truncate` works
 * and leaves every session clean. Exits non-zero if anything was unexpected.
 */
import type { Dialect } from '../lib/index.js';
import { loadFixture } from '../fixtures/load.js';
import { Checklist } from './checklist.js';
import { openScratch, type Scratch } from './scratch.js';
import { describeFailure } from './server-errors.js';
import { SERVER_NAMES, SERVER_URLS, redact, unreachable } from './servers.js';
import { withPool } from './sessions.js';
import { showTheBug } from './demo/bug.js';
import { DEMO_DIALECTS } from './demo/dialects.js';
import { showTheFix } from './demo/fix.js';
import { showTheRace } from './demo/race.js';

async function demonstrate(dialect: Dialect, list: Checklist): Promise<void> {
  list.heading(`${SERVER_NAMES[dialect]} at ${redact(SERVER_URLS[dialect])}`);
  let scratch: Scratch;
  try {
    scratch = await openScratch(dialect, 'demo');
  } catch (error) {
    list.check(false, unreachable(dialect, error));
    return;
  }
  const context = { dialect: DEMO_DIALECTS[dialect], scratch, list };
  try {
    list.note(`scratch ${dialect === 'mysql' ? 'database' : 'schema'} ${scratch.name}, fixture chain: parent <- child <- grandchild`);
    await withPool(scratch.url, { max: 1 }, (db) => loadFixture(db, 'chain'));
    await showTheBug(context);
    await showTheRace(context);
    await showTheFix(context);
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

const started = Date.now();
const list = new Checklist();
for (const dialect of ['mysql', 'postgres'] as const) await demonstrate(dialect, list);
console.log(`\n${list.summary()} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = list.failed === 0 ? 0 : 1;

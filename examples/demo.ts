/**
 * The main job (`make demo`): on MySQL, then PostgreSQL, show that a plain
 * TRUNCATE of a referenced table fails, that the usual workaround spread over
 * two pooled calls fails and poisons a session, and that `db.truncate` works
 * and leaves every session clean. Exits non-zero if anything was unexpected.
 */
import type { Dialect } from '../lib/index.js';
import { loadFixture } from '../fixtures/load.js';
import { Checklist } from './checklist.js';
import { onServer } from './on-server.js';
import { withPool } from './sessions.js';
import { showTheBug } from './demo/bug.js';
import { DEMO_DIALECTS } from './demo/dialects.js';
import { showTheFix } from './demo/fix.js';
import { showTheRace } from './demo/race.js';

async function demonstrate(dialect: Dialect, list: Checklist): Promise<void> {
  await onServer(dialect, 'demo', list, async (scratch) => {
    list.note(`scratch ${dialect === 'mysql' ? 'database' : 'schema'} ${scratch.name}, fixture chain: parent <- child <- grandchild`);
    await withPool(scratch.url, { max: 1 }, (db) => loadFixture(db, 'chain'));
    const context = { dialect: DEMO_DIALECTS[dialect], scratch, list };
    await showTheBug(context);
    await showTheRace(context);
    await showTheFix(context);
  });
}

const started = Date.now();
const list = new Checklist();
for (const dialect of ['mysql', 'postgres'] as const) await demonstrate(dialect, list);
console.log(`\n${list.summary()} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = list.failed === 0 ? 0 : 1;

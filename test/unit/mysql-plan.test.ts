/**
 * MySQL's truncate plan without a server: the statements that empty each
 * table, the probes, the turn locks and the session's restore, from what the
 * reads found. The server suites check what these statements do.
 */
import t from 'tap';
import type { TruncateConfig } from '../../lib/driver.js';
import { truncateConfig } from '../../lib/truncate.js';
import type { TableState } from '../../lib/truncate-plan.js';
import { deleteProbe, emptyStatements, qualified, releaseLocks, restoreSettings, turnLocks } from '../../dialects/mysql/plan.js';
import type { Dirty } from '../../dialects/mysql/probe.js';

/** The options as a truncate has them by default, with `changes`. */
const options = (changes: Partial<TruncateConfig> = {}) => truncateConfig(changes, 'truncate');

const dirty = (autoIncrement: number | null, state: Partial<TableState> = {}, name = 'events'): Dirty => ({
  schema: 'app',
  name,
  autoIncrement,
  state: { hasRows: true, counterAtStart: autoIncrement === null || autoIncrement <= 1, rows: 10, mustTruncate: false, ...state },
});

t.test('names are quoted with backticks, embedded ones doubled', async (t) => {
  t.equal(qualified({ schema: 'app', name: 'we`ird' }), '`app`.`we``ird`');
});

t.test('TRUNCATE restarts the counter; with restartIdentity: false a moved counter is put back where it was', async (t) => {
  t.same(emptyStatements(dirty(42), options()), ['TRUNCATE TABLE `app`.`events`']);
  t.same(emptyStatements(dirty(42), options({ restartIdentity: false })), [
    'TRUNCATE TABLE `app`.`events`',
    'ALTER TABLE `app`.`events` AUTO_INCREMENT = 42',
  ]);
  t.same(
    emptyStatements(dirty(1), options({ restartIdentity: false })),
    ['TRUNCATE TABLE `app`.`events`'],
    'a counter at 1: nothing to put back',
  );
  t.same(emptyStatements(dirty(null), options({ restartIdentity: false })), ['TRUNCATE TABLE `app`.`events`'], 'no counter');
});

t.test('DELETE keeps the counter; with restartIdentity a moved one is set back to 1', async (t) => {
  const deleting = options({ strategy: 'delete' });
  t.same(emptyStatements(dirty(42), deleting), ['DELETE FROM `app`.`events`', 'ALTER TABLE `app`.`events` AUTO_INCREMENT = 1']);
  t.same(emptyStatements(dirty(42), { ...deleting, restartIdentity: false }), ['DELETE FROM `app`.`events`']);
  t.same(emptyStatements(dirty(1), deleting), ['DELETE FROM `app`.`events`'], 'a counter at 1 stays');
  t.same(emptyStatements(dirty(null), deleting), ['DELETE FROM `app`.`events`']);
});

t.test("'auto' deletes up to the threshold when the counter stays, and truncates a table a DELETE would not leave right", async (t) => {
  const auto = options({ strategy: 'auto', restartIdentity: false });
  t.same(emptyStatements(dirty(42, { rows: 300 }), auto), ['DELETE FROM `app`.`events`']);
  t.same(emptyStatements(dirty(42, { rows: 301 }), auto), [
    'TRUNCATE TABLE `app`.`events`',
    'ALTER TABLE `app`.`events` AUTO_INCREMENT = 42',
  ]);
  t.same(emptyStatements(dirty(42, { rows: 1, mustTruncate: true }), auto)[0], 'TRUNCATE TABLE `app`.`events`');
  // A moved counter to restart: DDL either way, and TRUNCATE's is never slower (MYSQL_AUTO.counterReset < 0).
  t.same(emptyStatements(dirty(42, { rows: 1 }), options({ strategy: 'auto' })), ['TRUNCATE TABLE `app`.`events`']);
  t.same(emptyStatements(dirty(1, { rows: 1 }), options({ strategy: 'auto' })), ['DELETE FROM `app`.`events`']);
});

t.test('a DELETE of no row probes exactly the tables that are emptied by DELETE', async (t) => {
  t.same(deleteProbe(dirty(1), options({ strategy: 'delete' })), ['DELETE FROM `app`.`events` WHERE FALSE']);
  t.same(deleteProbe(dirty(1), options()), []);
  t.same(deleteProbe(dirty(1, { mustTruncate: true }), options({ strategy: 'delete' })), []);
});

t.test('one turn lock per database, in the order of their names, hex-only names within 64 characters; none on Galera', async (t) => {
  const tables = [dirty(1, {}, 'a'), { ...dirty(1, {}, 'b'), schema: 'zeta' }, { ...dirty(1, {}, 'c'), schema: "o'hara" }];
  const locks = turnLocks(tables, false);
  t.equal(locks.length, 3, 'app, zeta and the quoted one, each once');
  const lockOf = (table: Dirty) => turnLocks([table], false)[0];
  t.same(locks, [tables[0]!, tables[2]!, tables[1]!].map(lockOf), "in the order of the databases' names: app, o'hara, zeta");
  t.same(turnLocks([...tables].reverse(), false), locks, 'whatever the order of the tables');
  for (const lock of locks) t.match(lock, /^sqlpin_truncate_[0-9a-f]{40}$/);
  t.ok(locks.every((lock) => lock.length <= 64));
  t.same(turnLocks([dirty(1, {}, 'a'), dirty(1, {}, 'b')], false).length, 1, 'two tables of one database: one lock');
  t.same(turnLocks(tables, true), []);
});

t.test("the session's settings go back as they were, and the locks are freed in one statement", async (t) => {
  t.equal(restoreSettings({ checks: 1, locks: [] }), 'SET FOREIGN_KEY_CHECKS = 1');
  t.equal(restoreSettings({ checks: 0, locks: [] }), 'SET FOREIGN_KEY_CHECKS = 0');
  t.equal(restoreSettings({ checks: 1, locks: [] }, 50), 'SET FOREIGN_KEY_CHECKS = 1, lock_wait_timeout = 50');
  t.equal(releaseLocks({ checks: 1, locks: [] }), undefined);
  t.equal(releaseLocks({ checks: 1, locks: ['l1', 'l2'] }), "DO RELEASE_LOCK('l1'), RELEASE_LOCK('l2')");
});

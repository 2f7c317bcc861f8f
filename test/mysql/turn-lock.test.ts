import { randomBytes } from 'node:crypto';
import t from 'tap';
import type { LockTimeoutError } from '../../lib/index.js';
import { turnLocks } from '../../dialects/mysql/plan.js';
import { checkHolderNamed, namesLockHolders } from '../helpers/blockers.js';
import { TableHolder } from '../helpers/gates.js';
import { openHolder } from '../helpers/holder.js';
import { settle, untypedBecause } from '../helpers/outcomes.js';
import { createPair, PAIR, PAIR_ROWS, pairCounts, seedPair } from '../helpers/pair-tables.js';
import { scratchPool, until } from '../helpers/pools.js';
import { FaultProxy } from '../helpers/proxy.js';
import { watchProcess } from '../helpers/process-watch.js';
import { clientPort, waitUntilStuck } from '../helpers/server-view.js';
import { createScratch } from '../helpers/servers.js';
import { racyTries } from '../helpers/env.js';
import { recordStatements } from '../helpers/statements.js';

const TRIES = racyTries(30);

/**
 * MariaDB's lock waits of a truncate (issue 18 cases 2 and 3, issue 21): the
 * per-database turn lock (GET_LOCK) not granted in time, who is named as
 * holding the tables, and a turn lock left behind by a session whose link was cut.
 */
t.test('mysql: the lock waits of a truncate', async (t) => {
  const scratch = await createScratch('mysql', 'turn_lock');
  t.teardown(() => scratch.drop());
  await createPair(scratch);
  const [turn] = turnLocks([{ schema: scratch.name } as never], false);

  t.test(
    'the turn lock held by another truncate: LockTimeoutError naming its holder, nothing emptied, the session as it was',
    async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      const other = await openHolder(scratch);
      t.teardown(() => other.close());
      await other.query(`SELECT GET_LOCK('${turn}', 0)`);
      const outcome = await settle(db.truncate([...PAIR], { lockTimeoutMillis: 300 }));
      t.match(outcome, { ok: false, error: { code: 'ERR_LOCK_TIMEOUT', lockTimeoutMillis: 300 } }, 'LockTimeoutError');
      const blockers = outcome.ok ? [] : (outcome.error as LockTimeoutError).blockers;
      t.same(
        blockers.map((b) => b.id),
        [other.id],
        'the session holding the turn lock is named, and no other',
      );
      t.same(await pairCounts(scratch), PAIR_ROWS, 'nothing emptied');
      const [state] = (await db.query('SELECT @@foreign_key_checks AS fkc, @@lock_wait_timeout AS lwt, IS_USED_LOCK(?) AS used', [turn]))
        .rows;
      t.same(
        state,
        { fkc: 1, lwt: 86400, used: other.id },
        'FK checks and lock_wait_timeout restored; the turn lock is still the other one’s',
      );
    },
  );

  t.test('a bystander with an open transaction on another table is not named; the holder is where the server can tell', async (t) => {
    await seedPair(scratch);
    const db = scratchPool(t, scratch, { max: 1 });
    const holder = await openHolder(scratch);
    const bystander = await openHolder(scratch);
    t.teardown(() => Promise.all([holder.close(), bystander.close()]));
    await holder.query('BEGIN');
    await holder.query("INSERT INTO p (name) VALUES ('held')");
    await bystander.query('BEGIN');
    await bystander.query("INSERT INTO bystander (name) VALUES ('open')");
    const outcome = await settle(db.truncate([...PAIR], { lockTimeoutMillis: 300 }));
    t.match(outcome, { ok: false, error: { code: 'ERR_LOCK_TIMEOUT' } }, 'LockTimeoutError');
    const error = outcome.ok ? undefined : (outcome.error as LockTimeoutError);
    t.notOk(
      error?.blockers.some((b) => b.id === bystander.id),
      `the bystander (session ${bystander.id}) is not named: ${JSON.stringify(error?.blockers)}`,
    );
    checkHolderNamed(t, error, holder.id, await namesLockHolders(scratch), 'LockTimeoutError');
    await holder.query('ROLLBACK');
    await bystander.query('ROLLBACK');
  });

  t.test('a user without the LOCK TABLES privilege empties as the raw statements would', async (t) => {
    await seedPair(scratch);
    const user = `sqlpin_nolock_${randomBytes(4).toString('hex')}`;
    await scratch.admin('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', 'pw']);
    t.teardown(() => scratch.admin('DROP USER ?@?', [user, '%']));
    await scratch.admin(`GRANT SELECT, INSERT, DELETE, DROP, ALTER ON \`${scratch.name}\`.* TO ?@?`, [user, '%']);
    const url = new URL(scratch.url);
    [url.username, url.password] = [user, 'pw'];
    const db = scratchPool(t, { ...scratch, url: url.toString() }, { max: 1 });
    const sent = recordStatements(t);
    for (const strategy of ['truncate', 'delete'] as const) {
      await seedPair(scratch);
      await db.truncate([...PAIR], { strategy });
      t.same(await pairCounts(scratch), { ...PAIR_ROWS, p: 0, c: 0 }, `${strategy}: p and c emptied, nothing else`);
    }
    t.equal(sent.filter((text) => text.startsWith('LOCK TABLES')).length, 2, 'LOCK TABLES tried by each call');
    t.notOk(sent.includes('UNLOCK TABLES'), 'no UNLOCK TABLES: nothing was locked');
  });

  t.test(`a truncate whose link is cut while it waits leaves no turn lock held, ${TRIES} of ${TRIES}`, async (t) => {
    const proxy = await FaultProxy.start(scratch.url);
    t.teardown(() => proxy.close());
    const holder = await TableHolder.open(scratch);
    t.teardown(() => holder.close());
    const watch = watchProcess(t);
    const db = scratchPool(t, { ...scratch, url: proxy.route(scratch.url) }, { max: 1 });
    for (let i = 1; i <= TRIES; i++) {
      await seedPair(scratch);
      const id = await db.withConnection((conn) => conn.sessionId);
      await holder.hold('p', { forUpdate: true });
      const truncating = settle(db.truncate([...PAIR]));
      await waitUntilStuck(scratch, id);
      const port = await clientPort(scratch, id);
      t.ok(port !== undefined && proxy.cutLink(port), `try ${i}: the link was cut`);
      const outcome = await truncating;
      t.equal(outcome.ok ? 'resolved' : untypedBecause(outcome.error, { needsCause: true }), undefined, `try ${i}: a typed error`);
      // Before the holder lets go: the thread the client left must not keep the turn lock.
      const [lock] = await scratch.admin('SELECT IS_USED_LOCK(?) AS used', [turn]);
      t.equal(lock?.used, null, `try ${i}: the turn lock is free once the truncate has rejected`);
      await holder.release();
      await until(async () => (await scratch.admin('SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ?', [id])).length === 0);
      t.same(await pairCounts(scratch), PAIR_ROWS, `try ${i}: nothing emptied`);
      watch.check(t, `try ${i}`);
    }
  });
});

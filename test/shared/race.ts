import t from 'tap';
import { createScratch } from '../helpers/servers.js';
import { scratchPool, warm } from '../helpers/pools.js';
import { nextTwo, onSession, pinBoth, waitFor } from '../helpers/two-sessions.js';
import { createShapes, rowCounts, seed } from '../helpers/tables.js';
import { racyTries } from '../helpers/env.js';

/**
 * The bug sqlpin exists for, reproduced deterministically: a warmed fifo pool
 * of two sessions hands two one-shot queries in a row to two different
 * sessions, every time.
 */
const TRIES = racyTries(10);

/**
 * The race on the main MySQL server unless `server` is given (a Galera node).
 * `killQuery: false` leaves out the interrupted TRUNCATE: Galera runs a
 * TRUNCATE in total order isolation and refuses to KILL it.
 */
export function mysqlRaceSuite(server?: string, { killQuery = true } = {}): void {
  t.test('mysql: SET FOREIGN_KEY_CHECKS and TRUNCATE as two pooled calls', async (t) => {
    const scratch = await createScratch('mysql', 'race', server);
    t.teardown(() => scratch.drop());
    await createShapes(scratch);
    const db = scratchPool(t, scratch, { min: 2, max: 2, order: 'fifo' });
    await warm(db, 2);

    /** Holds both sessions at once and reads each one's id and FK checks. */
    const sessions = () =>
      pinBoth(db, async (conn) => ({
        id: conn.sessionId,
        checks: Number((await conn.query<{ v: number }>('SELECT @@foreign_key_checks AS v')).rows[0]!.v),
      }));

    t.test('two one-shot queries in a row run on two different sessions', async (t) => {
      const ids = [];
      for (let i = 0; i < 6; i++) ids.push(Number((await db.query<{ id: number }>('SELECT CONNECTION_ID() AS id')).rows[0]!.id));
      for (let i = 1; i < ids.length; i++) t.not(ids[i], ids[i - 1], `query ${i + 1} on another session than query ${i}`);
    });

    t.test(`the naive approach fails ${TRIES} of ${TRIES} and poisons the other session`, async (t) => {
      let failed = 0;
      for (let i = 0; i < TRIES; i++) {
        await seed(scratch, { parent: 2, child: 1 });
        // Which session each call lands on is fixed by the fifo order: the next two ids.
        const [setOn, truncateOn] = await nextTwo(db);
        const error = await db
          .query('SET FOREIGN_KEY_CHECKS = 0')
          .then(() => db.query('TRUNCATE parent'))
          .then(
            () => undefined,
            (e: { errno?: number }) => e,
          );
        if (error?.errno === 1701) failed++;
        const state = await sessions();
        const poisoned = state.filter((s) => s.checks === 0).map((s) => s.id);
        t.same(poisoned, [setOn], `try ${i + 1}: the SET's session ${setOn} has checks off; the TRUNCATE ran on ${truncateOn}`);
        t.not(setOn, truncateOn);
        t.equal((await rowCounts(scratch, ['parent'])).parent, 2, 'parent was not emptied');

        const orphan = await onSession(db, setOn, (conn) => conn.query("INSERT INTO child (parent_id, name) VALUES (999, 'orphan')")).then(
          () => 'inserted',
          () => 'refused',
        );
        t.equal(orphan, 'inserted', 'an orphan insert succeeds silently on the poisoned session');
        await onSession(db, setOn, (conn) => conn.query('SET FOREIGN_KEY_CHECKS = 1'));
      }
      t.equal(failed, TRIES, `errno 1701 in ${failed} of ${TRIES}`);
    });

    t.test(`db.truncate succeeds ${TRIES} of ${TRIES} and leaves every session clean`, async (t) => {
      let emptied = 0;
      for (let i = 0; i < TRIES; i++) {
        await seed(scratch, { parent: 2, child: 1 });
        await db.truncate('parent');
        if ((await rowCounts(scratch, ['parent'])).parent === 0) emptied++;
        t.same(
          (await sessions()).map((s) => s.checks),
          [1, 1],
          `try ${i + 1}: both sessions have checks on`,
        );
      }
      t.equal(emptied, TRIES);
      const refused = await pinBoth(db, (conn) =>
        conn.query("INSERT INTO child (parent_id, name) VALUES (999, 'orphan')").then(
          () => 0,
          (e: { errno?: number }) => e.errno,
        ),
      );
      t.same(refused, [1452, 1452], 'an orphan insert fails on every session');
    });

    if (killQuery)
      t.test('a TRUNCATE interrupted by KILL QUERY leaves no session with checks off', async (t) => {
        await seed(scratch, { parent: 2, child: 1 });
        // A READ lock lets sqlpin's own reads through and blocks the truncate where it waits: LOCK TABLES (MySQL locks every target first).
        await scratch.admin('LOCK TABLES parent READ');
        let waiting = 0;
        let error: { code?: string; cause?: { errno?: number } } | undefined;
        try {
          const truncating = db.truncate('parent').then(
            () => undefined,
            (e: { code?: string; cause?: { errno?: number } }) => e,
          );
          waiting = await waitFor(async () => {
            const rows = await scratch.admin(
              "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE (INFO LIKE 'TRUNCATE%' OR INFO LIKE 'LOCK TABLES%') AND DB = ?",
              [scratch.name],
            );
            return rows[0]?.id as number | undefined;
          });
          await scratch.admin(`KILL QUERY ${waiting}`);
          error = await truncating;
        } finally {
          await scratch.admin('UNLOCK TABLES');
        }
        t.match(
          error,
          { code: 'ERR_QUERY_CANCELLED', cause: { errno: 1317 } },
          'the truncate was interrupted (ER_QUERY_INTERRUPTED), typed',
        );
        t.same(
          (await sessions()).map((s) => s.checks),
          [1, 1],
          'every pooled session has checks on',
        );
        t.ok(
          (await sessions()).some((s) => s.id === waiting),
          'the interrupted session went back to the pool, restored',
        );
        t.same(await rowCounts(scratch, ['parent', 'child']), { parent: 2, child: 1 }, 'nothing was emptied');
      });
  });
}

import t from 'tap';
import type { Dialect, LockTimeoutError, SqlpinError } from '../../lib/index.js';
import { checkHolderNamed, namesLockHolders } from '../helpers/blockers.js';
import { createScratch, dialectSql } from '../helpers/servers.js';
import { scratchPool } from '../helpers/pools.js';
import { openHolder } from '../helpers/holder.js';
import { createShapes, rowCounts, seed } from '../helpers/tables.js';

/** What the session's lock wait setting reads when nothing changed it. */
const LOCK_SETTING: Readonly<Record<Dialect, string>> = {
  mysql: 'SELECT @@lock_wait_timeout AS value',
  postgres: "SELECT current_setting('lock_timeout') AS value",
};

/** `truncate(tables, { lockTimeoutMillis })` on one dialect. */
export function lockTimeoutsSuite(dialect: Dialect): void {
  const q = dialectSql[dialect];

  t.test(`${dialect}: truncate with lockTimeoutMillis`, async (t) => {
    const scratch = await createScratch(dialect, 'lock_timeouts');
    t.teardown(() => scratch.drop());
    await createShapes(scratch);

    t.test('a truncate blocked by an open transaction is rejected with the blocker named; nothing is emptied', async (t) => {
      await seed(scratch, { parent: 2, child: 1 });
      const db = scratchPool(t, scratch, { max: 1 });
      const settingBefore = (await db.query(LOCK_SETTING[dialect])).rows[0]!.value;
      const holder = await openHolder(scratch);
      t.teardown(() => holder.close());
      await holder.query('BEGIN');
      await holder.query("INSERT INTO parent (name) VALUES ('held')");

      const error = await db.truncate(['child', 'parent'], { lockTimeoutMillis: 300 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      t.equal((error as SqlpinError | undefined)?.code, 'ERR_LOCK_TIMEOUT', 'LockTimeoutError');
      const canTell = await namesLockHolders(scratch);
      checkHolderNamed(t, error, holder.id, canTell, 'LockTimeoutError');
      if (canTell) {
        const blocker = (error as LockTimeoutError).blockers.find((b) => b.id === holder.id);
        t.type(blocker?.seconds, 'number');
        t.ok(blocker?.user, 'the blocker has a user');
        t.match((error as Error | undefined)?.message, new RegExp(`session .*${holder.id}`), 'the message names it');
      }

      await holder.query('ROLLBACK');
      t.same(await rowCounts(scratch, ['parent', 'child']), { parent: 2, child: 1 }, 'rows intact');
      const after = await db.withConnection(async (conn) => ({
        checks: String((await conn.query(q.foreignKeyChecks)).rows[0]!.value),
        setting: (await conn.query(LOCK_SETTING[dialect])).rows[0]!.value,
      }));
      t.equal(after.checks, dialect === 'mysql' ? '1' : 'origin', 'FK checks are on on the session');
      t.equal(after.setting, settingBefore, 'the lock wait setting is restored');
    });

    t.test('with several tables, a blocked one leaves the others intact too', async (t) => {
      await seed(scratch, { parent: 2, bystander: 3 });
      const db = scratchPool(t, scratch, { max: 1 });
      const holder = await openHolder(scratch);
      t.teardown(() => holder.close());
      await holder.query('BEGIN');
      await holder.query("INSERT INTO parent (name) VALUES ('held')");
      await t.rejects(db.truncate(['bystander', 'parent'], { lockTimeoutMillis: 300 }), { code: 'ERR_LOCK_TIMEOUT' });
      await holder.query('ROLLBACK');
      t.same(
        await rowCounts(scratch, ['bystander', 'parent']),
        { bystander: 3, parent: 2 },
        'nothing emptied, the unblocked table included',
      );
      await db.truncate(['bystander', 'parent'], { lockTimeoutMillis: 300 });
      t.same(await rowCounts(scratch, ['bystander', 'parent']), { bystander: 0, parent: 0 }, 'once the blocker is gone, both are emptied');
    });

    t.test('a truncate whose locks come in time empties as usual', async (t) => {
      await seed(scratch, { parent: 2 });
      const db = scratchPool(t, scratch, { max: 1 });
      await db.truncate('parent', { lockTimeoutMillis: 300 });
      t.same(await rowCounts(scratch, ['parent']), { parent: 0 });
    });

    t.test('a bad lockTimeoutMillis is refused before anything is sent', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      for (const value of [-1, 2.5, '300', null]) {
        await t.rejects(
          db.truncate('parent', { lockTimeoutMillis: value as never }),
          { code: 'ERR_INVALID_ARGUMENT' },
          JSON.stringify(value),
        );
      }
    });
  });
}

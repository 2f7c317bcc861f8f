import t from 'tap';
import type { Dialect } from '../../lib/index.js';
import { createScratch, dialectSql } from '../helpers/servers.js';
import { scratchPool, sleep, until } from '../helpers/pools.js';
import { createShapes, rowCounts, seed } from '../helpers/tables.js';

/** maxUses and maxLifetimeMillis on a real server: sessions retire between borrows, never during one. */
export function lifetimeSuite(dialect: Dialect): void {
  const q = dialectSql[dialect];

  t.test(`${dialect}: session lifetimes`, async (t) => {
    const scratch = await createScratch(dialect, 'lifetime');
    t.teardown(() => scratch.drop());
    await createShapes(scratch);
    const listed = async (id: number) => (await scratch.admin(q.listsSession(id))).length > 0;

    t.test('maxUses: a session lent that many times is closed when it comes back', async (t) => {
      const db = scratchPool(t, scratch, { max: 1, maxUses: 3 });
      const ids: number[] = [];
      for (let i = 0; i < 8; i++) ids.push(await db.withConnection((conn) => conn.sessionId));
      const [a, b, c] = [ids[0]!, ids[3]!, ids[6]!];
      t.same(ids, [a, a, a, b, b, b, c, c], 'three borrows per session');
      t.equal(new Set([a, b, c]).size, 3, 'each retirement opened a new session');
      await until(async () => !(await listed(a)) && !(await listed(b)));
      t.ok(await listed(c), 'the session with a use left is still open');
      t.equal(db.stats().size, 1);
    });

    t.test('maxLifetimeMillis never cuts work short; the next borrow gets a fresh session', async (t) => {
      const db = scratchPool(t, scratch, { max: 1, maxLifetimeMillis: 150 });
      const first = await db.withConnection(async (conn) => {
        await conn.query(q.setVariable);
        const before = Number((await conn.query<{ id: number }>(q.sessionId)).rows[0]!.id);
        // Outlive the lifetime in the middle of the callback, inside a transaction.
        await conn.transaction(async (tx) => {
          await tx.query('SELECT 1');
          await sleep(300);
          await tx.query('SELECT 1');
        });
        const after = Number((await conn.query<{ id: number }>(q.sessionId)).rows[0]!.id);
        const marker = (await conn.query<{ value: string }>(q.getVariable)).rows[0]!.value;
        t.equal(after, before, 'the same session before and after the lifetime ran out');
        t.equal(marker, 'set', 'session state survived inside the callback');
        return before;
      });
      const second = await db.withConnection((conn) => conn.sessionId);
      t.not(second, first, 'the expired session was retired when it came back');
      await until(async () => !(await listed(first)));
    });

    t.test('an idle session whose lifetime ended is not handed out', async (t) => {
      const db = scratchPool(t, scratch, { max: 2, maxLifetimeMillis: 150 });
      const first = await db.withConnection((conn) => conn.sessionId);
      await sleep(300);
      const second = await db.withConnection((conn) => conn.sessionId);
      t.not(second, first);
      await until(async () => !(await listed(first)));
    });

    t.test('the pool keeps serving mixed work across many retirements', async (t) => {
      const db = scratchPool(t, scratch, { max: 3, maxUses: 4, maxLifetimeMillis: 40 });
      const seen = new Set<number>();
      let truncates = 0;
      const caller = async (n: number) => {
        for (let i = 0; i < 25; i++) {
          switch ((n + i) % 4) {
            case 0:
              seen.add(Number((await db.query<{ id: number }>(q.sessionId)).rows[0]!.id));
              break;
            case 1:
              await db.transaction(async (tx) => {
                seen.add(tx.sessionId);
                await tx.query('SELECT 1');
              });
              break;
            case 2:
              await db.withConnection(async (conn) => {
                const id = conn.sessionId;
                await conn.query(q.setVariable);
                await sleep(5);
                t.equal(Number((await conn.query<{ id: number }>(q.sessionId)).rows[0]!.id), id);
              });
              break;
            default:
              await db.truncate('bystander');
              truncates++;
          }
        }
      };
      await seed(scratch, { bystander: 3 });
      await Promise.all([0, 1, 2, 3].map(caller));
      t.ok(seen.size > 3, `${seen.size} sessions served 100 operations on a pool of 3`);
      t.equal(truncates, 25);
      t.same(await rowCounts(scratch, ['bystander']), { bystander: 0 });
      t.ok(db.stats().size <= 3, 'never more sessions than max');
    });
  });
}

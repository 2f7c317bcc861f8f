import t from 'tap';
import { testPool, until } from '../helpers/pools.js';
import { createScratch, scratchUrlOn } from '../helpers/servers.js';
import { createShapes, seed } from '../helpers/tables.js';
import { startMariadbReplica } from './mariadb-replica.js';

/**
 * A MariaDB primary/replica pair: what the primary writes reaches the
 * replica, and the replica refuses writes from a non-root user with 1290
 * (ER_OPTION_PREVENTS_STATEMENT: --read-only), truncates with
 * ReadOnlyServerError; root would bypass it.
 */
const pair = await startMariadbReplica();
t.teardown(() => pair.stop());
t.comment(`MariaDB primary/replica ready in ${pair.startupSeconds} s`);

t.test('mariadb replica: replicated, and read-only for a non-root user', async (t) => {
  const scratch = await createScratch('mysql', 'replica', pair.urls.primary);
  t.teardown(() => scratch.drop());
  await createShapes(scratch);
  await seed(scratch, { parent: 2 });
  const replica = testPool(t, scratchUrlOn(scratch, pair.urls.replicaUser), { max: 1 });
  await until(async () => {
    const rows = await replica.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM parent').catch(() => undefined);
    return Number(rows?.rows[0]?.n) === 2;
  });
  t.equal(
    Number((await replica.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM parent')).rows[0]!.n),
    2,
    "the primary's rows reached the replica",
  );
  const user = (await replica.query<{ u: string }>('SELECT CURRENT_USER() AS u')).rows[0]!.u;
  t.match(user, /^sqlpin@/, 'connected as the non-root user');
  const errno = (work: Promise<unknown>) =>
    work.then(
      () => undefined,
      (e: { errno?: number }) => e.errno,
    );
  t.equal(await errno(replica.query("INSERT INTO bystander (name) VALUES ('x')")), 1290, 'an insert is refused');
  await t.rejects(
    replica.truncate('parent'),
    { code: 'ERR_READ_ONLY', cause: { errno: 1290 } },
    'a truncate is refused with ReadOnlyServerError, the 1290 as its cause',
  );
  const checks = await replica.withConnection(async (conn) =>
    Number((await conn.query<{ v: unknown }>('SELECT @@foreign_key_checks AS v')).rows[0]!.v),
  );
  t.equal(checks, 1, 'the refused truncate restored FOREIGN_KEY_CHECKS');
  t.equal(Number((await replica.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM parent')).rows[0]!.n), 2, 'nothing was emptied');
});

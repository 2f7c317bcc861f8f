import t from 'tap';
import { testPool, until } from '../helpers/pools.js';
import { createScratch, scratchUrlOn } from '../helpers/servers.js';
import { createShapes, seed } from '../helpers/tables.js';
import { startPostgresReplica } from './postgres-replica.js';

/**
 * A PostgreSQL primary and a streaming hot standby: what the primary commits
 * reaches the standby, and the standby refuses writes with 25006
 * (read_only_sql_transaction) and truncates with ReadOnlyServerError.
 */
const pair = await startPostgresReplica();
t.teardown(() => pair.stop());
t.comment(`PostgreSQL primary/standby ready in ${pair.startupSeconds} s`);

t.test('postgres replica: streamed, and read-only', async (t) => {
  const scratch = await createScratch('postgres', 'replica', pair.urls.primary);
  t.teardown(() => scratch.drop());
  await createShapes(scratch);
  await seed(scratch, { parent: 2 });
  const replica = testPool(t, scratchUrlOn(scratch, pair.urls.replica), { max: 1 });
  await until(async () => {
    const rows = await replica.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM parent').catch(() => undefined);
    return Number(rows?.rows[0]?.n) === 2;
  });
  t.equal(
    Number((await replica.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM parent')).rows[0]!.n),
    2,
    "the primary's rows reached the standby",
  );
  await t.rejects(replica.query("INSERT INTO bystander (name) VALUES ('x')"), { code: '25006' }, 'an insert is refused');
  await t.rejects(
    replica.truncate('parent', { cascade: true }),
    { code: 'ERR_READ_ONLY' },
    'a truncate is refused with ReadOnlyServerError',
  );
  t.equal(
    Number((await replica.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM parent')).rows[0]!.n),
    2,
    'nothing was emptied, the session still works',
  );
});

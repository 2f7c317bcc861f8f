import { randomBytes } from 'node:crypto';
import t from 'tap';
import pg from 'pg';
import { createPool, type Pool } from '../../lib/index.js';
import { SERVER_URLS } from '../helpers/servers.js';
import { PGBOUNCER_POOL_SIZE, startPgBouncer } from './pgbouncer.js';

/**
 * sqlpin behind a throwaway PgBouncer, transaction mode, default_pool_size 2.
 * The workload is bounded by count, not time: 8 concurrent callers, 40
 * operations each, cycling through one-shot query, transaction, truncate and
 * withConnection. Run with pooler: 'transaction', then without it, to show
 * what a user who forgets the option gets.
 */
const CALLERS = 8;
const OPERATIONS = 40;

/** What one run of the workload saw. */
interface Tally {
  operations: number;
  /** Errors by SQLSTATE / code; 26000 and 42P05 are the named-statement failures. */
  errors: Record<string, number>;
  /** One-shot reads that saw session_replication_role or statement_timeout changed by another caller. */
  leakedState: number;
  /** withConnection callbacks whose statements ran on more than one server session, or not on sessionId's. */
  splitPins: number;
  /** Truncates whose tables still held rows afterwards. */
  truncatesLeavingRows: number;
  truncates: number;
  /** Session-level advisory locks a withConnection callback took (and left for sqlpin to undo). */
  advisoryLocks: number;
}

t.test('pgbouncer, transaction mode', async (t) => {
  const bouncer = await startPgBouncer();
  t.teardown(() => bouncer.stop());
  t.comment(`PgBouncer answering in ${bouncer.startupSeconds} s`);
  const schema = `sqlpin_pgbouncer_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: SERVER_URLS.postgres });
  await admin.connect();
  t.teardown(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });
  await admin.query(`CREATE SCHEMA ${schema}`);
  for (let n = 0; n < CALLERS; n++) {
    await admin.query(`CREATE TABLE ${schema}.parent${n} (id SERIAL PRIMARY KEY)`);
    await admin.query(
      `CREATE TABLE ${schema}.child${n} (id SERIAL PRIMARY KEY, parent_id INT NOT NULL REFERENCES ${schema}.parent${n} (id))`,
    );
  }

  const workload = async (db: Pool): Promise<Tally> => {
    const tally: Tally = {
      operations: 0,
      errors: {},
      leakedState: 0,
      splitPins: 0,
      truncatesLeavingRows: 0,
      truncates: 0,
      advisoryLocks: 0,
    };
    const caller = async (n: number) => {
      const [parent, child] = [`${schema}.parent${n}`, `${schema}.child${n}`];
      for (let i = 0; i < OPERATIONS; i++) {
        tally.operations++;
        try {
          switch ((n + i) % 4) {
            case 0: {
              const { rows } = await db.query<{ role: string; timeout: string }>(
                "SELECT current_setting('session_replication_role') AS role, current_setting('statement_timeout') AS timeout",
              );
              if (rows[0]!.role !== 'origin' || rows[0]!.timeout !== '0') tally.leakedState++;
              break;
            }
            case 1:
              await db.transaction(async (tx) => {
                const { rows } = await tx.query<{ id: number }>(`INSERT INTO ${parent} DEFAULT VALUES RETURNING id`);
                await tx.query(`INSERT INTO ${child} (parent_id) VALUES ($1)`, [rows[0]!.id]);
              });
              break;
            case 2: {
              await db.truncate([child, parent]);
              tally.truncates++;
              const { rows } = await db.query<{ n: string }>(
                `SELECT (SELECT count(*) FROM ${parent}) + (SELECT count(*) FROM ${child}) AS n`,
              );
              if (Number(rows[0]!.n) !== 0) tally.truncatesLeavingRows++;
              break;
            }
            default:
              await db.withConnection(async (conn) => {
                // Session state a careless callback leaves behind: it must not reach other callers.
                await conn.query('SET session_replication_role = replica');
                await conn.query("SET statement_timeout = '12345'");
                await conn.query('CREATE TEMP TABLE scratch (x int)');
                // try, not wait: without the option a lock leaks onto a server session and is never released,
                // and a caller waiting for it on another server session would wait for ever.
                const { rows: locked } = await conn.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(42) AS locked');
                if (locked[0]!.locked) tally.advisoryLocks++;
                const pids = new Set<number>();
                for (let k = 0; k < 3; k++)
                  pids.add(Number((await conn.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
                await conn.transaction((tx) => tx.query(`INSERT INTO ${parent} DEFAULT VALUES`));
                if (pids.size !== 1 || !pids.has(conn.sessionId)) tally.splitPins++;
              });
          }
        } catch (error) {
          const code = String((error as { code?: unknown }).code ?? (error as Error).message);
          tally.errors[code] = (tally.errors[code] ?? 0) + 1;
        }
      }
    };
    await Promise.all(Array.from({ length: CALLERS }, (_, n) => caller(n)));
    return tally;
  };

  /** Holds every server session of PgBouncer's pool at once and reads what each was left with. */
  const serverSessions = async () => {
    const direct = new pg.Pool({ connectionString: bouncer.urls.transaction, max: PGBOUNCER_POOL_SIZE });
    try {
      let arrived = 0;
      let open!: () => void;
      const all = new Promise<void>((resolve) => (open = resolve));
      return await Promise.all(
        Array.from({ length: PGBOUNCER_POOL_SIZE }, async () => {
          const client = await direct.connect();
          try {
            await client.query('BEGIN');
            const { rows } = await client.query<{ pid: number; role: string; timeout: string; temps: string; locks: string }>(
              `SELECT pg_backend_pid() AS pid, current_setting('session_replication_role') AS role, current_setting('statement_timeout') AS timeout,
                      (SELECT count(*) FROM pg_class WHERE relpersistence = 't' AND pg_table_is_visible(oid)) AS temps,
                      (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS locks`,
            );
            if (++arrived === PGBOUNCER_POOL_SIZE) open();
            await all;
            await client.query('COMMIT');
            return rows[0]!;
          } finally {
            client.release();
          }
        }),
      );
    } finally {
      await direct.end();
    }
  };

  t.test(`with pooler: 'transaction': ${CALLERS} callers x ${OPERATIONS} operations`, async (t) => {
    const reported: unknown[] = [];
    const db = createPool({ url: bouncer.urls.transaction, max: CALLERS, pooler: 'transaction', onError: (e) => reported.push(e) });
    t.teardown(() => db.close());
    const tally = await workload(db);
    t.comment(JSON.stringify(tally));
    t.equal(tally.operations, CALLERS * OPERATIONS);
    t.same(tally.errors, {}, 'no errors at all: no 26000 / 42P05');
    t.equal(tally.leakedState, 0, 'no caller saw session state set by another');
    t.equal(tally.splitPins, 0, 'every withConnection ran on one server session, the one sessionId names');
    t.equal(tally.truncatesLeavingRows, 0, `all ${tally.truncates} truncates emptied their tables`);
    t.ok(tally.truncates > 0);
    t.ok(tally.advisoryLocks > 0, `${tally.advisoryLocks} advisory locks taken, each to be undone`);
    const sessions = await serverSessions();
    t.equal(new Set(sessions.map((s) => s.pid)).size, PGBOUNCER_POOL_SIZE, 'both server sessions inspected');
    t.same(
      sessions.map((s) => [s.role, s.timeout, Number(s.temps), Number(s.locks)]),
      sessions.map(() => ['origin', '0', 0, 0]),
      'no server session kept session_replication_role, statement_timeout, a temp table or an advisory lock',
    );
    t.same(reported, [], 'nothing reported');
  });

  t.test('withConnection pins one server session and leaves nothing behind', async (t) => {
    const db = createPool({ url: bouncer.urls.transaction, max: 4, pooler: 'transaction' });
    t.teardown(() => db.close());
    const failed = await db
      .withConnection(async (conn) => {
        await conn.query('SET session_replication_role = replica');
        await conn.query('SELECT pg_advisory_lock(7)');
        await conn.query('SELECT 1/0');
      })
      .catch((e: { code?: string }) => e.code);
    t.equal(failed, '22012', "the callback's error, unchanged");
    const nested = await db.withConnection(async (conn) => {
      await conn.query(`INSERT INTO ${schema}.parent0 DEFAULT VALUES`);
      const inner = await conn
        .transaction(async (tx) => {
          await tx.query(`INSERT INTO ${schema}.parent0 DEFAULT VALUES`);
          throw new Error('undo the savepoint only');
        })
        .catch((e: Error) => e.message);
      return { inner, rows: Number((await conn.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.parent0`)).rows[0]!.n) };
    });
    t.equal(nested.inner, 'undo the savepoint only');
    t.ok(nested.rows >= 1, 'a nested transaction is a savepoint inside the pinning transaction');
    const sessions = await serverSessions();
    t.same(
      sessions.map((s) => [s.role, Number(s.locks)]),
      sessions.map(() => ['origin', 0]),
      'state from a failed callback was undone too',
    );
  });

  t.test(`without the option: what a user gets (${CALLERS} callers x ${OPERATIONS} operations)`, async (t) => {
    const reported: Error[] = [];
    const db = createPool({ url: bouncer.urls.transaction, max: CALLERS, onError: (e) => reported.push(e as Error) });
    t.teardown(() => db.close());
    const tally = await workload(db);
    t.comment(JSON.stringify(tally));
    t.equal(reported.length, 1, 'one clear warning');
    t.match(reported[0]?.message, /connection pooler.*pooler: 'transaction'/s);
    t.notOk(
      tally.errors['26000'] ?? tally.errors['42P05'],
      "sqlpin's own statements never fail with 26000 / 42P05: it stopped naming them",
    );
    t.equal(tally.truncatesLeavingRows, 0, 'truncate still empties its tables');
    // The leaked state stays on PgBouncer's server sessions until it stops, at teardown.
  });
});

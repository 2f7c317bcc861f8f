import t from 'tap';
import { createPool, sql, SqlpinError, type Connection, type Dialect, type Pool } from '../../lib/index.js';
import { createScratch, dialectSql, type Scratch } from '../helpers/servers.js';

/** `make soak` sets SQLPIN_SOAK=long; `make test` runs the short soak. */
const LONG = process.env.SQLPIN_SOAK === 'long';
const TOTAL = LONG ? 20_000 : 300;
/** Operations in flight at once; the short soak launches every operation together. */
const CONCURRENCY = LONG ? 200 : TOTAL;
/** No operation starts after this; the ones started still settle. */
const LAUNCH_WINDOW_MILLIS = LONG ? 300_000 : 60_000;
const POOL_MAX = 4;
const LEDGER_ROWS = 500;

const KINDS = [
  'truncate',
  'truncate-cascade',
  'insert',
  'insert-child',
  'pinned',
  'nested-transaction',
  'rollback',
  'truncate-in-transaction',
] as const;
type Kind = (typeof KINDS)[number];
const WEIGHTS: Readonly<Record<Kind, number>> = {
  truncate: 10,
  'truncate-cascade': 5,
  insert: 20,
  'insert-child': 15,
  pinned: 15,
  'nested-transaction': 15,
  rollback: 10,
  'truncate-in-transaction': 10,
};

/** Outcomes the contract allows, besides 'ok', for each kind of operation on each dialect. */
const EXPECTED: Readonly<Record<Dialect, Partial<Record<Kind, readonly string[]>>>> = {
  mysql: {
    // MariaDB refuses a TRUNCATE at once with errno 1205, not after innodb_lock_wait_timeout,
    // when a concurrent transaction holds locks on a table whose foreign key references it.
    truncate: ['lock-wait-timeout'],
    'truncate-cascade': ['lock-wait-timeout'],
    'insert-child': ['fk-rejected'],
    'nested-transaction': ['fk-rejected'],
    rollback: ['rolled-back'],
    'truncate-in-transaction': ['refused-in-transaction'],
  },
  postgres: {
    truncate: ['foreign-key-truncate'],
    'insert-child': ['fk-rejected'],
    'nested-transaction': ['fk-rejected'],
    rollback: ['rolled-back'],
  },
};

/** What a deliberate rollback throws: a rejection with it, and nothing else, counts as rolled back. */
class Rollback extends Error {}

/** A small seeded PRNG (mulberry32): SQLPIN_SOAK_SEED replays the same sequence of operations (not their interleaving). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

function pickKind(next: () => number): Kind {
  const total = KINDS.reduce((sum, kind) => sum + WEIGHTS[kind], 0);
  let roll = next() * total;
  for (const kind of KINDS) {
    roll -= WEIGHTS[kind];
    if (roll < 0) return kind;
  }
  return KINDS[KINDS.length - 1]!;
}

/** Names an operation's failure: an outcome the contract allows, a deadlock the server resolved, or the raw error. */
function classify(dialect: Dialect, error: unknown): string {
  if (error instanceof Rollback) return 'rolled-back';
  if (error instanceof SqlpinError) {
    if (error.code === 'ERR_FOREIGN_KEY_TRUNCATE') return 'foreign-key-truncate';
    if (error.code === 'ERR_TRUNCATE_IN_TRANSACTION') return 'refused-in-transaction';
    return `unexpected ${error.code}: ${error.message}`;
  }
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  if (dialect === 'mysql' ? errno === 1213 : code === '40P01') return 'deadlock';
  if (dialect === 'mysql' ? errno === 1452 : code === '23503') return 'fk-rejected';
  if (dialect === 'mysql' && errno === 1205) return 'lock-wait-timeout';
  return `unexpected ${String(code)}: ${error instanceof Error ? error.message : String(error)}`;
}

/** Session ids among `ids` that the server says are inside an open transaction. */
async function openTransactions(scratch: Scratch, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows =
    scratch.dialect === 'mysql'
      ? await scratch.admin(
          `SELECT trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id IN (${ids.map(() => '?').join(', ')})`,
          [...ids],
        )
      : await scratch.admin(`SELECT pid AS id FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND pid = ANY($1::int[])`, [
          [...ids],
        ]);
  return rows.map((row) => Number(row.id));
}

async function ledgerFigures(scratch: Scratch): Promise<{ ledger: number; ledgerSum: number; ledgerRefs: number }> {
  const [row] = await scratch.admin(
    'SELECT (SELECT COUNT(*) FROM ledger) AS ledger, (SELECT SUM(id) FROM ledger) AS sum, (SELECT COUNT(*) FROM ledger_ref) AS refs',
  );
  return { ledger: Number(row!.ledger), ledgerSum: Number(row!.sum), ledgerRefs: Number(row!.refs) };
}

/**
 * A bounded soak on a pool of max 4: truncates with and without cascade race
 * inserts, pinned work, nested transactions and deliberate rollbacks. It
 * stops by itself (count and launch window), then checks that every session
 * came back clean and that no untouched row was lost.
 */
export function soakSuite(dialect: Dialect): void {
  const q = dialectSql[dialect];

  t.test(`${dialect}: soak (${LONG ? 'long' : 'short'})`, async (t) => {
    const scratch = await createScratch(dialect, 'soak');
    t.teardown(() => scratch.drop());
    const serial = q.serialKey;
    const fk = (column: string, table: string) =>
      dialect === 'mysql'
        ? `${column} INT NOT NULL, FOREIGN KEY (${column}) REFERENCES ${table} (id)`
        : `${column} INT NOT NULL REFERENCES ${table} (id)`;
    await scratch.admin(`CREATE TABLE parent (id ${serial}, label VARCHAR(40) NOT NULL)`);
    await scratch.admin(`CREATE TABLE child (id ${serial}, ${fk('parent_id', 'parent')})`);
    await scratch.admin(`CREATE TABLE audit (id ${serial}, note VARCHAR(40) NOT NULL)`);
    await scratch.admin(`CREATE TABLE ledger (id ${serial}, note VARCHAR(40) NOT NULL)`);
    await scratch.admin(`CREATE TABLE ledger_ref (id ${serial}, ${fk('ledger_id', 'ledger')})`);
    const values = Array.from({ length: LEDGER_ROWS }, (_, i) => `('seed ${i}')`).join(', ');
    await scratch.admin(`INSERT INTO ledger (note) VALUES ${values}`);
    await scratch.admin(`INSERT INTO ledger_ref (ledger_id) SELECT id FROM ledger WHERE id % 5 = 0`);
    const before = await ledgerFigures(scratch);

    const reported: unknown[] = [];
    const db: Pool = createPool({
      url: scratch.url,
      max: POOL_MAX,
      acquireTimeoutMillis: 60_000,
      idleTimeoutMillis: 0,
      onError: (error) => reported.push(error),
    });
    t.teardown(() => db.close());

    const insertParent = async (conn: Connection | Pool, label: string): Promise<number> => {
      if (dialect === 'postgres')
        return Number((await conn.query(sql`INSERT INTO parent (label) VALUES (${label}) RETURNING id`)).rows[0]!.id);
      await conn.query(sql`INSERT INTO parent (label) VALUES (${label})`);
      return Number((await conn.query('SELECT LAST_INSERT_ID() AS id')).rows[0]!.id);
    };
    const sessionsSeen = new Set<number>();

    const run = async (kind: Kind, next: () => number): Promise<void> => {
      switch (kind) {
        case 'truncate':
          await db.truncate(pick(next, [['child'], ['parent'], ['parent', 'child'], ['child', 'parent', 'child'], ['audit']]));
          return;
        case 'truncate-cascade':
          await db.truncate(pick(next, ['parent', 'child', 'audit']), { cascade: true, restartIdentity: next() < 0.5 });
          return;
        case 'insert':
          if (next() < 0.5) await db.query(sql`INSERT INTO audit (note) VALUES (${'insert'})`);
          else await db.query(sql`INSERT INTO parent (label) VALUES (${'insert'})`);
          return;
        case 'insert-child':
          await db.withConnection(async (conn) => {
            sessionsSeen.add(conn.sessionId);
            const id = await insertParent(conn, 'with child');
            await conn.query(sql`INSERT INTO child (parent_id) VALUES (${id})`);
          });
          return;
        case 'pinned':
          await db.withConnection(async (conn) => {
            sessionsSeen.add(conn.sessionId);
            await conn.query(q.setVariable);
            // Nested pool calls must land on the pinned session.
            const nestedId = Number((await db.query(q.sessionId)).rows[0]!.id);
            await db.truncate('audit');
            await conn.query(sql`INSERT INTO audit (note) VALUES (${'pinned'})`);
            const marker = (await db.query<{ value: unknown }>(q.getVariable)).rows[0]!.value;
            if (nestedId !== conn.sessionId || marker !== 'set')
              throw new Error(`pin broken: ${nestedId} vs ${conn.sessionId}, marker ${String(marker)}`);
          });
          return;
        case 'nested-transaction': {
          const inner = new Rollback('inner savepoint rolled back on purpose');
          await db.transaction(async (tx) => {
            sessionsSeen.add(tx.sessionId);
            const id = await insertParent(tx, 'nested');
            await tx.transaction((savepoint) => savepoint.query(sql`INSERT INTO child (parent_id) VALUES (${id})`));
            try {
              await tx.transaction(async (savepoint) => {
                await savepoint.query(sql`INSERT INTO ledger (note) VALUES (${'never kept'})`);
                throw inner;
              });
            } catch (error) {
              if (error !== inner) throw error;
            }
          });
          return;
        }
        case 'rollback': {
          const sentinel = new Rollback('rolled back on purpose');
          await db.transaction(async (tx) => {
            sessionsSeen.add(tx.sessionId);
            await tx.query(sql`INSERT INTO ledger (note) VALUES (${'never kept'})`);
            await insertParent(tx, 'rolled back');
            throw sentinel;
          });
          throw new Error('a transaction that threw was not rejected');
        }
        case 'truncate-in-transaction':
          await db.transaction(async (tx) => {
            sessionsSeen.add(tx.sessionId);
            await tx.query(sql`INSERT INTO audit (note) VALUES (${'before truncate'})`);
            await tx.truncate('audit');
          });
          return;
      }
    };

    const seed = Number(process.env.SQLPIN_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const next = random(seed);
    const deadline = Date.now() + LAUNCH_WINDOW_MILLIS;
    const outcomes = new Map<string, number>();
    const unexpected: string[] = [];
    let launched = 0;
    let settled = 0;

    const worker = async (): Promise<void> => {
      while (launched < TOTAL && Date.now() < deadline) {
        launched += 1;
        const kind = pickKind(next);
        let outcome = 'ok';
        try {
          await run(kind, next);
        } catch (error) {
          outcome = classify(dialect, error);
        }
        settled += 1;
        const key = `${kind}: ${outcome}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (outcome !== 'ok' && outcome !== 'deadlock' && !(EXPECTED[dialect][kind] ?? []).includes(outcome)) unexpected.push(key);
      }
    };
    const began = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = Date.now() - began;

    t.equal(settled, launched, `every one of the ${launched} operations settled`);
    t.ok(launched >= Math.min(TOTAL, 100), 'the soak ran a meaningful number of operations');
    t.same(unexpected, [], 'no operation ended in an outcome the contract does not allow');
    t.same([db.stats().borrowed, db.stats().pending], [0, 0], 'nothing borrowed, nobody waiting');
    t.same(await openTransactions(scratch, [...sessionsSeen]), [], 'no session the soak used is left inside a transaction');

    const after = await ledgerFigures(scratch);
    t.same(after, before, `tables nobody truncated keep every row (ledger ${after.ledger}, ledger_ref ${after.ledgerRefs})`);

    // Hold every session at once, so each one in the pool is checked.
    let arrived = 0;
    let everyoneIn!: () => void;
    const allHeld = new Promise<void>((resolve) => (everyoneIn = resolve));
    const checks = await Promise.all(
      Array.from({ length: POOL_MAX }, () =>
        db.withConnection(async (conn) => {
          if (++arrived === POOL_MAX) everyoneIn();
          await allHeld;
          const setting = String((await conn.query<{ value: unknown }>(q.foreignKeyChecks)).rows[0]!.value);
          let orphan: string;
          try {
            await conn.query('INSERT INTO child (parent_id) VALUES (-1)');
            orphan = 'accepted';
          } catch (error) {
            orphan = classify(dialect, error);
          }
          return { id: conn.sessionId, setting, orphan };
        }),
      ),
    );
    t.equal(new Set(checks.map((check) => check.id)).size, POOL_MAX, `${POOL_MAX} distinct sessions held at once`);
    const cleanSetting = dialect === 'mysql' ? '1' : 'origin';
    for (const check of checks) {
      t.equal(
        check.setting,
        cleanSetting,
        `session ${check.id}: ${dialect === 'mysql' ? '@@foreign_key_checks' : 'session_replication_role'} is ${cleanSetting}`,
      );
      t.equal(check.orphan, 'fk-rejected', `session ${check.id}: an orphan insert is rejected by the foreign key`);
    }
    const orphans = Number((await scratch.admin('SELECT COUNT(*) AS n FROM child WHERE parent_id = -1'))[0]!.n);
    t.equal(orphans, 0, 'no orphan row exists');
    const soakSessions = checks.filter((check) => sessionsSeen.has(check.id)).length;
    const lost = before.ledger + before.ledgerRefs - (after.ledger + after.ledgerRefs);

    const figures = [...outcomes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `${key} ${n}`);
    const count = (outcome: string) =>
      [...outcomes.entries()].filter(([key]) => key.endsWith(`: ${outcome}`)).reduce((sum, [, n]) => sum + n, 0);
    t.comment(
      `soak ${dialect}: seed ${seed}, ${launched} operations in ${elapsed} ms on max ${POOL_MAX}, up to ${CONCURRENCY} in flight; ` +
        `deadlocks resolved by the server ${count('deadlock')}, lock wait timeouts ${count('lock-wait-timeout')}, ` +
        `ForeignKeyTruncateError ${count('foreign-key-truncate')}, ` +
        `onError reports ${reported.length}, sessions opened beyond the first ${POOL_MAX} ${Math.max(0, sessionsSeen.size - POOL_MAX)} (of ${sessionsSeen.size} pinned); ` +
        `${checks.length} sessions checked (${soakSessions} used by the soak), rows lost ${lost} of ${before.ledger + before.ledgerRefs}`,
    );
    t.comment(`soak ${dialect} outcomes: ${figures.join('; ')}`);
  });
}

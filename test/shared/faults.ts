import t, { type Test } from 'tap';
import { createPool, sql, SqlpinError, type Dialect, type PoolOptions } from '../../lib/index.js';
import { createScratch, dialectSql, type Scratch } from '../helpers/servers.js';
import { FaultProxy } from '../helpers/proxy.js';
import { captureWarnings, sleep, warm } from '../helpers/pools.js';

/** The driver's error codes that say plainly that the link to the server is gone. */
const LINK_CODES: Readonly<Record<Dialect, readonly string[]>> = {
  mysql: ['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ER_CONNECTION_KILLED'],
  postgres: ['ECONNRESET', 'EPIPE', '57P01'],
};

/** sqlpin's codes for a session that could not be had, or was lost; a lost one carries the driver's link error as its cause. */
const SQLPIN_LINK_CODES = ['ERR_CONNECT', 'ERR_POOL_TIMEOUT', 'ERR_CONNECTION_LOST'];

/** Lost links that the drivers report by message only. */
const LINK_MESSAGES: Readonly<Record<Dialect, RegExp>> = {
  mysql: /^Can't add new command when connection is in closed state$/,
  postgres: /^(Connection terminated unexpectedly|Client has encountered a connection error and is not queryable)$/,
};

/** How an operation ended: 'ok', or the code (or message, for pg's code-less errors) of its rejection. */
function outcomeOf(dialect: Dialect, error: unknown): { label: string; clear: boolean } {
  if (!(error instanceof SqlpinError)) return { label: `untyped ${String(error)}`, clear: false };
  if (error.code !== 'ERR_CONNECTION_LOST') return { label: error.code, clear: SQLPIN_LINK_CODES.includes(error.code) };
  return { label: error.code, clear: isLinkError(dialect, error.cause) };
}

/** The driver's own error for a lost link, as `onError` hears of an idle session killed, and as a lost session's cause. */
function isLinkError(dialect: Dialect, error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return LINK_CODES[dialect].includes(code) && error.message.length > 0;
  return LINK_MESSAGES[dialect].test(error.message);
}

function tally(labels: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

/** Session ids the server still lists among `ids`. */
async function stillListed(scratch: Scratch, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows =
    scratch.dialect === 'mysql'
      ? await scratch.admin(`SELECT ID AS id FROM information_schema.PROCESSLIST WHERE ID IN (${ids.map(() => '?').join(', ')})`, [...ids])
      : await scratch.admin('SELECT pid AS id FROM pg_stat_activity WHERE pid = ANY($1::int[])', [[...ids]]);
  return rows.map((row) => Number(row.id));
}

/** Polls `check` until it holds or `limitMillis` passes; returns whether it held. */
async function eventually(check: () => Promise<boolean> | boolean, limitMillis: number): Promise<boolean> {
  const deadline = Date.now() + limitMillis;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
}

/** Whether `work` settled within `limitMillis`; the timer never holds the process open. */
async function settlesWithin(work: Promise<unknown>, limitMillis: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), limitMillis)));
  try {
    return await Promise.race([work.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Network faults through a proxy, and sessions the server kills, on one dialect. */
export function faultSuite(dialect: Dialect): void {
  const q = dialectSql[dialect];
  const pause = dialect === 'mysql' ? 'SELECT SLEEP(0.02)' : 'SELECT pg_sleep(0.02)';

  t.test(`${dialect}: faults`, async (t) => {
    const scratch = await createScratch(dialect, 'faults');
    t.teardown(() => scratch.drop());
    await scratch.admin(`CREATE TABLE events (id ${q.serialKey}, worker INT NOT NULL)`);

    const proxied = async (t: Test, options: Omit<PoolOptions, 'url'>) => {
      const proxy = await FaultProxy.start(scratch.url);
      const reported: unknown[] = [];
      const db = createPool({ url: proxy.route(scratch.url), onError: (error) => reported.push(error), ...options });
      // The pool closes before the proxy, so its sessions can say goodbye.
      t.teardown(async () => {
        await db.close();
        await proxy.close();
      });
      return { proxy, db, reported };
    };

    t.test('cutting the link under load: work rejects clearly, nothing hangs, the pool recovers', async (t) => {
      const acquireTimeoutMillis = 2_000;
      const { proxy, db, reported } = await proxied(t, { max: 4, acquireTimeoutMillis, idleTimeoutMillis: 0 });
      const total = 400;
      const workers = 12;
      const cutsAt = [80, 180, 280];
      const downMillis = 200;
      // A failed caller backs off briefly, as real clients do, so the link's down time does not eat the whole load.
      const backoffMillis = 25;

      let started = 0;
      let settled = 0;
      let inserted = 0;
      let insertsInDoubt = 0;
      const outcomes: string[] = [];
      const unclear: unknown[] = [];
      const durations: number[] = [];
      const sessionsBeforeLastCut = new Set<number>();
      let lastCutDone = false;

      const operation = async (n: number, worker: number): Promise<void> => {
        const kind = ['one-shot', 'pinned', 'transaction'][n % 3]!;
        const began = Date.now();
        try {
          if (kind === 'one-shot') {
            await db.query(sql`INSERT INTO events (worker) VALUES (${worker})`);
          } else if (kind === 'pinned') {
            await db.withConnection(async (conn) => {
              if (!lastCutDone) sessionsBeforeLastCut.add(conn.sessionId);
              await conn.query(pause);
              await conn.query(sql`INSERT INTO events (worker) VALUES (${worker})`);
            });
          } else {
            await db.transaction(async (tx) => {
              if (!lastCutDone) sessionsBeforeLastCut.add(tx.sessionId);
              await tx.query(sql`INSERT INTO events (worker) VALUES (${worker})`);
              await tx.query(pause);
            });
          }
          inserted += 1;
          outcomes.push(`${kind}: ok`);
        } catch (error) {
          // The insert may have been applied before its reply was lost.
          insertsInDoubt += 1;
          const { label, clear } = outcomeOf(dialect, error);
          outcomes.push(`${kind}: ${label}`);
          if (!clear) unclear.push(error);
          await sleep(backoffMillis);
        } finally {
          durations.push(Date.now() - began);
          settled += 1;
        }
      };

      const load = Promise.all(
        Array.from({ length: workers }, async (_, worker) => {
          while (started < total) await operation(started++, worker);
        }),
      );
      const faults = (async () => {
        for (const [i, at] of cutsAt.entries()) {
          await eventually(() => settled >= at, 60_000);
          proxy.cut();
          await sleep(downMillis);
          if (i === cutsAt.length - 1) lastCutDone = true;
          proxy.restore();
        }
      })();
      t.ok(await settlesWithin(Promise.all([load, faults]), 90_000), 'the bounded load and the fault schedule finished');
      t.equal(settled, total, 'every operation settled');
      t.same(unclear, [], 'every rejection is a link failure, a connect failure or a pool timeout');
      const lostInFlight = outcomes.filter((outcome) => !/: (ok|ERR_CONNECT|ERR_POOL_TIMEOUT)$/.test(outcome)).length;
      t.ok(lostInFlight > 0, `the cuts hit work in flight (${lostInFlight} operations lost their session mid-way)`);
      const slowest = Math.max(...durations);
      // An operation may wait the whole acquire timeout for a session, then run its short queries.
      t.ok(slowest < acquireTimeoutMillis + 1_000, `no operation outlived the acquire timeout plus one second (slowest ${slowest} ms)`);

      const after = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          db.withConnection(async (conn) => {
            await conn.query(sql`INSERT INTO events (worker) VALUES (${100 + i})`);
            return conn.sessionId;
          }),
        ),
      );
      t.same(
        after.filter((result) => result.status === 'rejected'),
        [],
        'after the link returns, 20 new operations succeed',
      );
      const idsAfter = after.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      t.same(
        idsAfter.filter((id) => sessionsBeforeLastCut.has(id)),
        [],
        'no session that was cut is handed out again',
      );
      t.same(await stillListed(scratch, [...sessionsBeforeLastCut]), [], 'the server no longer lists any session that was cut');
      const stats = db.stats();
      t.equal(stats.borrowed, 0, 'nothing borrowed');
      t.equal(stats.pending, 0, 'nobody waiting');
      t.ok(stats.size <= 4, `the pool holds at most max sessions (${stats.size})`);

      const rows = Number((await scratch.admin('SELECT COUNT(*) AS n FROM events'))[0]!.n);
      const committed = inserted + after.length;
      t.ok(
        rows >= committed && rows <= committed + insertsInDoubt,
        `rows ${rows} lie between ${committed} confirmed and ${committed + insertsInDoubt} attempted`,
      );
      t.ok(
        reported.every((error) => isLinkError(dialect, error)),
        `faults reported to onError are link failures: ${JSON.stringify(tally(reported.map((error) => String((error as { code?: unknown }).code ?? (error as Error).message))))}`,
      );
      t.comment(
        `cut under load: ${total} operations, ${cutsAt.length} cuts of ${downMillis} ms survived, ${proxy.accepted} connections through the proxy, ` +
          `${reported.length} faults reported to onError, slowest ${slowest} ms; outcomes ${JSON.stringify(tally(outcomes))}`,
      );
      await scratch.admin('DELETE FROM events');
    });

    t.test('a stalled connect rejects with ERR_CONNECT or ERR_POOL_TIMEOUT, and connect attempts stay bounded', async (t) => {
      const acquireTimeoutMillis = 1_000;
      const max = 4;
      const { proxy, db } = await proxied(t, { max, acquireTimeoutMillis });
      proxy.stall();
      const waves = 3;
      const callers = 6;
      const codes: string[] = [];
      let slowest = 0;
      for (let wave = 0; wave < waves; wave++) {
        const results = await Promise.allSettled(
          Array.from({ length: callers }, async () => {
            const began = Date.now();
            try {
              return await db.query('SELECT 1 AS one');
            } finally {
              slowest = Math.max(slowest, Date.now() - began);
            }
          }),
        );
        for (const result of results) {
          codes.push(result.status === 'fulfilled' ? 'fulfilled' : String((result.reason as { code?: unknown }).code));
          if (result.status === 'rejected') t.ok(result.reason instanceof SqlpinError, 'the rejection is a SqlpinError');
        }
      }
      t.ok(
        codes.every((code) => code === 'ERR_CONNECT' || code === 'ERR_POOL_TIMEOUT'),
        `every caller got ERR_CONNECT or ERR_POOL_TIMEOUT: ${JSON.stringify(tally(codes))}`,
      );
      // Half a second of slack for timers on a busy machine; a caller handed a second full timeout would need twice the wait.
      t.ok(slowest < acquireTimeoutMillis + 500, `every caller was answered by the end of its acquire timeout (slowest ${slowest} ms)`);
      // A connect begun just before the last caller was answered may reach the proxy after it: count
      // once every open in flight has ended (a failed open stays as an idle slot), then watch for new ones.
      const settled = () => db.stats().size === db.stats().available;
      t.ok(await eventually(settled, 2 * acquireTimeoutMillis), 'every open in flight ended');
      const attempts = proxy.accepted;
      t.ok(attempts <= waves * callers + max, `connect attempts stay bounded: ${attempts} for ${waves * callers} callers`);
      await sleep(3 * acquireTimeoutMillis);
      t.equal(proxy.accepted, attempts, 'no connect is attempted while nobody waits: no retry loop');
      t.equal(proxy.open, 0, 'every stalled connect was closed by the client');

      proxy.restore();
      const { rows } = await db.query<{ one: number }>('SELECT 1 AS one');
      t.equal(Number(rows[0]!.one), 1, 'once the link returns, a query succeeds');
      t.same([db.stats().borrowed, db.stats().pending], [0, 0], 'nothing borrowed, nobody waiting');
      t.comment(
        `stalled connect: ${waves * callers} callers, ${attempts} connect attempts at the proxy, outcomes ${JSON.stringify(tally(codes))}`,
      );
    });

    t.test('a stall mid-query: waiters time out, the query finishes when the link returns, close() never hangs', async (t) => {
      const acquireTimeoutMillis = 500;
      const { proxy, db } = await proxied(t, { max: 1, acquireTimeoutMillis, idleTimeoutMillis: 0 });
      await db.query('SELECT 1');
      proxy.stall();
      const stalled = db.query<{ one: number }>('SELECT 1 AS one');
      const began = Date.now();
      const waiter = await db.query('SELECT 2').then(
        () => 'fulfilled',
        (error: unknown) => String((error as { code?: unknown }).code),
      );
      const waited = Date.now() - began;
      t.equal(waiter, 'ERR_POOL_TIMEOUT', 'a caller waiting behind the stalled session gets ERR_POOL_TIMEOUT');
      t.ok(waited < acquireTimeoutMillis + 500, `it was answered by the end of its acquire timeout (${waited} ms)`);
      t.same([db.stats().borrowed, db.stats().pending], [1, 0], 'the stalled query still holds its session, nobody waits');
      proxy.restore();
      t.equal(Number((await stalled).rows[0]!.one), 1, 'the stalled query completes once the link returns');
      t.same([db.stats().borrowed, db.stats().pending], [0, 0], 'nothing borrowed, nobody waiting');

      proxy.stall();
      // A polite goodbye gets no answer on a stalled link; close() must give up on it and destroy the socket.
      t.ok(await settlesWithin(db.close(), 5_000), 'close() on a stalled link finishes');
      t.ok(await eventually(() => proxy.open === 0, 2_000), 'the session was closed at the proxy');
    });

    t.test('idle sessions killed by the server are never handed out, and onError hears of each', async (t) => {
      const reported: unknown[] = [];
      const db = createPool({ url: scratch.url, max: 4, idleTimeoutMillis: 0, onError: (error) => reported.push(error) });
      t.teardown(() => db.close());
      const rounds = 3;
      const killed = new Set<number>();
      for (let round = 0; round < rounds; round++) {
        const idle = await warm(db, 4);
        t.equal(new Set(idle).size, 4, 'four distinct sessions idle in the pool');
        const before = reported.length;
        for (const id of idle) await scratch.admin(q.kill(id));
        for (const id of idle) killed.add(id);
        t.ok(
          await eventually(async () => (await stillListed(scratch, idle)).length === 0, 10_000),
          'the server no longer lists the killed sessions',
        );
        t.ok(await eventually(() => reported.length - before === 4, 5_000), 'the client saw each close and onError received it');

        const borrowers = await Promise.all([
          ...Array.from({ length: 8 }, async () => Number((await db.query(q.sessionId)).rows[0]!.id)),
          ...Array.from({ length: 4 }, () => db.withConnection(async (conn) => Number((await conn.query(q.sessionId)).rows[0]!.id))),
        ]);
        t.same(
          borrowers.filter((id) => killed.has(id)),
          [],
          `round ${round + 1}: all 12 borrowers ran on live sessions, none killed`,
        );
        t.same([db.stats().borrowed, db.stats().pending], [0, 0], 'nothing borrowed, nobody waiting');
      }
      const codes = reported.map((error) => String((error as { code?: unknown }).code));
      t.equal(reported.length, 4 * rounds, `onError received one error per killed session (${reported.length})`);
      t.ok(
        reported.every((error) => isLinkError(dialect, error)),
        `each is the driver's link error: ${JSON.stringify(tally(codes))}`,
      );
      t.comment(`killed idle sessions: ${killed.size} killed over ${rounds} rounds, ${12 * rounds} borrowers all on live sessions`);
    });

    t.test('a kill raced by an immediate borrow: the window without a ping on borrow', async (t) => {
      const reported: unknown[] = [];
      const db = createPool({ url: scratch.url, max: 4, idleTimeoutMillis: 0, onError: (error) => reported.push(error) });
      t.teardown(() => db.close());
      const rounds = 10;
      let handedOutDead = 0;
      const failures: string[] = [];
      for (let round = 0; round < rounds; round++) {
        const idle = await warm(db, 4);
        await Promise.all(idle.map((id) => scratch.admin(q.kill(id))));
        const results = await Promise.allSettled(Array.from({ length: 4 }, async () => Number((await db.query(q.sessionId)).rows[0]!.id)));
        for (const result of results) {
          if (result.status === 'fulfilled') {
            t.notOk(idle.includes(result.value), 'a query that succeeded ran on a live session');
          } else {
            handedOutDead += 1;
            const { label, clear } = outcomeOf(dialect, result.reason);
            failures.push(label);
            t.ok(clear, `a dead session handed out fails with a link error (${label}), not a hang`);
          }
        }
        const recovered = await Promise.all(Array.from({ length: 4 }, async () => Number((await db.query(q.sessionId)).rows[0]!.id)));
        t.same(
          recovered.filter((id) => idle.includes(id)),
          [],
          'the next borrowers all get live sessions',
        );
      }
      t.same([db.stats().borrowed, db.stats().pending], [0, 0], 'nothing borrowed, nobody waiting');
      t.ok(
        reported.every((error) => isLinkError(dialect, error)),
        `the ${reported.length} faults reported are link errors`,
      );
      t.comment(
        `kill then borrow at once: ${handedOutDead} of ${4 * rounds} borrowers were handed a session the server had just killed ` +
          `(${JSON.stringify(tally(failures))}); after yielding to the event loop the count is 0 (previous test)`,
      );
    });

    t.test('without onError, a killed idle session becomes a process warning, not a crash', async (t) => {
      const warnings = captureWarnings(t);
      const db = createPool({ url: scratch.url, max: 2, idleTimeoutMillis: 0 });
      t.teardown(() => db.close());
      const idle = await warm(db, 2);
      for (const id of idle) await scratch.admin(q.kill(id));
      t.ok(await eventually(() => warnings.length >= 2, 5_000), 'warnings were emitted');
      await sleep(100);
      t.equal(warnings.length, 2, 'one warning for each killed session');
      t.ok(
        warnings.every((warning) => isLinkError(dialect, warning)),
        'each warning carries the driver error',
      );
      const id = Number((await db.query(q.sessionId)).rows[0]!.id);
      t.notOk(idle.includes(id), 'the pool carries on with a live session');
    });
  });
}

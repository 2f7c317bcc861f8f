import type { Pool } from '../lib/index.js';
import { PINNED_STATEMENTS, SELECT_ONE, type BenchContext } from './context.js';
import { truncateByHand } from './floors.js';
import { CountingProxy } from './proxy.js';
import { Resources } from './resources.js';
import { cleanupTables, referencedPair, reloadCleanupSql, reloadParentChildSql, W3_CHILD, W3_PARENT, type Fill } from './tables.js';

/** What one call sent, on the wire. */
export interface WireCount {
  /** Messages that waited for the server's reply. */
  readonly roundTrips: number;
  /** Every client message by type (COM_QUERY, or PostgreSQL's Q / P / B / D / E / S). */
  readonly messages: Readonly<Record<string, number>>;
}

/** Round trips of one operation per call: sqlpin's, and the hand-written floor's where there is one. */
export interface RoundTripCount {
  readonly operation: string;
  readonly floor?: WireCount;
  readonly sqlpin: WireCount;
  /** MySQL only: the server's own count of statements (session `Questions`) per sqlpin call, to check the wire count. */
  readonly questions?: number;
}

/** Calls per cheap operation; the count is reported per call and must come out whole. */
const CALLS = 3;
const CLEANUP_COUNTS = [10, 200] as const;

type Op = () => Promise<unknown>;

/**
 * Counts the round trips of each sqlpin operation by measurement: every
 * client (the dist build, the raw driver) talks through a proxy that reads
 * the protocol and tallies client messages. Logins happen before counting;
 * table loading goes around the proxy.
 */
export async function countRoundTrips(ctx: BenchContext): Promise<RoundTripCount[]> {
  const { dialect, driver, loader } = ctx;
  const resources = new Resources();
  try {
    const proxy = resources.add('counting proxy', await CountingProxy.start(dialect, ctx.url), (server) => server.close());
    const url = proxy.route(ctx.url);
    const { sqlpin } = ctx.builds.find((build) => build.label === 'dist')!;
    // One session per pool, so that every call, and the Questions reads around it, share a session.
    const db = resources.add('sqlpin', sqlpin.createPool({ url, max: 1 }), (pool) => pool.close());
    const resetting = resources.add('sqlpin, resetOnRelease', sqlpin.createPool({ url, max: 1, resetOnRelease: true }), (pool) =>
      pool.close(),
    );
    const driverPool = resources.add(driver.name, driver.pool(url, 1), (pool) => pool.close());
    const raw = resources.add(`${driver.name} connection`, await driver.connect(url), (session) => session.close());
    for (const warm of [db, resetting, driverPool]) await warm.query(SELECT_ONE);

    const counter = new Counter(proxy, dialect === 'mysql' ? await questionCounter(db) : undefined);

    const pinned = (pool: Pool) => () =>
      pool.withConnection(async (conn) => {
        for (const text of PINNED_STATEMENTS) await conn.query(text);
      });
    const pair = referencedPair(dialect);
    const reloadPair = () => loader.query(reloadParentChildSql());
    const counts: RoundTripCount[] = [
      await counter.measure('db.query', {
        sqlpin: () => db.query(SELECT_ONE),
        floor: () => driverPool.query(SELECT_ONE),
        crossCheck: true,
      }),
      await counter.measure('db.query, resetOnRelease', { sqlpin: () => resetting.query(SELECT_ONE) }),
      await counter.measure('withConnection, 3 statements', {
        sqlpin: pinned(db),
        floor: () => driverPool.pinned(PINNED_STATEMENTS),
        crossCheck: true,
      }),
      await counter.measure('withConnection, 3 statements, resetOnRelease', { sqlpin: pinned(resetting) }),
      await counter.measure(`truncate(${pair.join(', ')}) (W3)`, {
        sqlpin: () => db.truncate(pair),
        floor: () => truncateByHand(dialect, raw, pair),
        prepare: reloadPair,
        crossCheck: true,
      }),
    ];
    if (dialect === 'postgres') {
      counts.push(
        await counter.measure(`truncate(${W3_PARENT}), ${W3_CHILD} empty`, {
          sqlpin: () => db.truncate(W3_PARENT),
          prepare: async () => {
            await reloadPair();
            await loader.query(`DELETE FROM ${W3_CHILD}`);
          },
        }),
      );
    }
    for (const tableCount of CLEANUP_COUNTS) {
      const tables = cleanupTables(tableCount);
      for (const fill of ['all rows', 'one in ten'] satisfies Fill[]) {
        counts.push(
          await counter.measure(`truncate(${tableCount} tables), ${fill}`, {
            sqlpin: () => db.truncate(tables),
            // The hand-written cleanup sends the same statements whatever the tables hold.
            ...(fill === 'all rows' ? { floor: () => truncateByHand(dialect, raw, tables) } : {}),
            prepare: () => loader.query(reloadCleanupSql(tableCount, fill)),
            calls: 1,
            crossCheck: true,
          }),
        );
      }
    }
    // truncateAll empties the whole bench namespace: the W4 tables and the W3 pair.
    const everything = Math.max(...CLEANUP_COUNTS) + 2;
    for (const strategy of ['truncate', 'auto'] as const) {
      for (const fill of ['all rows', 'one in ten'] satisfies Fill[]) {
        counts.push(
          await counter.measure(`truncateAll({ strategy: '${strategy}' }) (${everything} tables), ${fill}`, {
            sqlpin: () => db.truncateAll({ strategy }),
            prepare: () => loader.query(reloadCleanupSql(Math.max(...CLEANUP_COUNTS), fill)),
            calls: 1,
            crossCheck: true,
          }),
        );
      }
    }
    return counts;
  } finally {
    await resources.closeAll();
  }
}

/** The operations a count compares, and how to set each call up. */
interface Operation {
  readonly sqlpin: Op;
  readonly floor?: Op;
  /** Runs before each call, around the proxy, and is not counted. */
  readonly prepare?: Op;
  readonly calls?: number;
  /** MySQL: also read the session's Questions around the sqlpin calls (not with a reset, which may clear it). */
  readonly crossCheck?: boolean;
}

/** Reads the proxy's tally around each call; on MySQL, also the session's own statement count. */
class Counter {
  readonly #proxy: CountingProxy;
  readonly #questions: QuestionCounter | undefined;

  constructor(proxy: CountingProxy, questions: QuestionCounter | undefined) {
    this.#proxy = proxy;
    this.#questions = questions;
  }

  async measure(operation: string, { sqlpin, floor, prepare, calls = CALLS, crossCheck = false }: Operation): Promise<RoundTripCount> {
    const questions = crossCheck ? this.#questions : undefined;
    const before = await questions?.read();
    const sqlpinCount = await this.#count(sqlpin, calls, prepare);
    const after = await questions?.read();
    return {
      operation,
      sqlpin: sqlpinCount,
      ...(floor === undefined ? {} : { floor: await this.#count(floor, calls, prepare) }),
      ...(questions === undefined ? {} : { questions: (after! - before! - questions.ownCost) / calls }),
    };
  }

  async #count(op: Op, calls: number, prepare: Op | undefined): Promise<WireCount> {
    const { tally } = this.#proxy;
    const totals = new Map<string, number>();
    let roundTrips = 0;
    for (let i = 0; i < calls; i++) {
      await prepare?.();
      tally.clear();
      await op();
      roundTrips += tally.roundTrips;
      for (const [type, n] of tally.messages) totals.set(type, (totals.get(type) ?? 0) + n);
    }
    return { roundTrips: roundTrips / calls, messages: Object.fromEntries([...totals].map(([type, n]) => [type, n / calls])) };
  }
}

interface QuestionCounter {
  read(): Promise<number>;
  /** What one read adds by itself. */
  readonly ownCost: number;
}

/**
 * Reads the session's `Questions` status, which the server bumps for every
 * statement a client sends; `ownCost` is measured by two reads in a row.
 */
async function questionCounter(db: Pool): Promise<QuestionCounter> {
  const read = async () => {
    const { rows } = await db.query<{ Value: string }>("SHOW SESSION STATUS LIKE 'Questions'");
    return Number(rows[0]!.Value);
  };
  const first = await read();
  return { read, ownCost: (await read()) - first };
}

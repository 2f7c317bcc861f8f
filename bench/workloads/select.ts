import { tracingChannel } from 'node:diagnostics_channel';
import knex from 'knex';
import { barePool } from '../bare-pool.js';
import { ARM, POOL_MAX, SELECT_ONE, type BenchContext } from '../context.js';
import { throughput, type Arm } from '../measure.js';
import { Resources } from '../resources.js';
import { measureCase, type CaseResult } from '../results.js';

const CONCURRENCY = [1, 8, 32] as const;
const WARM_MILLIS = 150;

interface Contender {
  readonly name: string;
  readonly op: () => PromiseLike<unknown>;
  /** One connection serves one caller at a time: it is measured at concurrency 1 only. */
  readonly serialOnly?: boolean;
  /** Runs each of its samples with a subscriber on `sqlpin:query` (the channel is process-wide). */
  readonly traced?: boolean;
}

/** An APM-like subscriber: it reads what each statement published, and keeps nothing. */
const SUBSCRIBER = {
  start: (message: unknown) => void (message as { text: string }).text,
  end: () => undefined,
  asyncStart: () => undefined,
  asyncEnd: (message: unknown) => void (message as { result?: { rowCount: number } }).result?.rowCount,
  error: () => undefined,
};

/** One sample, with the query channel subscribed for just its span when the contender is traced. */
async function sampleOf(contender: Contender, concurrency: number, windowMillis: number, signal: AbortSignal) {
  if (!contender.traced) return throughput(contender.op, concurrency, windowMillis, signal);
  const channel = tracingChannel('sqlpin:query');
  channel.subscribe(SUBSCRIBER);
  try {
    return await throughput(contender.op, concurrency, windowMillis, signal);
  } finally {
    channel.unsubscribe(SUBSCRIBER);
  }
}

/**
 * W1: `SELECT 1` through a pool of 8 at concurrency 1, 8 and 32. The driver's
 * own pool is the floor; one raw connection (c=1), a bare generic-pool loop,
 * knex and both sqlpin builds are measured against it.
 */
export async function measureSelect(ctx: BenchContext): Promise<CaseResult[]> {
  const { driver, url, signal } = ctx;
  const resources = new Resources();
  try {
    const driverPool = resources.add(ARM.driverPool(driver), driver.pool(url, POOL_MAX), (pool) => pool.close());
    const raw = resources.add(ARM.rawConnection(driver), await driver.connect(url), (session) => session.close());
    const bare = resources.add(ARM.genericPool, barePool(driver, url, POOL_MAX), (pool) => pool.close());
    const peer = resources.add(ARM.knex, knex({ client: driver.knexClient, connection: url, pool: { min: 0, max: POOL_MAX } }), (db) =>
      db.destroy(),
    );
    const contenders: Contender[] = [
      { name: ARM.driverPool(driver), op: () => driverPool.query(SELECT_ONE) },
      { name: ARM.rawConnection(driver), op: () => raw.query(SELECT_ONE), serialOnly: true },
      { name: ARM.genericPool, op: () => bare.query(SELECT_ONE) },
      { name: ARM.knex, op: () => peer.raw(SELECT_ONE) },
      ...ctx.builds.map(({ label, sqlpin }): Contender => {
        const db = resources.add(`sqlpin (${label})`, sqlpin.createPool({ url, max: POOL_MAX }), (pool) => pool.close());
        return { name: ARM.sqlpin('db.query', label), op: () => db.query(SELECT_ONE) };
      }),
      ...ctx.builds
        .filter(({ label }) => label === 'dist')
        .map(({ sqlpin }): Contender => {
          const db = resources.add('sqlpin (dist, traced)', sqlpin.createPool({ url, max: POOL_MAX }), (pool) => pool.close());
          return { name: ARM.sqlpin('db.query with a sqlpin:query subscriber', 'dist'), op: () => db.query(SELECT_ONE), traced: true };
        }),
    ];
    // Opens every pool's sessions and lets the JIT settle before anything is timed.
    for (const { op, serialOnly } of contenders) await throughput(op, serialOnly ? 1 : POOL_MAX, WARM_MILLIS, signal);

    const cases: CaseResult[] = [];
    for (const concurrency of CONCURRENCY) {
      const arms: Arm[] = contenders
        .filter((contender) => concurrency === 1 || !contender.serialOnly)
        .map((contender) => ({ name: contender.name, sample: () => sampleOf(contender, concurrency, ctx.settings.windowMillis, signal) }));
      cases.push(await measureCase({ workload: 'W1', label: `c=${concurrency}`, unit: 'ops/s', reps: ctx.settings.reps }, arms, signal));
    }
    return cases;
  } finally {
    await resources.closeAll();
  }
}

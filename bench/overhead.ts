/**
 * sqlpin's own layers without a network: `db.query` on an in-memory driver
 * against a bare generic-pool loop over the same sessions, CPU µs per call,
 * then the promises each call makes (each is an allocation and a microtask).
 * `npx tsx bench/overhead.ts`; `--cpu-prof` to see where the microseconds go.
 */
import { createHook } from 'node:async_hooks';
import genericPool from 'generic-pool';
import { AS_IS } from '../lib/driver.js';
import { FakeDriver, fakePool } from '../test/helpers/fake-driver.js';

const OPS = Number(process.env.OVERHEAD_OPS ?? 200_000);
const CONCURRENCY = Number(process.env.OVERHEAD_C ?? 1);

async function cpuPerOp(op: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const start = process.cpuUsage();
  const caller = async () => {
    while (done < OPS) {
      done++;
      await op();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, caller));
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / OPS;
}

const adapter = new FakeDriver();
const db = fakePool(adapter, { max: 8 });
const bare = genericPool.createPool(
  { create: () => adapter.connect(), destroy: (connection) => connection.end() },
  { min: 0, max: 8, acquireTimeoutMillis: 10_000, fifo: true },
);
const arms: Record<string, () => Promise<unknown>> = {
  'bare generic-pool': async () => {
    const session = await bare.acquire();
    try {
      return await session.send('SELECT 1', undefined, AS_IS);
    } finally {
      await bare.release(session);
    }
  },
  'sqlpin db.query': () => db.query('SELECT 1'),
  'sqlpin withConnection x3': () =>
    db.withConnection(async (conn) => {
      await conn.query('SELECT 1');
      await conn.query('SELECT 1');
      return conn.query('SELECT 1');
    }),
};
const only = process.env.OVERHEAD_ONLY;
for (let round = 0; round < 5; round++) {
  const line: string[] = [];
  for (const [name, op] of Object.entries(arms)) {
    if (only !== undefined && !name.includes(only)) continue;
    adapter.log.length = 0;
    for (const session of adapter.sessions) session.statements.length = 0;
    line.push(`${name} ${(await cpuPerOp(op)).toFixed(2)}`);
  }
  console.log(`round ${round}: ${line.join(' | ')} µs/op (c=${CONCURRENCY})`);
}
// Counted apart from the timing: an async hook slows every promise it sees.
let promises = 0;
const counter = createHook({ init: (_id, type) => void (type === 'PROMISE' && promises++) });
const counts: string[] = [];
for (const [name, op] of Object.entries(arms)) {
  for (let warm = 0; warm < 100; warm++) await op();
  counter.enable();
  promises = 0;
  for (let call = 0; call < 1_000; call++) await op();
  counter.disable();
  counts.push(`${name} ${(promises / 1_000).toFixed(1)}`);
}
console.log(`promises per call (the caller's own await included): ${counts.join(' | ')}`);
await db.close();
await bare.drain();
await bare.clear();

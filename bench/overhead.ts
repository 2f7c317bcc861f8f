/**
 * sqlpin's own layers without a network: `db.query` on an in-memory driver
 * against a bare generic-pool loop over the same sessions, CPU µs per call.
 * `npx tsx bench/overhead.ts`; `--cpu-prof` to see where the microseconds go.
 */
import genericPool from 'generic-pool';
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
      return await session.send('SELECT 1');
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
await db.close();
await bare.drain();
await bare.clear();

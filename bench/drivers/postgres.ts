import pg from 'pg';
import { reportIdleFault, type Driver, type DriverPool, type RawSession } from './driver.js';

async function connect(url: string): Promise<RawSession> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', reportIdleFault);
  await client.connect();
  return { query: (text) => client.query(text), close: () => client.end() };
}

function pool(url: string, max: number): DriverPool {
  // Idle sessions stay open, as they do in every other arm, so no arm pays for reconnects.
  const driverPool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 0 });
  driverPool.on('error', reportIdleFault);
  return {
    query: (text) => driverPool.query(text),
    async pinned(texts) {
      const client = await driverPool.connect();
      try {
        for (const text of texts) await client.query(text);
      } finally {
        client.release();
      }
    },
    close: () => driverPool.end(),
  };
}

/** pg, through its promise API. Simple-query text carries several statements, so `batches` needs nothing. */
export const postgresDriver: Driver = { dialect: 'postgres', name: 'pg', knexClient: 'pg', connect, pool };

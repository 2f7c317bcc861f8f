import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Scratch } from './servers.js';

/** A raw driver session outside any pool under test: holds locks and transactions that block the pool's sessions. */
export interface Holder {
  readonly id: number;
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** Opens a session in the scratch namespace with the driver itself. */
export async function openHolder(scratch: Scratch): Promise<Holder> {
  if (scratch.dialect === 'mysql') {
    const connection = await mysql.createConnection({ uri: scratch.url });
    return {
      id: connection.threadId,
      async query(sql) {
        const [rows] = await connection.query(sql);
        return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
      },
      close: () => connection.end(),
    };
  }
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  const id = Number((await client.query('SELECT pg_backend_pid() AS id')).rows[0].id);
  return {
    id,
    query: async (sql) => (await client.query(sql)).rows,
    close: () => client.end(),
  };
}

/** SQL that shows a session waiting for a lock, per dialect: rows while `id` waits. */
export function waitsForLock(scratch: Scratch, id: number): string {
  return scratch.dialect === 'mysql'
    ? `SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ${id} AND STATE LIKE 'Waiting for%lock'`
    : `SELECT 1 FROM pg_stat_activity WHERE pid = ${id} AND wait_event_type = 'Lock'`;
}

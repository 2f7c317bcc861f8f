import { randomBytes } from 'node:crypto';
import { createPool, type Dialect, type Pool } from '../lib/index.js';
import { SERVER_URLS } from './servers.js';

/** A database (MySQL) or schema (PostgreSQL) of one run's own. */
export interface Scratch {
  readonly name: string;
  /** The server URL, pointed into the scratch namespace. */
  readonly url: string;
  /** A one-session pool on the server URL, outside the namespace and outside any pool being shown. */
  readonly admin: Pool;
  /** Drops the namespace and everything in it, then closes `admin`. */
  drop(): Promise<void>;
}

/**
 * Creates a scratch namespace so that runs never see each other's tables or
 * anything else in the database. Unqualified names resolve into it: MySQL
 * through the URL's database, PostgreSQL through search_path.
 */
export async function openScratch(dialect: Dialect, label: string, server = SERVER_URLS[dialect]): Promise<Scratch> {
  const name = `sqlpin_${label}_${randomBytes(4).toString('hex')}`;
  const url = new URL(server);
  const admin = createPool({ url: url.toString(), max: 1, acquireTimeoutMillis: 5_000 });
  // The name is built here from [a-z0-9_] only, so it needs no quoting beyond the dialect's own.
  const namespace = dialect === 'mysql' ? `DATABASE \`${name}\`` : `SCHEMA "${name}"`;
  try {
    await admin.query(`CREATE ${namespace}`);
  } catch (error) {
    await admin.close();
    throw error;
  }
  if (dialect === 'mysql') url.pathname = `/${name}`;
  else url.searchParams.set('options', `-c search_path=${name}`);
  return {
    name,
    url: url.toString(),
    admin,
    async drop() {
      try {
        await admin.query(`DROP ${namespace}${dialect === 'postgres' ? ' CASCADE' : ''}`);
      } finally {
        await admin.close();
      }
    },
  };
}

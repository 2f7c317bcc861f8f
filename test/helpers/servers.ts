import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Dialect } from '../../lib/index.js';

/** Server URLs: MYSQL_URL and PG_URL override the defaults. */
export const SERVER_URLS: Readonly<Record<Dialect, string>> = {
  mysql: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
  postgres: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};

/** A database (MySQL) or schema (PostgreSQL) of one test file's own, and a URL that points into it. */
export interface Scratch {
  readonly dialect: Dialect;
  readonly name: string;
  readonly url: string;
  /** Runs SQL on a connection of its own, outside any pool under test. */
  admin(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

/**
 * Creates a scratch namespace so concurrent test files never see each other's
 * tables. The URL selects it: MySQL by database, PostgreSQL by search_path.
 * `server` is the main server of the dialect unless a test brings its own
 * (a cluster node, a primary).
 *
 * `ownDatabase` puts a PostgreSQL schema in a new database of the same name
 * (MySQL's is one already). PostgreSQL's catalog is per database: the shared one
 * carries the dead rows of every scratch schema created and dropped before (this
 * server runs without autovacuum), which a benchmark of catalog reads would time.
 */
export async function createScratch(
  dialect: Dialect,
  label: string,
  server = SERVER_URLS[dialect],
  { ownDatabase = false } = {},
): Promise<Scratch> {
  const name = `sqlpin_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const base = new URL(server);
  if (dialect === 'mysql') {
    const connection = await mysql.createConnection({ uri: base.toString() });
    await connection.query(`CREATE DATABASE \`${name}\``);
    await connection.query(`USE \`${name}\``);
    const url = new URL(base);
    url.pathname = `/${name}`;
    return {
      dialect,
      name,
      url: url.toString(),
      async admin(sql, params) {
        const [rows] = await connection.query(sql, params);
        return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
      },
      async drop() {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await connection.end();
      },
    };
  }
  if (ownDatabase) {
    await onServer(server, `CREATE DATABASE "${name}"`);
    base.pathname = `/${name}`;
  }
  const client = new pg.Client({ connectionString: base.toString() });
  await client.connect();
  await client.query(`CREATE SCHEMA "${name}"`);
  await client.query(`SET search_path TO "${name}"`);
  let queue: Promise<unknown> = Promise.resolve();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    dialect,
    name,
    url: url.toString(),
    admin(sql, params) {
      // One query at a time: pg deprecates queueing on a busy client, and tests call this concurrently.
      const result = queue.then(() => client.query(sql, params));
      queue = result.then(
        () => undefined,
        () => undefined,
      );
      return result.then((r) => r.rows);
    },
    async drop() {
      await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      await client.end();
      if (ownDatabase) await onServer(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** One statement on a PostgreSQL connection of its own to `server`'s database. */
async function onServer(server: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * The scratch's URL on another server that holds the same namespace (a
 * cluster node, a replica): user, host and port from `server`, database and
 * search_path from the scratch.
 */
export function scratchUrlOn(scratch: Scratch, server: string): string {
  const url = new URL(scratch.url);
  const other = new URL(server);
  url.username = other.username;
  url.password = other.password;
  url.host = other.host;
  return url.toString();
}

/** SQL that differs between the dialects, for tests shared by both. */
export const dialectSql: Readonly<
  Record<
    Dialect,
    {
      sessionId: string;
      kill(id: number): string;
      /** Rows while the server still lists the session. */
      listsSession(id: number): string;
      setVariable: string;
      getVariable: string;
      serialKey: string;
      foreignKeyChecks: string;
    }
  >
> = {
  mysql: {
    sessionId: 'SELECT CONNECTION_ID() AS id',
    kill: (id) => `KILL ${id}`,
    listsSession: (id) => `SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ${id}`,
    setVariable: "SET @sqlpin_marker = 'set'",
    getVariable: 'SELECT @sqlpin_marker AS value',
    serialKey: 'INT AUTO_INCREMENT PRIMARY KEY',
    foreignKeyChecks: 'SELECT @@foreign_key_checks AS value',
  },
  postgres: {
    sessionId: 'SELECT pg_backend_pid() AS id',
    kill: (id) => `SELECT pg_terminate_backend(${id})`,
    listsSession: (id) => `SELECT 1 FROM pg_stat_activity WHERE pid = ${id}`,
    setVariable: "SET sqlpin.marker = 'set'",
    getVariable: "SELECT current_setting('sqlpin.marker', true) AS value",
    serialKey: 'SERIAL PRIMARY KEY',
    foreignKeyChecks: "SELECT current_setting('session_replication_role') AS value",
  },
};

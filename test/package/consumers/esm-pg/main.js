// An ESM application that installed sqlpin and pg only. It prints what it saw as one JSON line;
// test/package/pack.test.ts judges it.
import { ConfigError, createPool, sql } from 'sqlpin';

const base = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sqlpin_pack_esm_${process.pid}`;
const db = createPool({ url: base, max: 2 });
const report = {};

try {
  await db.query(`CREATE SCHEMA ${schema}`);
  await db.query(`CREATE TABLE ${schema}.parent (id int PRIMARY KEY)`);
  await db.query(`CREATE TABLE ${schema}.child (id int PRIMARY KEY, parent_id int REFERENCES ${schema}.parent (id))`);

  const { rows } = await db.query(sql`SELECT ${41}::int + 1 AS answer`);
  report.answer = rows[0].answer;

  // search_path is session state: the unqualified name below resolves only on the same session.
  report.pinned = await db.withConnection(async (conn) => {
    await conn.query(`SET search_path TO ${schema}`);
    await conn.query('INSERT INTO parent (id) VALUES (1), (2), (3)');
    const counted = await conn.query('SELECT count(*)::int AS n, pg_backend_pid() AS pid FROM parent');
    return { sessionId: conn.sessionId, pid: counted.rows[0].pid, parentRows: counted.rows[0].n };
  });

  // child references parent but holds no rows: PostgreSQL alone refuses this TRUNCATE (0A000).
  await db.truncate(`${schema}.parent`);
  const left = await db.query(`SELECT count(*)::int AS n FROM ${schema}.parent`);
  report.parentRowsAfterTruncate = left.rows[0].n;
} finally {
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.close();
}

// mysql2 is not installed: the MySQL dialect must say so, as a ConfigError.
try {
  const other = createPool({ url: 'mysql://root@127.0.0.1:3306/test' });
  try {
    await other.query('SELECT 1');
    report.missingDriver = { error: null };
  } finally {
    await other.close();
  }
} catch (error) {
  report.missingDriver = { isConfigError: error instanceof ConfigError, code: error.code, message: error.message };
}

console.log(JSON.stringify(report));

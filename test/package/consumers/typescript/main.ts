// A TypeScript application that installed sqlpin and pg, without @types/pg and without skipLibCheck:
// sqlpin's .d.ts must stand on its own. It is type-checked under nodenext and bundler resolution,
// then run. It prints what it saw as one JSON line; test/package/pack.test.ts judges it.
import {
  ConfigError,
  createPool,
  ForeignKeyTruncateError,
  type MysqlConnectionOptions,
  type Pool,
  type PoolOptions,
  type PostgresConnectionOptions,
  sql,
} from 'sqlpin';

// The driver option types are real types, not `any`: a wrong one must not compile.
const postgresOptions: PostgresConnectionOptions = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
// @ts-expect-error port is a number
const badPostgres: PostgresConnectionOptions = { port: '5432' };
const mysqlOptions: MysqlConnectionOptions = { host: '127.0.0.1', port: 3306, user: 'root', database: 'test' };
// @ts-expect-error port is a number
const badMysql: MysqlConnectionOptions = { port: '3306' };
// @ts-expect-error unknown pool option
const badPool: PoolOptions = { url: 'postgres://x', maxSessions: 3 };
void [postgresOptions, mysqlOptions, badPostgres, badMysql, badPool];

interface Report {
  answer?: number;
  pinned?: { sessionId: number; pid: number; parentRows: number };
  refused?: { isForeignKeyTruncateError: boolean; referencingTables: readonly string[] };
  parentRowsAfterTruncate?: number;
}

async function exercise(db: Pool, schema: string): Promise<Report> {
  const report: Report = {};
  await db.query(`CREATE TABLE ${schema}.parent (id int PRIMARY KEY)`);
  await db.query(`CREATE TABLE ${schema}.child (id int PRIMARY KEY, parent_id int REFERENCES ${schema}.parent (id))`);

  const { rows } = await db.query<{ answer: number }>(sql`SELECT ${41}::int + 1 AS answer`);
  report.answer = rows[0]?.answer;

  report.pinned = await db.withConnection(async (conn) => {
    await conn.query(`SET search_path TO ${schema}`);
    await conn.query('INSERT INTO parent (id) VALUES (1), (2), (3)');
    await conn.query('INSERT INTO child (id, parent_id) VALUES (10, 1)');
    const counted = await conn.query<{ n: number; pid: number }>('SELECT count(*)::int AS n, pg_backend_pid() AS pid FROM parent');
    const row = counted.rows[0];
    if (!row) throw new Error('count returned no row');
    return { sessionId: conn.sessionId, pid: row.pid, parentRows: row.n };
  });

  // child holds a row: the default truncate refuses and names it; cascade empties both.
  try {
    await db.truncate(`${schema}.parent`);
  } catch (error) {
    if (!(error instanceof ForeignKeyTruncateError)) throw error;
    report.refused = { isForeignKeyTruncateError: true, referencingTables: error.referencingTables };
  }
  await db.truncate([{ schema, name: 'parent' }], { cascade: true });
  const left = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.parent`);
  report.parentRowsAfterTruncate = left.rows[0]?.n;
  return report;
}

const schema = `sqlpin_pack_ts_${process.pid}`;
const db = createPool({ url: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 2 });
let report: Report;
try {
  await db.query(`CREATE SCHEMA ${schema}`);
  report = await exercise(db, schema);
} finally {
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.close();
}

// Errors narrow to their classes: `code` is typed on every SqlpinError.
let configError: string | undefined;
try {
  createPool({ url: 'nosuchscheme://x' });
} catch (error) {
  if (error instanceof ConfigError) configError = error.code;
}
console.log(JSON.stringify({ ...report, configError }));

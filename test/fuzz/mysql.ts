import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { SERVER_URLS } from '../helpers/servers.js';
import { type FuzzDialect, type RawOutcome, type Snapshot, sortedJson } from './adapter.js';
import { type Case, fillStatements, relations, type Schema, tableName } from './model.js';
import { callSet, fkColumns, referencingClosure, viewRefusal } from './shape.js';

const q = (name: string): string => `\`${name.replaceAll('`', '``')}\``;
/** A literal that reads the same under every sql_mode: no backslash in it, quotes doubled. */
const lit = (text: string): string => `'${text.replaceAll("'", "''")}'`;

type Rows = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export async function openMysql(): Promise<FuzzDialect> {
  const admin = await mysql.createConnection({ uri: SERVER_URLS.mysql, multipleStatements: true });
  const log = `fzlog_${randomBytes(3).toString('hex')}`;
  await admin.query(
    `CREATE DATABASE ${q(log)}; CREATE TABLE ${q(log)}.log (copy varchar(64), name varchar(64), op varchar(16), lvl varchar(16), tg_when varchar(16))`,
  );
  const rows: Rows = async (text, params) => {
    const [result] = await admin.query(text, params);
    return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
  };
  return {
    dialect: 'mysql',
    ddl: (ns, schema, principal) => mysqlDdl(ns, schema, principal, log),
    run: async (statements) => void (await admin.query(statements.join(';\n'))),
    createPrincipal: async (schema) => {
      if (schema.grants === undefined) return undefined;
      const user = `fz_u_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE USER ${lit(user)}@'%'`);
      return user;
    },
    dropPrincipal: async (user) => void (await admin.query(`DROP USER IF EXISTS ${lit(user)}@'%'`)),
    dropCopy: async (ns) => void (await admin.query(`DROP DATABASE IF EXISTS ${q(ns)}; DELETE FROM ${q(log)}.log WHERE copy = ${lit(ns)}`)),
    snapshot: (ns, schema) => snapshotMysql(rows, ns, schema, log),
    raw: (ns, testCase, principal) => rawMysql(rows, mysqlUrl(undefined, principal), ns, testCase),
    url: mysqlUrl,
    prepare: async (conn, ns, testCase) => {
      const { sqlMode } = testCase.schema.session;
      const shadowed = testCase.schema.shadowedByTemp;
      if (shadowed !== undefined) {
        const name = `${q(ns)}.${q(tableName(testCase.schema, shadowed))}`;
        await conn.query(`CREATE TEMPORARY TABLE ${name} (id int, v int)`);
        await conn.query(`INSERT INTO ${name} VALUES (1, 99)`);
      }
      if (sqlMode !== undefined) await conn.query(`SET SESSION sql_mode = ${lit(sqlMode)}`);
    },
    move: async (conn, decoy) => void (await conn.query(`USE ${q(decoy)}`)),
    afterCall: async (conn, ns, testCase) => {
      const shadowed = testCase.schema.shadowedByTemp;
      if (shadowed === undefined) return undefined;
      const name = tableName(testCase.schema, shadowed);
      const { rows: left } = await conn.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${q(ns)}.${q(name)}`);
      return Number(left[0]?.n) === 1 ? undefined : `the temporary table ${name} on the session lost its row`;
    },
    mustRefuse: (testCase) => mustRefuse(testCase),
    close: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${q(log)}`);
      await admin.end();
    },
  };
}

function mysqlUrl(ns: string | undefined, principal: string | undefined): string {
  const url = new URL(SERVER_URLS.mysql);
  if (principal !== undefined) {
    url.username = principal;
    url.password = '';
  }
  url.pathname = ns === undefined ? '/' : `/${ns}`;
  return url.toString();
}

/** The contract's own refusals: a system-versioned table among those emptied, a target shadowed by a temporary table. */
function mustRefuse(testCase: Case): string | undefined {
  const view = viewRefusal(testCase, 'mysql');
  if (view !== undefined) return view;
  const tables = emptied(testCase);
  if (tables.some((i) => testCase.schema.tables[i]!.kind === 'versioned')) return 'a system-versioned table is emptied';
  const shadowed = testCase.schema.shadowedByTemp;
  if (shadowed !== undefined && tables.includes(shadowed)) return 'a temporary table shadows a target on the session';
  return undefined;
}

/** Table indices the raw statements empty: the set, and with cascade every table referencing it. */
function emptied(testCase: Case): number[] {
  const set = callSet(testCase, 'mysql')
    .filter((r) => r.kind === 'table')
    .map((r) => r.table);
  const closure = testCase.options.cascade ? referencingClosure(testCase.schema, new Set(set)) : [];
  return [...new Set([...set, ...closure])];
}

function createTable(ns: string, schema: Schema, table: number): string {
  const spec = schema.tables[table]!;
  const id = spec.counter === 'auto' ? 'id int NOT NULL AUTO_INCREMENT' : 'id int NOT NULL';
  const fks = schema.fks.flatMap((fk, k) =>
    fk.from === table
      ? [`CONSTRAINT fk${k} FOREIGN KEY (f${k}) REFERENCES ${q(ns)}.${q(tableName(schema, fk.to))} (id) ON DELETE ${fk.onDelete}`]
      : [],
  );
  const columns = [id, 'v int NOT NULL DEFAULT 0', ...fkColumns(schema, table).map((c) => `${c} int NULL`), 'PRIMARY KEY (id)', ...fks];
  const split = spec.burnt + Math.ceil(spec.rows / 2) + 1;
  const tail =
    spec.kind === 'versioned'
      ? ' WITH SYSTEM VERSIONING'
      : spec.kind === 'partitioned'
        ? ` PARTITION BY RANGE (id) (PARTITION p1 VALUES LESS THAN (${split}), PARTITION p2 VALUES LESS THAN MAXVALUE)`
        : '';
  return `CREATE TABLE ${q(ns)}.${q(tableName(schema, table))} (${columns.join(', ')}) ENGINE=${spec.engine}${tail}`;
}

function fillTables(ns: string, schema: Schema): string[] {
  return fillStatements(
    schema,
    (table) => `${q(ns)}.${q(table)}`,
    (name, count) => `INSERT INTO ${name} (v) VALUES ${Array.from({ length: count }, () => '(0)').join(', ')}`,
  );
}

function mysqlDdl(ns: string, schema: Schema, principal: string | undefined, log: string): string[] {
  const t = (i: number): string => `${q(ns)}.${q(tableName(schema, i))}`;
  const triggers = schema.triggers.map(
    (tr, k) =>
      `CREATE TRIGGER ${q(ns)}.tr${k} ${tr.timing} ${tr.event} ON ${t(tr.table)} FOR EACH ROW ` +
      `INSERT INTO ${q(log)}.log VALUES (${lit(ns)}, 'tr${k}', ${lit(tr.event)}, 'ROW', ${lit(tr.timing)})`,
  );
  const views = schema.views.map((view, k) => `CREATE VIEW ${q(ns)}.v${k} AS SELECT * FROM ${t(view.base)}`);
  const grants =
    principal === undefined || schema.grants === undefined
      ? []
      : [
          `GRANT SHOW VIEW ON ${q(ns)}.* TO ${lit(principal)}@'%'`,
          ...schema.grants.flatMap((privileges, i) =>
            privileges.length === 0 ? [] : [`GRANT ${privileges.join(', ')} ON ${t(i)} TO ${lit(principal)}@'%'`],
          ),
          ...schema.views.map((_, k) => `GRANT SELECT ON ${q(ns)}.v${k} TO ${lit(principal)}@'%'`),
        ];
  // FKs inline with checks off: an ALTER TABLE per FK rebuilds the table, which made a case take seconds.
  return [
    'SET FOREIGN_KEY_CHECKS = 0',
    `CREATE DATABASE ${q(ns)}`,
    ...schema.tables.map((_, i) => createTable(ns, schema, i)),
    ...fillTables(ns, schema),
    'SET FOREIGN_KEY_CHECKS = 1',
    ...triggers,
    ...views,
    ...grants,
  ];
}

/** Rows of every table (system-versioned ones with their history), AUTO_INCREMENT of each, the trigger log. */
async function snapshotMysql(rows: Rows, ns: string, schema: Schema, log: string): Promise<Snapshot> {
  const out: Record<string, string> = {};
  for (const relation of relations(schema, 'mysql')) {
    if (relation.kind !== 'table') continue;
    const history = schema.tables[relation.table]!.kind === 'versioned' ? ' FOR SYSTEM_TIME ALL' : '';
    out[`rows ${relation.name}`] = sortedJson(await rows(`SELECT * FROM ${q(ns)}.${q(relation.name)}${history}`));
  }
  const counters = await rows('SELECT TABLE_NAME AS name, AUTO_INCREMENT AS next FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [
    ns,
  ]);
  for (const c of counters) if (c.next !== null) out[`AUTO_INCREMENT of ${c.name}`] = String(c.next);
  out['trigger log'] = sortedJson(await rows(`SELECT name, op, lvl, tg_when FROM ${q(log)}.log WHERE copy = ?`, [ns]));
  return out;
}

/**
 * The raw statements on the raw copy, as the call's user under its sql_mode:
 * FOREIGN_KEY_CHECKS off, TRUNCATE each (with cascade, every referencing
 * table too), checks restored; with restartIdentity false, AUTO_INCREMENT put back.
 */
async function rawMysql(rows: Rows, url: string, ns: string, testCase: Case): Promise<RawOutcome> {
  const connection = await mysql.createConnection({ uri: url });
  try {
    const { sqlMode } = testCase.schema.session;
    if (sqlMode !== undefined) await connection.query(`SET SESSION sql_mode = ${lit(sqlMode)}`);
    const named = callSet(testCase, 'mysql').map((r) => r.name);
    const tables = emptied(testCase).map((i) => tableName(testCase.schema, i));
    const list = [...new Set([...named, ...tables])];
    const counters = new Map<string, unknown>();
    if (!testCase.options.restartIdentity)
      for (const c of await rows(
        'SELECT TABLE_NAME AS name, AUTO_INCREMENT AS next FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
        [ns],
      ))
        if (c.next !== null) counters.set(String(c.name), c.next);
    await connection.query('SET FOREIGN_KEY_CHECKS = 0');
    try {
      for (const name of list) await connection.query(`TRUNCATE TABLE ${q(ns)}.${q(name)}`);
    } catch (error) {
      const e = error as { errno?: number; message?: string };
      return { ok: false, relaxed: false, error: `${e.errno ?? '?'} ${e.message ?? String(error)}` };
    } finally {
      await connection.query('SET FOREIGN_KEY_CHECKS = 1');
    }
    for (const name of list)
      if (counters.has(name)) await rows(`ALTER TABLE ${q(ns)}.${q(name)} AUTO_INCREMENT = ${Number(counters.get(name))}`);
    return { ok: true, relaxed: false, error: undefined };
  } finally {
    await connection.end();
  }
}

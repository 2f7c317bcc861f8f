import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Connection } from '../../lib/index.js';
import { SERVER_URLS } from '../helpers/servers.js';
import { type FuzzDialect, type RawOutcome, type Snapshot, sortedJson } from './adapter.js';
import { type Case, fillStatements, relations, type Schema, tableName } from './model.js';
import { callSet, fkColumns, postgresRefusal, referencingClosure } from './shape.js';

const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const lit = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * Functions that shadow pg_catalog's when a schema precedes it on
 * search_path: each one raises, so any unqualified call sqlpin makes under
 * such a search_path shows as an error where the raw statements succeed.
 */
const SHADOWED = [
  'to_regclass(text) RETURNS regclass',
  'current_setting(text) RETURNS text',
  'current_setting(text, boolean) RETURNS text',
  'set_config(text, text, boolean) RETURNS text',
  'pg_relation_size(regclass) RETURNS bigint',
  'left(text, integer) RETURNS text',
  'current_schema() RETURNS name',
  'pg_backend_pid() RETURNS integer',
  'quote_ident(text) RETURNS text',
  'format_type(oid, integer) RETURNS text',
  'pg_get_serial_sequence(text, text) RETURNS text',
  'has_table_privilege(text, text) RETURNS boolean',
  'has_table_privilege(oid, text) RETURNS boolean',
  'has_sequence_privilege(oid, text) RETURNS boolean',
  'pg_table_is_visible(oid) RETURNS boolean',
  'row_security_active(oid) RETURNS boolean',
  'row_security_active(text) RETURNS boolean',
  'array_length(anyarray, integer) RETURNS integer',
  'lower(text) RETURNS text',
  'upper(text) RETURNS text',
  'now() RETURNS timestamptz',
  'unnest(anyarray) RETURNS SETOF anyelement',
];

export async function openPostgres(): Promise<FuzzDialect> {
  const admin = new pg.Client({ connectionString: SERVER_URLS.postgres });
  await admin.connect();
  const tag = randomBytes(3).toString('hex');
  const log = `fzlog_${tag}`;
  const shadow = `fzshadow_${tag}`;
  const shadows = SHADOWED.map(
    (sig) =>
      `CREATE FUNCTION ${q(shadow)}.${sig} LANGUAGE plpgsql AS $f$BEGIN RAISE EXCEPTION 'fuzz: shadowed ${sig.split('(')[0]} called'; END$f$`,
  );
  await admin.query(
    [
      `CREATE SCHEMA ${q(log)}`,
      `CREATE TABLE ${q(log)}.log (copy text, name text, op text, lvl text, tg_when text)`,
      `GRANT USAGE ON SCHEMA ${q(log)} TO PUBLIC`,
      `CREATE SCHEMA ${q(shadow)}`,
      `GRANT USAGE ON SCHEMA ${q(shadow)} TO PUBLIC`,
      ...shadows,
    ].join(';\n'),
  );
  return postgresDialect(admin, log, shadow);
}

function postgresDialect(admin: pg.Client, log: string, shadow: string): FuzzDialect {
  const rows = async (text: string, params?: unknown[]): Promise<Record<string, unknown>[]> => (await admin.query(text, params)).rows;
  // pg_catalog is named only after the shadowing schema: first on the path it would be the session's current schema,
  // and a truncateAll that takes the current schema for the configured one would aim at the system catalogs (FINDINGS P8).
  const searchPath = (testCase: Case, ns: string): string =>
    testCase.schema.session.shadow ? `${q(shadow)}, pg_catalog, ${q(ns)}` : q(ns);
  return {
    dialect: 'postgres',
    ddl: (ns, schema, principal) => postgresDdl(ns, schema, principal, log),
    run: async (statements) => void (await admin.query(statements.join(';\n'))),
    createPrincipal: async (schema) => {
      if (schema.grants === undefined) return undefined;
      const role = `fz_role_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE ROLE ${q(role)} LOGIN`);
      return role;
    },
    dropPrincipal: async (role) => void (await admin.query(`DROP OWNED BY ${q(role)}; DROP ROLE ${q(role)}`)),
    dropCopy: async (ns) =>
      void (await admin.query(`DROP SCHEMA IF EXISTS ${q(ns)} CASCADE; DELETE FROM ${q(log)}.log WHERE copy = ${lit(ns)}`)),
    snapshot: (ns, schema) => snapshotPostgres(rows, ns, schema, log),
    raw: (ns, testCase, principal) => rawPostgres(rows, postgresUrl(ns, principal), ns, testCase, searchPath(testCase, ns)),
    url: postgresUrl,
    prepare: async (conn, ns, testCase) => {
      if (testCase.schema.session.shadow) await conn.query(`SET search_path = ${searchPath(testCase, ns)}`);
    },
    move: async (conn: Connection, decoy, testCase) => void (await conn.query(`SET search_path = ${searchPath(testCase, decoy)}`)),
    afterCall: async () => undefined,
    mustRefuse: postgresRefusal,
    close: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS ${q(log)} CASCADE; DROP SCHEMA IF EXISTS ${q(shadow)} CASCADE`);
      await admin.end();
    },
  };
}

function postgresUrl(ns: string, principal: string | undefined): string {
  const url = new URL(SERVER_URLS.postgres);
  if (principal !== undefined) {
    url.username = principal;
    url.password = '';
  }
  url.searchParams.set('options', `-c search_path=${ns}`);
  return url.toString();
}

function idColumn(ns: string, schema: Schema, table: number): string {
  const spec = schema.tables[table]!;
  const sequence = `${q(ns)}.${q(`${tableName(schema, table)}_seq`)}`;
  switch (spec.counter) {
    case 'serial':
      return 'id serial NOT NULL';
    case 'identity':
      return 'id int GENERATED ALWAYS AS IDENTITY';
    case 'shared':
      return `id int NOT NULL DEFAULT nextval(${lit(`${q(ns)}.shared_seq`)})`;
    case 'owned':
      return `id int NOT NULL DEFAULT nextval(${lit(sequence)})`;
    default:
      return 'id int NOT NULL';
  }
}

/** CREATE TABLE (and its sequence and partitions) for one table. */
function createTable(ns: string, schema: Schema, table: number): string[] {
  const spec = schema.tables[table]!;
  const name = `${q(ns)}.${q(tableName(schema, table))}`;
  if (spec.inherits !== undefined) return [`CREATE TABLE ${name} () INHERITS (${q(ns)}.${q(tableName(schema, spec.inherits))})`];
  const out: string[] = [];
  const sequence = `${q(ns)}.${q(`${tableName(schema, table)}_seq`)}`;
  if (spec.counter === 'owned') out.push(`CREATE SEQUENCE ${sequence}`);
  const columns = [
    idColumn(ns, schema, table),
    'v int NOT NULL DEFAULT 0',
    ...fkColumns(schema, table).map((c) => `${c} int`),
    'PRIMARY KEY (id)',
  ];
  const partitioned = spec.kind === 'partitioned';
  out.push(`CREATE TABLE ${name} (${columns.join(', ')})${partitioned ? ' PARTITION BY RANGE (id)' : ''}`);
  if (partitioned) {
    const split = spec.burnt + Math.ceil(spec.rows / 2) + 1;
    out.push(`CREATE TABLE ${q(ns)}.${q(`${tableName(schema, table)}_p1`)} PARTITION OF ${name} FOR VALUES FROM (MINVALUE) TO (${split})`);
    out.push(`CREATE TABLE ${q(ns)}.${q(`${tableName(schema, table)}_p2`)} PARTITION OF ${name} FOR VALUES FROM (${split}) TO (MAXVALUE)`);
  }
  if (spec.counter === 'owned') out.push(`ALTER SEQUENCE ${sequence} OWNED BY ${name}.id`);
  return out;
}

function fillTables(ns: string, schema: Schema): string[] {
  return fillStatements(
    schema,
    (table) => `${q(ns)}.${q(table)}`,
    (name, count) => `INSERT INTO ${name} (v) SELECT 0 FROM generate_series(1, ${count})`,
  );
}

/** Every statement that makes one copy: tables, rows, then the constraints, triggers and grants over them. */
function postgresDdl(ns: string, schema: Schema, principal: string | undefined, log: string): string[] {
  const t = (i: number): string => `${q(ns)}.${q(tableName(schema, i))}`;
  const fks = schema.fks.map((fk, k) => {
    const deferrable = fk.deferrable === 'no' ? '' : ` DEFERRABLE INITIALLY ${fk.deferrable.toUpperCase()}`;
    return `ALTER TABLE ${t(fk.from)} ADD CONSTRAINT fk${k} FOREIGN KEY (f${k}) REFERENCES ${t(fk.to)} (id) ON DELETE ${fk.onDelete}${deferrable}`;
  });
  const logFunction =
    `CREATE FUNCTION ${q(ns)}.fz_log() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $f$BEGIN ` +
    `INSERT INTO ${q(log)}.log VALUES (${lit(ns)}, TG_NAME, TG_OP, TG_LEVEL, TG_WHEN); ` +
    `IF TG_ARGV[0] = 'skip' THEN RETURN NULL; END IF; IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END$f$`;
  const triggers = schema.triggers.map(
    (tr, k) =>
      `CREATE TRIGGER tr${k} ${tr.timing} ${tr.event} ON ${t(tr.table)} FOR EACH ${tr.level} EXECUTE FUNCTION ${q(ns)}.fz_log(${lit(tr.skip ? 'skip' : 'go')})`,
  );
  const rules = schema.rules.map((rule, k) => {
    const action = rule.instead
      ? 'INSTEAD NOTHING'
      : `ALSO INSERT INTO ${q(log)}.log VALUES (${lit(ns)}, 'ru${k}', ${lit(rule.event)}, 'RULE', 'ALSO')`;
    return `CREATE RULE ru${k} AS ON ${rule.event} TO ${t(rule.table)} DO ${action}`;
  });
  const views = schema.views.map((view, k) =>
    view.materialized
      ? `CREATE MATERIALIZED VIEW ${q(ns)}.mv${k} AS SELECT * FROM ${t(view.base)}`
      : `CREATE VIEW ${q(ns)}.v${k} AS SELECT * FROM ${t(view.base)}`,
  );
  const rls = schema.tables.flatMap((spec, i) =>
    spec.hidden === 'none'
      ? []
      : [
          `ALTER TABLE ${t(i)} ENABLE ROW LEVEL SECURITY`,
          `CREATE POLICY visible ON ${t(i)} USING (${spec.hidden === 'all' ? 'false' : 'v % 2 = 0'})`,
        ],
  );
  const shared = schema.tables.some((spec) => spec.counter === 'shared') ? [`CREATE SEQUENCE ${q(ns)}.shared_seq`] : [];
  return [
    `CREATE SCHEMA ${q(ns)}`,
    ...shared,
    ...schema.tables.flatMap((_, i) => createTable(ns, schema, i)),
    ...fillTables(ns, schema),
    ...fks,
    logFunction,
    ...triggers,
    ...rules,
    ...views,
    ...rls,
    ...grants(ns, schema, principal),
  ];
}

function grants(ns: string, schema: Schema, principal: string | undefined): string[] {
  if (principal === undefined || schema.grants === undefined) return [];
  const role = q(principal);
  const out = [`GRANT USAGE ON SCHEMA ${q(ns)} TO ${role}`, `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${q(ns)} TO ${role}`];
  for (const relation of relations(schema, 'postgres')) {
    const privileges = relation.kind === 'view' || relation.kind === 'matview' ? ['SELECT'] : (schema.grants[relation.table] ?? []);
    if (privileges.length > 0) out.push(`GRANT ${privileges.join(', ')} ON ${q(ns)}.${q(relation.name)} TO ${role}`);
  }
  return out;
}

/** Rows of every table and partition (ONLY: an inheritance child's rows are its own), counters' next values, the trigger log. */
async function snapshotPostgres(
  rows: (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>,
  ns: string,
  schema: Schema,
  log: string,
): Promise<Snapshot> {
  const out: Record<string, string> = {};
  for (const relation of relations(schema, 'postgres')) {
    if (relation.kind === 'view') continue;
    if (relation.kind === 'table' && schema.tables[relation.table]!.kind === 'partitioned') continue;
    out[`rows ${relation.name}`] = sortedJson(await rows(`SELECT * FROM ONLY ${q(ns)}.${q(relation.name)}`));
  }
  const sequences = await rows(
    'SELECT sequencename AS name, coalesce(last_value + increment_by, start_value) AS next FROM pg_catalog.pg_sequences WHERE schemaname = $1',
    [ns],
  );
  for (const s of sequences) out[`next value of ${s.name}`] = String(s.next);
  out['trigger log'] = sortedJson(await rows(`SELECT name, op, lvl, tg_when FROM ${q(log)}.log WHERE copy = $1`, [ns]));
  return out;
}

type Rows = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * The raw statement on the raw copy, as the call's role under the call's
 * search_path: `TRUNCATE t1, …, tn [RESTART IDENTITY] [CASCADE]`. When it
 * fails only because tables outside the list reference it and all of those are
 * empty, the contract lets sqlpin include them (their counters kept): that
 * result is made instead and reported as relaxed.
 */
async function rawPostgres(rows: Rows, url: string, ns: string, testCase: Case, searchPath: string): Promise<RawOutcome> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET search_path = ${searchPath}`);
    const set = callSet(testCase, 'postgres');
    const names = set.map((r) => `${q(ns)}.${q(r.name)}`);
    const { cascade, restartIdentity } = testCase.options;
    const statement = (list: string[]): string =>
      `TRUNCATE ${list.join(', ')}${restartIdentity ? ' RESTART IDENTITY' : ''}${cascade ? ' CASCADE' : ''}`;
    // Nothing to empty (everything excepted) is nothing sent.
    const literal = names.length === 0 ? undefined : await attempt(client, statement(names));
    if (literal === undefined) return { ok: true, relaxed: false, error: undefined };
    if (cascade || !literal.startsWith('0A000')) return { ok: false, relaxed: false, error: literal };
    const whole = new Set(set.filter((r) => r.kind === 'table').map((r) => r.table));
    const refs = referencingClosure(testCase.schema, new Set(set.map((r) => r.table)), whole);
    // ONLY: a foreign key holds for the rows of its own table, never for those of its inheritance children; a partitioned
    // table's rows are all in its partitions (and PostgreSQL refuses TRUNCATE ONLY there), less those listed.
    const only = (i: number) => (testCase.schema.tables[i]!.kind === 'partitioned' ? '' : 'ONLY ');
    const listedParts = set.filter((r) => r.kind === 'partition').map((r) => `${q(ns)}.${q(r.name)}`);
    const unlisted = listedParts.length === 0 ? '' : ` WHERE tableoid NOT IN (${listedParts.map((n) => `${lit(n)}::regclass`).join(', ')})`;
    for (const ref of refs) {
      const [count] = await rows(`SELECT count(*)::int AS n FROM ${only(ref)}${q(ns)}.${q(tableName(testCase.schema, ref))}${unlisted}`);
      if (count?.n !== 0) return { ok: false, relaxed: false, error: literal };
    }
    const kept = await ownedSequences(rows, ns, testCase.schema, refs);
    const relaxed = await attempt(
      client,
      statement([...names, ...refs.map((i) => `${only(i)}${q(ns)}.${q(tableName(testCase.schema, i))}`)]),
    );
    for (const s of kept) await rows('SELECT pg_catalog.setval($1, $2, $3)', [s.name, s.last, s.called]);
    return { ok: false, relaxed: relaxed === undefined, error: literal };
  } finally {
    await client.end();
  }
}

/** One statement in its own transaction; the error as "SQLSTATE message", or undefined when it committed. */
async function attempt(client: pg.Client, statement: string): Promise<string | undefined> {
  try {
    await client.query('BEGIN');
    await client.query(statement);
    await client.query('COMMIT');
    return undefined;
  } catch (error) {
    await client.query('ROLLBACK');
    const e = error as { code?: string; message?: string };
    return `${e.code ?? '?'} ${e.message ?? String(error)}`;
  }
}

/** The sequences the given tables own, with their state, to put back after a RESTART IDENTITY that reached them. */
async function ownedSequences(
  rows: Rows,
  ns: string,
  schema: Schema,
  tables: readonly number[],
): Promise<{ name: string; last: number; called: boolean }[]> {
  const out: { name: string; last: number; called: boolean }[] = [];
  for (const table of tables) {
    const [found] = await rows('SELECT pg_catalog.pg_get_serial_sequence($1, $2) AS seq', [
      `${q(ns)}.${q(tableName(schema, table))}`,
      'id',
    ]);
    const sequence = found?.seq;
    if (typeof sequence !== 'string') continue;
    const [state] = await rows(`SELECT last_value AS last, is_called AS called FROM ${sequence}`);
    out.push({ name: sequence, last: Number(state!.last), called: state!.called === true });
  }
  return out;
}

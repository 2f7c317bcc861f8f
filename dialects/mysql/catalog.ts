import type { TruncateTarget } from '../../lib/driver.js';
import { InvalidArgumentError, NotATableError, TableNotFoundError, TruncateRefusedError } from '../../lib/errors.js';
import { formatTableName, type TableName } from '../../lib/identifiers.js';
import { withReferencing } from '../../lib/truncate-plan.js';
import { quoteMysql } from './names.js';
import type { MysqlSession } from './session.js';
import { causal, wsrepOn } from './galera.js';

/** A base table as information_schema knows it, with its AUTO_INCREMENT counter (null when it has none). */
export interface CatalogTable {
  readonly schema: string;
  readonly name: string;
  readonly autoIncrement: number | null;
  /** A MariaDB system-versioned table: TRUNCATE is refused on it. */
  readonly versioned?: boolean;
}

/** A table to consider; `autoIncrement` is undefined until it has been read. */
export type Candidate = Omit<CatalogTable, 'autoIncrement'> & { readonly autoIncrement?: number | null };

/** The session's settings and the tables a call names, as one read found them. */
export interface Resolution {
  /** FOREIGN_KEY_CHECKS as the session had it, to restore. */
  readonly checks: number;
  /** lock_wait_timeout as the session had it, to restore. */
  readonly lockWait: number;
  readonly readOnly: boolean;
  /** sql_mode ORACLE: MariaDB parses compound statements as PL/SQL, so sqlpin's own (`compoundStatement`) cannot run. */
  readonly oracleMode: boolean;
  /** A table the call aims at, for the read-only probe. */
  readonly first: CatalogTable | undefined;
  /** The tables to empty (for `truncateAll`, every base table but the excepted ones). */
  readonly named: CatalogTable[];
  /** Whether the session may hold temporary tables (it has created some since it began or was reset); true when unknown. */
  readonly temporaryTables: boolean;
  /** What the current user holds on the whole server, as far as sqlpin can tell; see `GrantsSeen`. */
  readonly grants: GrantsSeen;
}

/**
 * The privileges information_schema shows the current user, server-wide.
 * It does not show what a role in force or PUBLIC grants to a user without
 * privileges on the grant tables: then `complete` is false and nothing is
 * refused for want of a privilege, since sqlpin cannot know.
 */
export interface GrantsSeen {
  readonly global: ReadonlySet<string>;
  readonly complete: boolean;
}

/** One row of the resolution query: the session's settings (name null), or a candidate table. */
interface ResolutionRow {
  readonly db: string | null;
  readonly fkc: number | string;
  readonly ro: number | string | null;
  readonly wsrep: number | string | null;
  readonly lwt: number | string | null;
  readonly mode: string | null;
  readonly tmp: number | string | null;
  readonly privs: string | null;
  readonly role: string | null;
  readonly schema: string | null;
  readonly name: string | null;
  readonly type: string | null;
  readonly autoIncrement: number | string | null;
}

/**
 * Resolves what to empty in one round trip, together with the session's
 * current database and FOREIGN_KEY_CHECKS. information_schema compares names
 * without regard to case, accents or trailing spaces, so rows are candidates
 * and the exact match is made here.
 */
export async function resolve(session: MysqlSession, what: TruncateTarget): Promise<Resolution> {
  const { text, params } = resolutionQuery(session, what);
  // The first read of the call, made causal on Galera: the later ones see at least what it saw.
  const { rows } = await session.query<ResolutionRow>(causal(session.connection, text), params);
  const current = rows.find((row) => row.name === null && row.type === null)!;
  if (session.connection.galera === undefined) {
    session.connection.galera = Number(current.wsrep) === 1;
    // Found on this first read, which was not causal yet: once per session on a Galera node, it is asked again.
    if (session.connection.galera) return resolve(session, what);
  }
  const settings = {
    checks: Number(current.fkc),
    lockWait: Number(current.lwt),
    readOnly: Number(current.ro) === 1,
    oracleMode: current.mode?.split(',').includes('ORACLE') === true,
    temporaryTables: current.tmp === null || Number(current.tmp) > 0,
    grants: { global: globalPrivileges(session, current.privs), complete: current.role === null },
  };
  // Unqualified names: the session's database, as a raw TRUNCATE reads them; excepted ones, the database emptied.
  const names = what.kind === 'tables' ? what.tables : what.except;
  const schema = lookupSchema(session, what) ?? current.db;
  if (settings.temporaryTables) await refuseTemporaryOnly(session, rows, names, schema);
  const lookedUp = findNamed(rows, names, schema);
  if (what.kind === 'tables') {
    const named = [...lookedUp.values()];
    refuseVersioned(named);
    return { ...settings, first: named[0], named };
  }
  const named = everyTable(rows, allSchema(session, what), lookedUp);
  refuseVersioned(named);
  return { ...settings, first: named[0] ?? [...lookedUp.values()][0], named };
}

/**
 * The resolution query: the settings row, candidate rows for the names, and
 * for every table of a database, the schema's row in SCHEMATA (which tells a
 * database with no tables from one that does not exist) and its tables.
 */
function resolutionQuery(session: MysqlSession, what: TruncateTarget): { text: string; params: (string | null)[] } {
  const parts = [
    `SELECT DATABASE() AS db, @@foreign_key_checks AS fkc, @@read_only AS ro, ${wsrepOn(session.connection)} AS wsrep, @@lock_wait_timeout AS lwt, @@sql_mode AS mode,
            ${sessionFacts(session.connection)},
            NULL AS \`schema\`, NULL AS name, NULL AS type, NULL AS autoIncrement`,
  ];
  const params: (string | null)[] = [];
  const lookups = what.kind === 'tables' ? what.tables : what.except;
  if (lookups.length > 0) {
    // By WHERE, since MariaDB opens every table on the server for a join condition.
    parts.push(`SELECT ${NO_SETTINGS}, t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE, t.AUTO_INCREMENT
                  FROM information_schema.TABLES t
                 WHERE t.TABLE_SCHEMA IN (${lookups.map(() => 'COALESCE(?, DATABASE())').join(', ')})
                   AND t.TABLE_NAME IN (${lookups.map(() => '?').join(', ')})`);
    params.push(...lookups.map((table) => table.schema ?? lookupSchema(session, what)), ...lookups.map((table) => table.name));
  }
  if (what.kind === 'all') {
    parts.push(
      `SELECT ${NO_SETTINGS}, s.SCHEMA_NAME, NULL, 'SCHEMA', NULL FROM information_schema.SCHEMATA s WHERE s.SCHEMA_NAME = ?`,
      `SELECT ${NO_SETTINGS}, t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE, t.AUTO_INCREMENT
         FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = ? AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')`,
    );
    const schema = allSchema(session, what);
    params.push(schema, schema);
  }
  return { text: parts.join('\nUNION ALL\n'), params };
}

/** The settings row's columns in the other rows of the resolution query. */
const NO_SETTINGS = 'NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL';

/** information_schema's GRANTEE for the current user, and for grants to everyone. */
export const GRANTEES = `CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), ''''), '''PUBLIC''@'''''`;

/** The privileges sqlpin asks about: what TRUNCATE and a lock bound need, what reading and deleting need, and PROCESS for `dictionaryEdges`. */
export const PRIVILEGES = "'DROP', 'LOCK TABLES', 'SELECT', 'DELETE', 'ALTER', 'PROCESS'";

/**
 * What the refusals need of the session: whether it has created temporary
 * tables (MariaDB counts CREATE TEMPORARY TABLE per session, reset with it;
 * MySQL only CREATE TABLE of any kind), the server-wide privileges, and the
 * role in force. MySQL's roles are not read: they count as one in force.
 */
function sessionFacts({ mariadb, globalPrivileges }: MysqlSession['connection']): string {
  const created = mariadb
    ? "(SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'COM_CREATE_TEMPORARY_TABLE')"
    : "(SELECT VARIABLE_VALUE FROM performance_schema.session_status WHERE VARIABLE_NAME = 'Com_create_table')";
  const privileges = `(SELECT GROUP_CONCAT(PRIVILEGE_TYPE) FROM information_schema.USER_PRIVILEGES
                        WHERE GRANTEE IN (${GRANTEES}) AND PRIVILEGE_TYPE IN (${PRIVILEGES}))`;
  const known = globalPrivileges === undefined ? privileges : 'NULL';
  return `${created} AS tmp, ${known} AS privs, ${mariadb ? 'CURRENT_ROLE()' : "'unknown'"} AS role`;
}

/**
 * The user's server-wide privileges: read on the session's first truncate and
 * kept, since a session keeps the global privileges it logged in with (a
 * GRANT ON *.* reaches sessions opened after it; a reset keeps the login).
 */
function globalPrivileges(session: MysqlSession, read: string | null): ReadonlySet<string> {
  session.connection.globalPrivileges ??= new Set(read?.split(',') ?? []);
  return session.connection.globalPrivileges;
}

/**
 * The database `truncateAll` empties: the one named, else the one the pool
 * was configured for, never the session's current one (a `USE` in a pin
 * must not move it).
 */
function allSchema(session: MysqlSession, what: TruncateTarget & { kind: 'all' }): string {
  const schema = what.schema ?? session.connection.database;
  if (schema === undefined) {
    throw new InvalidArgumentError('truncateAll: the pool was configured without a database; pass { schema }');
  }
  return schema;
}

/** Where an unqualified name is looked up: null for the session's current database. */
function lookupSchema(session: MysqlSession, what: TruncateTarget): string | null {
  return what.kind === 'all' ? allSchema(session, what) : null;
}

/**
 * A name information_schema does not know that is a temporary table of the
 * session: a raw TRUNCATE would empty it, sqlpin empties base tables only, so
 * it says what the name is rather than that it does not exist.
 */
async function refuseTemporaryOnly(
  session: MysqlSession,
  rows: readonly ResolutionRow[],
  names: readonly TableName[],
  current: string | null,
): Promise<void> {
  for (const table of names) {
    const schema = table.schema ?? current;
    if (schema === null || rows.some((r) => r.schema === schema && r.name === table.name && r.type !== 'SCHEMA')) continue;
    const shown = await session.query<unknown>(`SHOW CREATE TABLE ${quoteMysql(schema)}.${quoteMysql(table.name)}`).then(
      (result) => result.rows,
      () => undefined,
    );
    if (isTemporary(shown)) throw new NotATableError(formatTableName({ schema, name: table.name }), 'temporary table');
  }
}

/** Whether SHOW CREATE TABLE's answer is a temporary table's. */
export function isTemporary(answer: unknown): boolean {
  const row = Array.isArray(answer) ? (answer[0] as Record<string, unknown> | undefined) : undefined;
  return typeof row?.['Create Table'] === 'string' && /^CREATE TEMPORARY TABLE/i.test(row['Create Table']);
}

/**
 * The exact match of each name among the candidate rows, by key; a missing
 * one is `TableNotFoundError`, a view `NotATableError`.
 */
function findNamed(rows: readonly ResolutionRow[], names: readonly TableName[], current: string | null): Map<string, CatalogTable> {
  const found = new Map<string, CatalogTable>();
  for (const table of names) {
    const schema = table.schema ?? current;
    const row = rows.find((r) => r.schema === schema && r.name === table.name && r.type !== 'SCHEMA');
    if (row === undefined) throw new TableNotFoundError(formatTableName(table));
    if (row.type === 'VIEW') throw new NotATableError(formatTableName({ schema: row.schema!, name: row.name! }), 'view');
    if (!TABLE_TYPES.has(row.type!)) throw new TableNotFoundError(formatTableName(table));
    const resolved = toTable(row.schema!, row.name!, row.autoIncrement, row.type);
    found.set(keyOf(resolved), resolved);
  }
  return found;
}

/** Every base table of `schema` but the excepted ones. */
function everyTable(rows: readonly ResolutionRow[], schema: string, except: Map<string, CatalogTable>): CatalogTable[] {
  if (!rows.some((row) => row.type === 'SCHEMA' && row.schema === schema))
    throw new InvalidArgumentError(`database ${schema} does not exist`);
  const all = new Map<string, CatalogTable>();
  for (const row of rows) {
    if (!TABLE_TYPES.has(row.type!) || row.schema !== schema) continue;
    const table = toTable(row.schema, row.name!, row.autoIncrement, row.type);
    if (!except.has(keyOf(table))) all.set(keyOf(table), table);
  }
  return [...all.values()];
}

/**
 * The named tables and every table that references them, transitively
 * (self-references, cycles and other databases included). Counters of the
 * tables found here are not read yet: joining TABLES would open every table.
 */
export async function addReferencing(session: MysqlSession, named: readonly CatalogTable[], grants: GrantsSeen): Promise<Candidate[]> {
  const fromDictionary = session.connection.mariadb && grants.global.has('PROCESS') ? await dictionaryEdges(session) : undefined;
  const rows = fromDictionary ?? (await constraintEdges(session));
  const tables = new Map<string, Candidate>(named.map((table) => [keyOf(table), table]));
  const referencedBy = new Map<string, string[]>();
  for (const edge of rows) {
    const key = keyOf(edge);
    if (!tables.has(key)) tables.set(key, { schema: edge.schema, name: edge.name });
    const target = keyOf({ schema: edge.referencedSchema, name: edge.referencedName });
    referencedBy.set(target, [...(referencedBy.get(target) ?? []), key]);
  }
  const keys = withReferencing(named.map(keyOf), (key) => referencedBy.get(key) ?? []);
  return [...keys].map((key) => tables.get(key)!);
}

/** A foreign key: the referencing table, and the table it references. */
interface Edge {
  readonly schema: string;
  readonly name: string;
  readonly referencedSchema: string;
  readonly referencedName: string;
}

/**
 * Every foreign key on the server, from information_schema. MariaDB opens
 * every table on the server to fill REFERENTIAL_CONSTRAINTS (a condition on
 * the referenced schema does not narrow that): 28 ms with 300 tables.
 */
async function constraintEdges(session: MysqlSession): Promise<readonly Edge[]> {
  const { rows } = await session.query<Edge>(
    `SELECT CONSTRAINT_SCHEMA AS \`schema\`, TABLE_NAME AS name,
            UNIQUE_CONSTRAINT_SCHEMA AS referencedSchema, REFERENCED_TABLE_NAME AS referencedName
       FROM information_schema.REFERENTIAL_CONSTRAINTS`,
  );
  return rows;
}

/**
 * Every foreign key on the server, from InnoDB's own dictionary (MariaDB; the
 * only engine with foreign keys), which opens no table: 2 ms against 28 with
 * 300 tables. It needs PROCESS, and names tables as files: undefined, so
 * information_schema is read instead, when a name is encoded (`@`: a character
 * outside [0-9A-Za-z_]). Names with `#` are InnoDB's own copies during an ALTER.
 */
async function dictionaryEdges(session: MysqlSession): Promise<readonly Edge[] | undefined> {
  const { rows } = await session.query<{ child: string; parent: string }>(
    'SELECT FOR_NAME AS child, REF_NAME AS parent FROM information_schema.INNODB_SYS_FOREIGN',
  );
  const edges: Edge[] = [];
  for (const { child, parent } of rows) {
    if (child.includes('#')) continue;
    if (child.includes('@') || parent.includes('@')) return undefined;
    const [schema, name] = splitFileName(child);
    const [referencedSchema, referencedName] = splitFileName(parent);
    edges.push({ schema, name, referencedSchema, referencedName });
  }
  return edges;
}

/** `db/table` as InnoDB names a table; neither part holds a `/` unencoded. */
function splitFileName(name: string): [string, string] {
  const slash = name.indexOf('/');
  return [name.slice(0, slash), name.slice(slash + 1)];
}

/**
 * The tables among `tables` with DELETE triggers. A round trip of its own,
 * sent only when some table would be deleted from: one
 * information_schema.TRIGGERS scan per database costs milliseconds (MariaDB
 * opens every table's trigger file and materialises the result on disk), too
 * much to pay on every reset.
 */
export async function deleteTriggered(session: MysqlSession, tables: readonly Candidate[]): Promise<Set<string>> {
  // One SELECT per database: MariaDB reads only that database's trigger files for an equality, every database's for IN.
  const perSchema = [...new Set(tables.map((table) => table.schema))].map(
    (schema) =>
      `SELECT EVENT_OBJECT_SCHEMA AS \`schema\`, EVENT_OBJECT_TABLE AS name FROM information_schema.TRIGGERS
        WHERE EVENT_MANIPULATION = 'DELETE' AND EVENT_OBJECT_SCHEMA = ${literal(schema)}`,
  );
  const { rows } = await session.query<{ schema: string; name: string }>(perSchema.join('\nUNION ALL\n'));
  return new Set(rows.map(keyOf));
}

/**
 * A string as a SQL literal, for text that also holds quoted identifiers: mysql2
 * would fill a `?` inside a quoted name with a parameter, so no parameters are
 * used there. Hex cannot break out of the literal, whatever the string holds.
 * An introduced literal, not CONVERT(): MariaDB narrows an information_schema
 * read to one database or table only for a plain constant, and with CONVERT()
 * it opened every table on the server (3.6 ms against 0.4 with 4,000 tables).
 */
export function literal(text: string): string {
  return `_utf8mb4 X'${Buffer.from(text, 'utf8').toString('hex')}'`;
}

/** Identifies a table in maps; NUL cannot occur in names, so the key is unambiguous. */
export function keyOf(table: { readonly schema: string; readonly name: string }): string {
  return `${table.schema}\0${table.name}`;
}

export function toCounter(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function toTable(schema: string, name: string, autoIncrement: number | string | null, type: string | null): CatalogTable {
  return { schema, name, autoIncrement: toCounter(autoIncrement), versioned: type === VERSIONED };
}

/** information_schema's TABLE_TYPE of a MariaDB system-versioned table. */
export const VERSIONED = 'SYSTEM VERSIONED';

/** The kinds of table a name may resolve to: a base table, or a system-versioned one (refused unless excepted). */
const TABLE_TYPES = new Set(['BASE TABLE', VERSIONED]);

/**
 * MariaDB refuses TRUNCATE on system-versioned tables (4137): a call that
 * would reach one is refused before anything is emptied, naming each.
 */
export function refuseVersioned(tables: readonly Candidate[]): void {
  const versioned = tables.filter((table) => table.versioned === true);
  if (versioned.length === 0) return;
  throw new TruncateRefusedError(
    'system versioning',
    versioned.map(formatTableName).sort(),
    'the server refuses TRUNCATE on system-versioned tables (4137); except them, or remove their versioning',
  );
}

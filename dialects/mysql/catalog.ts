import type { TruncateTarget } from '../../lib/driver.js';
import { InvalidArgumentError, TableNotFoundError } from '../../lib/errors.js';
import { formatTableName, type TableName } from '../../lib/identifiers.js';
import { withReferencing } from '../../lib/truncate-plan.js';
import type { MysqlSession } from './session.js';
import { causal, wsrepOn } from './galera.js';

/** A base table as information_schema knows it, with its AUTO_INCREMENT counter (null when it has none). */
export interface CatalogTable {
  readonly schema: string;
  readonly name: string;
  readonly autoIncrement: number | null;
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
  /** A table the call aims at, for the read-only probe. */
  readonly first: CatalogTable | undefined;
  /** The tables to empty (for `truncateAll`, every base table but the excepted ones). */
  readonly named: CatalogTable[];
}

/** One row of the resolution query: the session's settings (name null), or a candidate table. */
interface ResolutionRow {
  readonly db: string | null;
  readonly fkc: number | string;
  readonly ro: number | string | null;
  readonly wsrep: number | string | null;
  readonly lwt: number | string | null;
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
  const { text, params } = resolutionQuery(session.connection, what);
  // The first read of the call, made causal on Galera: the later ones see at least what it saw.
  const { rows } = await session.query<ResolutionRow>(causal(session.connection, text), params);
  const current = rows.find((row) => row.name === null && row.type === null)!;
  if (session.connection.galera === undefined) {
    session.connection.galera = Number(current.wsrep) === 1;
    // Found on this first read, which was not causal yet: once per session on a Galera node, it is asked again.
    if (session.connection.galera) return resolve(session, what);
  }
  const settings = { checks: Number(current.fkc), lockWait: Number(current.lwt), readOnly: Number(current.ro) === 1 };
  const lookedUp = findNamed(rows, what.kind === 'tables' ? what.tables : what.except, current.db);
  if (what.kind === 'tables') {
    const named = [...lookedUp.values()];
    return { ...settings, first: named[0], named };
  }
  const named = everyTable(rows, what.schema ?? current.db, lookedUp);
  return { ...settings, first: named[0] ?? [...lookedUp.values()][0], named };
}

/**
 * The resolution query: the settings row, candidate rows for the names, and
 * for every table of a database, the schema's row in SCHEMATA (which tells a
 * database with no tables from one that does not exist) and its tables.
 */
function resolutionQuery(facts: MysqlSession['connection'], what: TruncateTarget): { text: string; params: (string | null)[] } {
  const parts = [
    `SELECT DATABASE() AS db, @@foreign_key_checks AS fkc, @@read_only AS ro, ${wsrepOn(facts)} AS wsrep, @@lock_wait_timeout AS lwt,
            NULL AS \`schema\`, NULL AS name, NULL AS type, NULL AS autoIncrement`,
  ];
  const params: (string | null)[] = [];
  const lookups = what.kind === 'tables' ? what.tables : what.except;
  if (lookups.length > 0) {
    // By WHERE, since MariaDB opens every table on the server for a join condition.
    parts.push(`SELECT NULL, NULL, NULL, NULL, NULL, t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE, t.AUTO_INCREMENT
                  FROM information_schema.TABLES t
                 WHERE t.TABLE_SCHEMA IN (${lookups.map(() => 'COALESCE(?, DATABASE())').join(', ')})
                   AND t.TABLE_NAME IN (${lookups.map(() => '?').join(', ')})`);
    params.push(...lookups.map((table) => table.schema ?? null), ...lookups.map((table) => table.name));
  }
  if (what.kind === 'all') {
    parts.push(
      `SELECT NULL, NULL, NULL, NULL, NULL, s.SCHEMA_NAME, NULL, 'SCHEMA', NULL FROM information_schema.SCHEMATA s WHERE s.SCHEMA_NAME = COALESCE(?, DATABASE())`,
      `SELECT NULL, NULL, NULL, NULL, NULL, t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE, t.AUTO_INCREMENT
         FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = COALESCE(?, DATABASE()) AND t.TABLE_TYPE = 'BASE TABLE'`,
    );
    params.push(what.schema ?? null, what.schema ?? null);
  }
  return { text: parts.join('\nUNION ALL\n'), params };
}

/** The exact match of each name among the candidate rows, by key; a missing one is `TableNotFoundError`. */
function findNamed(rows: readonly ResolutionRow[], names: readonly TableName[], current: string | null): Map<string, CatalogTable> {
  const found = new Map<string, CatalogTable>();
  for (const table of names) {
    const schema = table.schema ?? current;
    const row = rows.find((r) => r.schema === schema && r.name === table.name && r.type === 'BASE TABLE');
    if (row === undefined) throw new TableNotFoundError(formatTableName(table));
    const resolved = toTable(row.schema!, row.name!, row.autoIncrement);
    found.set(keyOf(resolved), resolved);
  }
  return found;
}

/** Every base table of `schema` but the excepted ones. */
function everyTable(rows: readonly ResolutionRow[], schema: string | null, except: Map<string, CatalogTable>): CatalogTable[] {
  if (schema === null) throw new InvalidArgumentError('truncateAll: the session has no current database; pass { schema }');
  if (!rows.some((row) => row.type === 'SCHEMA' && row.schema === schema))
    throw new InvalidArgumentError(`database ${schema} does not exist`);
  const all = new Map<string, CatalogTable>();
  for (const row of rows) {
    if (row.type !== 'BASE TABLE' || row.schema !== schema) continue;
    const table = toTable(row.schema, row.name!, row.autoIncrement);
    if (!except.has(keyOf(table))) all.set(keyOf(table), table);
  }
  return [...all.values()];
}

/**
 * The named tables and every table that references them, transitively
 * (self-references, cycles and other databases included). Counters of the
 * tables found here are not read yet: joining TABLES would open every table.
 */
export async function addReferencing(session: MysqlSession, named: readonly CatalogTable[]): Promise<Candidate[]> {
  const { rows } = await session.query<{ schema: string; name: string; referencedSchema: string; referencedName: string }>(
    `SELECT CONSTRAINT_SCHEMA AS \`schema\`, TABLE_NAME AS name,
            UNIQUE_CONSTRAINT_SCHEMA AS referencedSchema, REFERENCED_TABLE_NAME AS referencedName
       FROM information_schema.REFERENTIAL_CONSTRAINTS`,
  );
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

/**
 * The tables among `tables` with DELETE triggers. A round trip of its own,
 * sent only when some table would be deleted from: one
 * information_schema.TRIGGERS scan per database costs milliseconds (MariaDB
 * opens every table's trigger file and materialises the result on disk), too
 * much to pay on every reset.
 */
export async function deleteTriggered(session: MysqlSession, tables: readonly Candidate[]): Promise<Set<string>> {
  const schemas = [...new Set(tables.map((table) => table.schema))];
  const { rows } = await session.query<{ schema: string; name: string }>(
    `SELECT EVENT_OBJECT_SCHEMA AS \`schema\`, EVENT_OBJECT_TABLE AS name FROM information_schema.TRIGGERS
      WHERE EVENT_MANIPULATION = 'DELETE' AND EVENT_OBJECT_SCHEMA IN (${schemas.map(literal).join(', ')})`,
  );
  return new Set(rows.map(keyOf));
}

/**
 * A string as a SQL literal, for text that also holds quoted identifiers: mysql2
 * would fill a `?` inside a quoted name with a parameter, so no parameters are
 * used there. Hex cannot break out of the literal, whatever the string holds.
 */
export function literal(text: string): string {
  return `CONVERT(X'${Buffer.from(text, 'utf8').toString('hex')}' USING utf8mb4)`;
}

/** Identifies a table in maps; NUL cannot occur in names, so the key is unambiguous. */
export function keyOf(table: { readonly schema: string; readonly name: string }): string {
  return `${table.schema}\0${table.name}`;
}

export function toCounter(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function toTable(schema: string, name: string, autoIncrement: number | string | null): CatalogTable {
  return { schema, name, autoIncrement: toCounter(autoIncrement) };
}

/**
 * Refusals that depend on the session: a temporary table that shadows a
 * target, and a privilege the raw statements need that the user lacks. Each
 * is made before anything is emptied, where the server would otherwise fail
 * part-way or act on another table.
 */
import type { TruncateConfig } from '../../lib/driver.js';
import { TruncateRefusedError } from '../../lib/errors.js';
import { formatTableName } from '../../lib/identifiers.js';
import { GRANTEES, isTemporary, keyOf, literal, PRIVILEGES, type Candidate, type Resolution } from './catalog.js';
import { quoteMysql } from './names.js';
import type { MysqlSession } from './session.js';

/** Tables, by key, that sqlpin's own statements may not touch as they would by default. */
export interface Unprivileged {
  /** Only TRUNCATE may empty them, and their rows may not be read (see `truncateOnly`). */
  readonly truncateOnly: ReadonlySet<string>;
  /** Without ALTER: `restartIdentity: false` cannot put a moved counter back. */
  readonly noAlter: ReadonlySet<string>;
}

const NONE: Unprivileged = { truncateOnly: new Set(), noAlter: new Set() };

/**
 * Refuses the call if a temporary table shadows a target, or a privilege is
 * missing; reads only what it must. Returns what the user may not do beyond that.
 */
export async function refuseInexact(
  session: MysqlSession,
  resolution: Resolution,
  tables: readonly Candidate[],
  options: TruncateConfig,
): Promise<Unprivileged> {
  if (tables.length === 0) return NONE;
  if (resolution.temporaryTables) await refuseShadowed(session, tables);
  return refuseUnprivileged(session, resolution, tables, options);
}

/**
 * A temporary table takes its base table's name on the session: TRUNCATE or
 * DELETE would empty it instead. MariaDB 10.11 lists temporary tables in no
 * information_schema table (TEMPORARY_TABLES does not exist; 11.2 adds them to
 * TABLES), so SHOW CREATE TABLE, which resolves names as the statements do,
 * tells them apart; read only when the session has created temporary tables.
 */
async function refuseShadowed(session: MysqlSession, tables: readonly Candidate[]): Promise<void> {
  const shows = tables.map((table) => `SHOW CREATE TABLE ${quoteMysql(table.schema)}.${quoteMysql(table.name)}`);
  let answers: unknown[];
  if (session.connection.mariadb) {
    // One round trip: the compound statement returns one result set per SHOW.
    answers = (await session.query<unknown>(`BEGIN NOT ATOMIC ${shows.join('; ')}; END`)).rows;
  } else {
    answers = [];
    for (const show of shows) answers.push((await session.query<unknown>(show)).rows);
  }
  const shadowed = tables.filter((_, i) => isTemporary(answers[i]));
  if (shadowed.length === 0) return;
  throw new TruncateRefusedError(
    'temporary table',
    shadowed.map(formatTableName).sort(),
    'a temporary table of this session has the same name, and the statements would empty it instead; drop it, or truncate from another session',
  );
}

/**
 * TRUNCATE needs DROP on each table, and a lock bound LOCK TABLES on each
 * database: a table without it would fail with 1142 after the ones before it
 * were emptied, and a DELETE would succeed where TRUNCATE fails. Refused only
 * where information_schema shows everything the user holds (see `GrantsSeen`).
 */
async function refuseUnprivileged(
  session: MysqlSession,
  { grants }: Resolution,
  tables: readonly Candidate[],
  options: TruncateConfig,
): Promise<Unprivileged> {
  const needed = ['DROP', ...(options.lockTimeoutMillis > 0 ? ['LOCK TABLES'] : []), ...OWN_NEEDS];
  if (!grants.complete || needed.every((privilege) => grants.global.has(privilege))) return NONE;
  const held = await heldPrivileges(session, tables);
  const without = (privilege: string) =>
    tables.filter((table) => !grants.global.has(privilege) && !held.some((grant) => grant.covers(table, privilege)));
  const noDrop = without('DROP');
  if (noDrop.length > 0) {
    throw new TruncateRefusedError(
      'privilege',
      noDrop.map(formatTableName).sort(),
      'TRUNCATE needs the DROP privilege on each table, which the current user lacks on these (the server would refuse them with 1142, after emptying the tables before them)',
    );
  }
  const noLock = options.lockTimeoutMillis > 0 ? without('LOCK TABLES') : [];
  if (noLock.length > 0) {
    throw new TruncateRefusedError(
      'privilege',
      noLock.map(formatTableName).sort(),
      'lockTimeoutMillis locks the tables first (LOCK TABLES), which needs the LOCK TABLES privilege on their database; grant it, or leave lockTimeoutMillis out',
    );
  }
  return { truncateOnly: truncateOnly(without), noAlter: new Set(without('ALTER').map(keyOf)) };
}

/** What sqlpin's own statements need beyond TRUNCATE's DROP: reading the rows, and DELETE with its counter reset. */
const OWN_NEEDS = ['SELECT', 'DELETE', 'ALTER'];

/**
 * The tables whose rows sqlpin may not read (SELECT), or that it may not
 * empty another way (DELETE, then ALTER TABLE for the counter): a raw
 * TRUNCATE needs none of these, so such a table is truncated, never skipped
 * nor deleted from, and its rows are not read.
 */
function truncateOnly(without: (privilege: string) => Candidate[]): ReadonlySet<string> {
  return new Set(OWN_NEEDS.flatMap((privilege) => without(privilege).map(keyOf)));
}

/** A grant of one privilege on a database (a name or a pattern) or on one table. */
interface Grant {
  covers(table: Candidate, privilege: string): boolean;
}

/** The database-level and table-level grants of `PRIVILEGES` to the current user, for the tables' databases. */
async function heldPrivileges(session: MysqlSession, tables: readonly Candidate[]): Promise<Grant[]> {
  const schemas = [...new Set(tables.map((table) => table.schema))].map(literal).join(', ');
  const { rows } = await session.query<{ schema: string; name: string | null; privilege: string }>(
    `SELECT TABLE_SCHEMA AS \`schema\`, NULL AS name, PRIVILEGE_TYPE AS privilege FROM information_schema.SCHEMA_PRIVILEGES
      WHERE GRANTEE IN (${GRANTEES}) AND PRIVILEGE_TYPE IN (${PRIVILEGES})
     UNION ALL
     SELECT TABLE_SCHEMA, TABLE_NAME, PRIVILEGE_TYPE FROM information_schema.TABLE_PRIVILEGES
      WHERE GRANTEE IN (${GRANTEES}) AND PRIVILEGE_TYPE IN (${PRIVILEGES}) AND TABLE_SCHEMA IN (${schemas})`,
  );
  return rows.map((row) => {
    if (row.name !== null) {
      const key = keyOf({ schema: row.schema, name: row.name });
      return { covers: (table, privilege) => privilege === row.privilege && keyOf(table) === key };
    }
    const pattern = grantPattern(row.schema);
    return { covers: (table, privilege) => privilege === row.privilege && pattern.test(table.schema) };
  });
}

/** A database name in a grant: `_` and `%` are wildcards unless escaped with a backslash. */
function grantPattern(schema: string): RegExp {
  let source = '';
  for (let i = 0; i < schema.length; i++) {
    const ch = schema[i]!;
    if (ch === '\\' && i + 1 < schema.length) source += escapeRegExp(schema[++i]!);
    else if (ch === '_') source += '.';
    else if (ch === '%') source += '.*';
    else source += escapeRegExp(ch);
  }
  return new RegExp(`^${source}$`, 'su');
}

function escapeRegExp(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

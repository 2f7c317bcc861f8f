import { createHash } from 'node:crypto';
import type { AdapterSession, TruncateConfig, TruncateTarget } from '../lib/driver.js';
import { InvalidArgumentError, TableNotFoundError } from '../lib/errors.js';
import { formatTableName, type TableName } from '../lib/identifiers.js';
import {
  isClean,
  mayDelete,
  methodFor,
  rowProbeLimit,
  withReferencing,
  type AutoThresholds,
  type TableState,
} from '../lib/truncate-plan.js';
import { causal, retryReads, wsrepOn, type ClusterSession } from './galera.js';
import { refuseReadOnlyMysql } from './read-only.js';
import { lockTables, lockWaitSeconds, type BlockerSource } from './mysql-blockers.js';

/**
 * Where 'auto' stops deleting, from bench W5's threshold curve (README,
 * "Resetting between tests"; MariaDB 10.11). A DELETE that leaves the counter
 * alone beats TRUNCATE's new tablespace up to a few hundred rows (0.6 against
 * 1.1 ms a table at 300 rows, 1.6 against 1.3 at 1,000). Setting a moved
 * counter back (ALTER TABLE ... AUTO_INCREMENT = 1) is DDL that costs more
 * than the TRUNCATE itself (2 to 6 ms a table), so then TRUNCATE is never slower.
 */
export const MYSQL_AUTO: AutoThresholds = { counterKept: 300, counterReset: -1 };

/** A base table as information_schema knows it, with its AUTO_INCREMENT counter (null when it has none). */
interface CatalogTable {
  readonly schema: string;
  readonly name: string;
  readonly autoIncrement: number | null;
}

/** A table to consider; `autoIncrement` is undefined until it has been read. */
type Candidate = Omit<CatalogTable, 'autoIncrement'> & { readonly autoIncrement?: number | null };

/** A table to empty, with what the state look-up said of it. */
interface Dirty extends CatalogTable {
  readonly state: TableState;
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
 * MySQL truncate on one pinned session, outside any transaction (the core
 * refuses it inside one: TRUNCATE commits implicitly).
 *
 * FOREIGN_KEY_CHECKS is per session: it is saved, turned off, and restored on
 * this same session, so no other session ever sees it off and this one goes
 * back to the pool as it came. If the restore fails, the session is condemned
 * and the pool destroys it. Tables already clean are left alone.
 */
export async function truncateMysql(
  session: ClusterSession & BlockerSource,
  what: TruncateTarget,
  options: TruncateConfig,
  quote: (part: string) => string,
  onRetry: () => void,
): Promise<void> {
  // Read-only steps: nothing is changed before they all succeed, so a deadlock among them is retried.
  const { checks, lockWait, readOnly, first, emptied } = await retryReads(
    session,
    async () => {
      const { checks, lockWait, readOnly, first, named } = await resolve(session, what);
      const candidates = options.cascade ? await addReferencing(session, named) : named;
      return {
        checks,
        lockWait,
        readOnly,
        first,
        emptied: await withTriggers(session, await dirtyTables(session, candidates, options, quote), options),
      };
    },
    onRetry,
  );
  // Refused on a read-only server even when every table is clean: the call was aimed at the wrong server.
  if (readOnly && first !== undefined) await refuseReadOnlyMysql(session, `${quote(first.schema)}.${quote(first.name)}`);
  if (emptied.length === 0) return;

  const statements = emptied.flatMap((table) => emptyStatements(table, options, quote));
  // One sqlpin truncate at a time per database: two running at once make InnoDB
  // fail each other's TRUNCATE with 1205 or 1213 (it locks a parent's child tables).
  const locks = [...new Set(emptied.map((table) => table.schema))].sort().map(lockName);
  const restore = `SET FOREIGN_KEY_CHECKS = ${checks === 0 ? 0 : 1}`;
  const release = `DO ${locks.map((lock) => `RELEASE_LOCK('${lock}')`).join(', ')}`;
  // MariaDB refuses user locks in a Galera cluster (MDEV-30473); there DDL is
  // ordered cluster-wide anyway, so the turn-taking is skipped.
  const turns = session.galera !== true;
  const bounded = options.lockTimeoutMillis > 0;
  if (session.mariadb && !bounded) {
    const acquire = locks.map(
      (lock) =>
        `IF NOT (GET_LOCK('${lock}', @@lock_wait_timeout) <=> 1) THEN ` +
        `SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1205, MESSAGE_TEXT = 'sqlpin: timed out waiting for another truncate of this database'; END IF`,
    );
    // The locks count as held before they are asked for: freeing one never taken is harmless, keeping one taken is not.
    const releaseIfLocked = turns ? `IF sqlpin_locked THEN ${release}; END IF; ` : '';
    try {
      // One round trip: the handler puts the checks back and frees the locks before the error leaves the server.
      await session.query(
        'BEGIN NOT ATOMIC DECLARE sqlpin_locked INT DEFAULT 0; ' +
          `DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ${restore}; ${releaseIfLocked}RESIGNAL; END; ` +
          (turns ? `SET sqlpin_locked = 1; ${acquire.join('; ')}; ` : '') +
          `SET FOREIGN_KEY_CHECKS = 0; ${statements.join('; ')}; ${restore}; ${releaseIfLocked}END`,
      );
    } catch (error) {
      // The handler ran unless the statement was killed or the session failed; checking costs a round trip on failures only.
      await restoreChecks(session, checks, turns ? release : undefined, undefined);
      throw error;
    }
    return;
  }
  // One statement at a time: MySQL has no compound statements outside stored programs, and under a
  // lock bound every table is locked (LOCK TABLES, bounded on the client too) before any is emptied,
  // so that a timeout leaves all of them as they were. lock_wait_timeout is saved, set and restored
  // with the FK checks, on this same session.
  await session.query(`SET FOREIGN_KEY_CHECKS = 0${bounded ? `, lock_wait_timeout = ${lockWaitSeconds(options.lockTimeoutMillis)}` : ''}`);
  try {
    if (turns) {
      for (const lock of locks) {
        const { rows } = await session.query<{ held: number | null }>(`SELECT GET_LOCK('${lock}', @@lock_wait_timeout) AS held`);
        if (Number(rows[0]?.held) !== 1) {
          throw Object.assign(new Error('sqlpin: timed out waiting for another truncate of this database'), {
            errno: 1205,
            code: 'ER_LOCK_WAIT_TIMEOUT',
          });
        }
      }
    }
    if (bounded) await lockTables(session, emptied, options.lockTimeoutMillis, quote);
    for (const statement of statements) await session.query(statement);
  } finally {
    await restoreChecks(session, checks, turns ? release : undefined, bounded ? lockWait : undefined);
  }
}

/**
 * A string as a SQL literal, for text that also holds quoted identifiers: mysql2
 * would fill a `?` inside a quoted name with a parameter, so no parameters are
 * used there. Hex cannot break out of the literal, whatever the string holds.
 */
function literal(text: string): string {
  return `CONVERT(X'${Buffer.from(text, 'utf8').toString('hex')}' USING utf8mb4)`;
}

/** A user-level lock name for one database: hex only, so it goes into SQL as is; 56 characters, within the 64 allowed. */
function lockName(schema: string): string {
  return `sqlpin_truncate_${createHash('sha1').update(schema).digest('hex')}`;
}

/**
 * The statements that leave one table as TRUNCATE would: no rows, the counter
 * at 1 or (restartIdentity: false) where it was, no trigger fired. With checks
 * off, a DELETE runs no foreign key action either.
 */
function emptyStatements(table: Dirty, options: TruncateConfig, quote: (part: string) => string): string[] {
  const target = `${quote(table.schema)}.${quote(table.name)}`;
  const moved = table.autoIncrement !== null && table.autoIncrement > 1;
  if (methodFor(table.state, options, MYSQL_AUTO) === 'delete') {
    return [`DELETE FROM ${target}`, ...(options.restartIdentity && moved ? [`ALTER TABLE ${target} AUTO_INCREMENT = 1`] : [])];
  }
  // TRUNCATE always resets AUTO_INCREMENT on MySQL; put the counter back when asked to keep it.
  return [
    `TRUNCATE TABLE ${target}`,
    ...(!options.restartIdentity && moved ? [`ALTER TABLE ${target} AUTO_INCREMENT = ${table.autoIncrement}`] : []),
  ];
}

/**
 * The tables that need emptying, with their state: a table with no rows whose
 * counter is already where TRUNCATE would put it (1, or no counter) is left
 * alone, since emptying it would change nothing. One round trip asks only what
 * is unknown: rows of the tables that could be clean (counted up to 'auto''s
 * threshold where it decides), counters not read yet (cascaded tables), and,
 * and, for 'auto', whether a table where a DELETE may be chosen holds more rows than its threshold.
 */
async function dirtyTables(
  session: AdapterSession,
  tables: readonly Candidate[],
  options: TruncateConfig,
  quote: (part: string) => string,
): Promise<Dirty[]> {
  const atStart = (counter: number | null) => (counter ?? 1) <= 1;
  const couldBeClean = (counter: number | null) => isClean({ hasRows: false, counterAtStart: atStart(counter) }, options.restartIdentity);
  const limit = rowProbeLimit(options.strategy, MYSQL_AUTO);
  const deletable = tables.map((table) =>
    mayDelete(table.autoIncrement === undefined ? undefined : atStart(table.autoIncrement), options, MYSQL_AUTO),
  );
  // The threshold 'auto' will apply to a table: known once its counter is, else the larger one.
  const threshold = (table: Candidate) =>
    table.autoIncrement === undefined
      ? limit - 1
      : options.restartIdentity && !atStart(table.autoIncrement)
        ? MYSQL_AUTO.counterReset
        : MYSQL_AUTO.counterKept;
  const columns: string[] = [];
  tables.forEach((table, i) => {
    const target = `${quote(table.schema)}.${quote(table.name)}`;
    if (table.autoIncrement === undefined) {
      // Equality on both columns lets MariaDB open just this table; BINARY makes the match exact.
      const [schema, name] = [literal(table.schema), literal(table.name)];
      columns.push(`(SELECT AUTO_INCREMENT FROM information_schema.TABLES
                      WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ${name} AND BINARY TABLE_SCHEMA = ${schema} AND BINARY TABLE_NAME = ${name}) AS a${i}`);
    }
    if (limit > 1 && deletable[i]) {
      // More rows than the threshold exactly when the row after it exists: no derived table to materialise per table.
      columns.push(
        `EXISTS (SELECT 1 FROM ${target}) AS r${i}`,
        `(SELECT 1 FROM ${target} LIMIT 1 OFFSET ${threshold(table)}) IS NOT NULL AS m${i}`,
      );
    } else if (table.autoIncrement === undefined || couldBeClean(table.autoIncrement)) {
      columns.push(`EXISTS (SELECT 1 FROM ${target}) AS r${i}`);
    }
  });
  const answer = columns.length === 0 ? {} : (await session.query<Record<string, unknown>>(`SELECT ${columns.join(', ')}`)).rows[0]!;
  return tables.flatMap((table, i) => {
    const autoIncrement = table.autoIncrement === undefined ? toCounter(answer[`a${i}`]) : table.autoIncrement;
    const any = answer[`r${i}`];
    // Not asked: the counter alone says the table needs emptying, and it will be truncated.
    // Asked: none, some (at most the threshold: 1 stands for them), or more than the threshold.
    const rows = any === undefined ? limit : Number(any) === 0 ? 0 : Number(answer[`m${i}`] ?? 0) === 1 ? limit : 1;
    const state: TableState = {
      hasRows: rows > 0,
      rows,
      counterAtStart: atStart(autoIncrement),
      // Not known yet: `withTriggers` reads it for the tables a DELETE is chosen for.
      mustTruncate: false,
    };
    return isClean(state, options.restartIdentity) ? [] : [{ schema: table.schema, name: table.name, autoIncrement, state }];
  });
}

/** Puts FOREIGN_KEY_CHECKS back and frees the truncate locks; a session where that fails is condemned. */
/**
 * Marks the tables with DELETE triggers among those a DELETE was chosen for,
 * so that they are truncated instead. A round trip of its own, sent only when
 * some table would be deleted from: one information_schema.TRIGGERS scan per
 * database costs milliseconds (MariaDB opens every table's trigger file and
 * materialises the result on disk), too much to pay on every reset.
 */
async function withTriggers(session: AdapterSession, tables: Dirty[], options: TruncateConfig): Promise<Dirty[]> {
  const deleting = tables.filter((table) => methodFor(table.state, options, MYSQL_AUTO) === 'delete');
  if (deleting.length === 0) return tables;
  const schemas = [...new Set(deleting.map((table) => table.schema))];
  const { rows } = await session.query<{ schema: string; name: string }>(
    `SELECT EVENT_OBJECT_SCHEMA AS \`schema\`, EVENT_OBJECT_TABLE AS name FROM information_schema.TRIGGERS
      WHERE EVENT_MANIPULATION = 'DELETE' AND EVENT_OBJECT_SCHEMA IN (${schemas.map(literal).join(', ')})`,
  );
  const triggered = new Set(rows.map(keyOf));
  return tables.map((table) => (triggered.has(keyOf(table)) ? { ...table, state: { ...table.state, mustTruncate: true } } : table));
}

async function restoreChecks(
  session: AdapterSession,
  checks: number,
  release: string | undefined,
  lockWait: number | undefined,
): Promise<void> {
  try {
    if (lockWait !== undefined) await session.query('UNLOCK TABLES');
    await session.query(
      `SET FOREIGN_KEY_CHECKS = ${checks === 0 ? 0 : 1}${lockWait === undefined ? '' : `, lock_wait_timeout = ${lockWait}`}`,
    );
    if (release !== undefined) await session.query(release);
  } catch (error) {
    session.condemn();
    throw error;
  }
}

/** The first row of the resolution query: the current database, FOREIGN_KEY_CHECKS, read_only, wsrep_on. */
function settings(session: ClusterSession): string {
  return `SELECT DATABASE() AS db, @@foreign_key_checks AS fkc, @@read_only AS ro, ${wsrepOn(session)} AS wsrep, @@lock_wait_timeout AS lwt,
                 NULL AS \`schema\`, NULL AS name, NULL AS type, NULL AS autoIncrement`;
}

/** Candidate rows for names: by WHERE, since MariaDB opens every table on the server for a join condition. */
function byName(tables: readonly TableName[]): { text: string; params: (string | null)[] } {
  return {
    text: `SELECT NULL, NULL, NULL, NULL, NULL, t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE, t.AUTO_INCREMENT
             FROM information_schema.TABLES t
            WHERE t.TABLE_SCHEMA IN (${tables.map(() => 'COALESCE(?, DATABASE())').join(', ')})
              AND t.TABLE_NAME IN (${tables.map(() => '?').join(', ')})`,
    params: [...tables.map((table) => table.schema ?? null), ...tables.map((table) => table.name)],
  };
}

/**
 * Resolves what to empty in one round trip, together with the session's
 * current database and FOREIGN_KEY_CHECKS. information_schema compares names
 * without regard to case, accents or trailing spaces, so rows are candidates
 * and the exact match is made here. For every table of a database, the
 * schema's row in SCHEMATA tells a database with no tables from one that does not exist.
 */
async function resolve(
  session: ClusterSession & BlockerSource,
  what: TruncateTarget,
): Promise<{ checks: number; lockWait: number; readOnly: boolean; first: CatalogTable | undefined; named: CatalogTable[] }> {
  const parts = [settings(session)];
  const params: (string | null)[] = [];
  const lookups = what.kind === 'tables' ? what.tables : what.except;
  if (lookups.length > 0) {
    const lookup = byName(lookups);
    parts.push(lookup.text);
    params.push(...lookup.params);
  }
  if (what.kind === 'all') {
    parts.push(
      `SELECT NULL, NULL, NULL, NULL, NULL, s.SCHEMA_NAME, NULL, 'SCHEMA', NULL FROM information_schema.SCHEMATA s WHERE s.SCHEMA_NAME = COALESCE(?, DATABASE())`,
      `SELECT NULL, NULL, NULL, NULL, NULL, t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE, t.AUTO_INCREMENT
         FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = COALESCE(?, DATABASE()) AND t.TABLE_TYPE = 'BASE TABLE'`,
    );
    params.push(what.schema ?? null, what.schema ?? null);
  }
  // The first read of the call, made causal on Galera: the later ones see at least what it saw.
  const { rows } = await session.query<ResolutionRow>(causal(session, parts.join('\nUNION ALL\n')), params);
  const current = rows.find((row) => row.name === null && row.type === null)!;
  if (session.galera === undefined) {
    session.galera = Number(current.wsrep) === 1;
    // Found on this first read, which was not causal yet: once per session on a Galera node, it is asked again.
    if (session.galera) return resolve(session, what);
  }
  const find = (schema: string | null, name: string) =>
    rows.find((row) => row.schema === schema && row.name === name && row.type === 'BASE TABLE');
  const resolved = new Map<string, CatalogTable>();
  for (const table of lookups) {
    const row = find(table.schema ?? current.db, table.name);
    if (row === undefined) throw new TableNotFoundError(formatTableName(table));
    const found = toTable(row.schema!, row.name!, row.autoIncrement);
    resolved.set(keyOf(found), found);
  }
  const checks = Number(current.fkc);
  const readOnly = Number(current.ro) === 1;
  const lockWait = Number(current.lwt);
  if (what.kind === 'tables') {
    const named = [...resolved.values()];
    return { checks, lockWait, readOnly, first: named[0], named };
  }

  const schema = what.schema ?? current.db;
  if (schema === null) throw new InvalidArgumentError('truncateAll: the session has no current database; pass { schema }');
  if (!rows.some((row) => row.type === 'SCHEMA' && row.schema === schema))
    throw new InvalidArgumentError(`database ${schema} does not exist`);
  const all = new Map<string, CatalogTable>();
  for (const row of rows) {
    if (row.type !== 'BASE TABLE' || row.schema !== schema) continue;
    const table = toTable(row.schema, row.name!, row.autoIncrement);
    if (!resolved.has(keyOf(table))) all.set(keyOf(table), table);
  }
  const named = [...all.values()];
  return { checks, lockWait, readOnly, first: named[0] ?? [...resolved.values()][0], named };
}

/**
 * The named tables and every table that references them, transitively
 * (self-references, cycles and other databases included). Counters of the
 * tables found here are not read yet: joining TABLES would open every table.
 */
async function addReferencing(session: AdapterSession, named: readonly CatalogTable[]): Promise<Candidate[]> {
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

/** Identifies a table in maps; NUL cannot occur in names, so the key is unambiguous. */
function keyOf(table: { schema: string; name: string }): string {
  return `${table.schema}\0${table.name}`;
}

function toCounter(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function toTable(schema: string, name: string, autoIncrement: number | string | null): CatalogTable {
  return { schema, name, autoIncrement: toCounter(autoIncrement) };
}

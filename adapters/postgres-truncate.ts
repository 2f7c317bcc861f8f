import type { AdapterSession, TruncateConfig } from '../lib/driver.js';
import { ForeignKeyTruncateError } from '../lib/errors.js';
import type { TableName } from '../lib/identifiers.js';
import { lockWithin, type BlockerSource } from './postgres-blockers.js';
import { qualifiedName, readCatalog, readStates, target, type CatalogSession, type CatalogTable } from './postgres-catalog.js';
import { isClean, withReferencing } from '../lib/truncate-plan.js';

/**
 * PostgreSQL truncate; the caller has opened a transaction (or savepoint), so
 * a throw here changes nothing.
 *
 * Default: the named tables, plus the referencing tables they need in the same
 * statement, which must hold no rows — checked under an ACCESS EXCLUSIVE lock,
 * so rows committed while we waited are seen. Any referencing table with rows
 * fails the call with `ForeignKeyTruncateError`.
 * Cascade: `TRUNCATE ... CASCADE`.
 * Either way, tables that are already clean are left alone.
 */
export async function truncatePostgres(
  session: CatalogSession & BlockerSource,
  tables: readonly TableName[],
  options: TruncateConfig,
  quote: (part: string) => string,
): Promise<void> {
  const catalog = await readCatalog(session, tables, quote);
  const named = new Set(catalog.named.map((table) => table.oid));
  // Locked before anything is read, in one order for every caller: reading first
  // and upgrading to the TRUNCATE's lock later would deadlock two concurrent truncates.
  const everything = [...catalog.tables.values()].sort((a, b) => Number(a.oid) - Number(b.oid));
  const lock = () => session.query(`LOCK TABLE ${list(everything, quote)} IN ACCESS EXCLUSIVE MODE`);
  await lockWithin(session, options.lockTimeoutMillis, everything.map((table) => table.oid), lock);
  const states = await readStates(session, everything, quote);
  const clean = new Set(everything.filter((_, i) => isClean(states[i]!, options.restartIdentity)).map((table) => table.oid));
  const identity = options.restartIdentity ? 'RESTART IDENTITY' : 'CONTINUE IDENTITY';

  if (options.cascade) {
    const dirty = everything.filter((table) => !clean.has(table.oid));
    if (dirty.length > 0) await session.query(`TRUNCATE ${list(dirty, quote)} ${identity} CASCADE`);
    return;
  }

  const withRows = everything.filter((table, i) => !named.has(table.oid) && states[i]!.hasRows);
  if (withRows.length > 0) throw new ForeignKeyTruncateError(catalog.named.map(qualifiedName), withRows.map(qualifiedName));
  const dirty = catalog.named.filter((table) => !clean.has(table.oid)).map((table) => table.oid);
  if (dirty.length === 0) return;
  // Everything that references a table being emptied must be in the same statement; those not named are empty.
  const referencedBy = (oid: string) => catalog.tables.get(oid)!.referencedBy;
  const statement = [...withReferencing(dirty, referencedBy)].map((oid) => catalog.tables.get(oid)!);
  if (statement.every((table) => named.has(table.oid))) {
    await session.query(`TRUNCATE ${list(statement, quote)} ${identity}`);
    return;
  }
  // Tables included only because they are empty keep their counters: identity restarts for the named ones alone.
  await session.query(`TRUNCATE ${list(statement, quote)} CONTINUE IDENTITY`);
  if (options.restartIdentity) await restartSequences(session, statement.filter((table) => named.has(table.oid)));
}

/** ALTER SEQUENCE ... RESTART is transactional, like TRUNCATE ... RESTART IDENTITY. */
async function restartSequences(session: AdapterSession, tables: readonly CatalogTable[]): Promise<void> {
  const sequences = tables.flatMap((table) => table.sequences);
  if (sequences.length > 0) await session.query(sequences.map((s) => `ALTER SEQUENCE ${s.name} RESTART`).join('; '));
}

function list(tables: readonly CatalogTable[], quote: (part: string) => string): string {
  return tables.map((table) => target(table, quote)).join(', ');
}

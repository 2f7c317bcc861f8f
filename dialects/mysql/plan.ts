/**
 * The statements of a MySQL truncate, as pure functions of what the reads
 * found: what empties each table, and what saves and restores the session.
 */
import { createHash } from 'node:crypto';
import type { TruncateConfig } from '../../lib/driver.js';
import { methodFor } from '../../lib/truncate-plan.js';
import { quoteMysql } from './names.js';
import { MYSQL_AUTO, type Dirty } from './probe.js';

/** What the statements run between: the session as it was, and the turn-taking locks. */
export interface Envelope {
  /** FOREIGN_KEY_CHECKS as the session had it. */
  readonly checks: number;
  /** One user-level lock per database emptied, taken in this order; none on Galera. */
  readonly locks: readonly string[];
}

/** `schema`.`name`, quoted. */
export function qualified(table: { readonly schema: string; readonly name: string }): string {
  return `${quoteMysql(table.schema)}.${quoteMysql(table.name)}`;
}

/**
 * The statements that leave one table as TRUNCATE would: no rows, the counter
 * at 1 or (restartIdentity: false) where it was, no trigger fired. With checks
 * off, a DELETE runs no foreign key action either.
 */
export function emptyStatements(table: Dirty, options: TruncateConfig): string[] {
  const target = qualified(table);
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
 * A DELETE of no row for a table that `emptyStatements` empties with DELETE.
 * The server opens a DELETE's foreign-key tables before it reads a row, and
 * under LOCK TABLES MariaDB refuses some shapes it runs without them (1100,
 * ER_TABLE_NOT_LOCKED: a table that references itself and is referenced back
 * through ON DELETE SET NULL and CASCADE): sent before anything is emptied,
 * these find that out while every table still holds its rows.
 */
export function deleteProbe(table: Dirty, options: TruncateConfig): string[] {
  return methodFor(table.state, options, MYSQL_AUTO) === 'delete' ? [`DELETE FROM ${qualified(table)} WHERE FALSE`] : [];
}

/**
 * One sqlpin truncate at a time per database: two running at once make InnoDB
 * fail each other's TRUNCATE with 1205 or 1213 (it locks a parent's child
 * tables). Locks are taken in one order. MariaDB refuses user locks in a
 * Galera cluster (MDEV-30473); there DDL is ordered cluster-wide anyway.
 */
export function turnLocks(tables: readonly Dirty[], galera: boolean): string[] {
  if (galera) return [];
  return [...new Set(tables.map((table) => table.schema))].sort().map(lockName);
}

/** A user-level lock name for one database: hex only, so it goes into SQL as is; 56 characters, within the 64 allowed. */
function lockName(schema: string): string {
  return `sqlpin_truncate_${createHash('sha1').update(schema).digest('hex')}`;
}

/** Puts FOREIGN_KEY_CHECKS back (and `lock_wait_timeout`, when the call changed it). */
export function restoreSettings(envelope: Envelope, lockWait?: number): string {
  return `SET FOREIGN_KEY_CHECKS = ${envelope.checks === 0 ? 0 : 1}${lockWait === undefined ? '' : `, lock_wait_timeout = ${lockWait}`}`;
}

/** Frees the turn-taking locks; undefined when none are taken. */
export function releaseLocks(envelope: Envelope): string | undefined {
  return envelope.locks.length === 0 ? undefined : `DO ${envelope.locks.map((lock) => `RELEASE_LOCK('${lock}')`).join(', ')}`;
}

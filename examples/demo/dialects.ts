import { sql, type Connection, type Dialect, type Pool } from '../../lib/index.js';
import type { ServerCode } from '../server-errors.js';

/** The statement whose failure started it all; the demo looks for this exact text. */
export const NAIVE_TRUNCATE = 'TRUNCATE parent';

/** A child row whose parent does not exist: refused wherever foreign keys are enforced. */
export const ORPHAN_INSERT = "INSERT INTO child (parent_id, name) VALUES (-1, 'orphan')";
export const REMOVE_ORPHAN = "DELETE FROM child WHERE name = 'orphan'";

/** What differs between the two servers in this story. */
export interface DemoDialect {
  /** The session setting that switches foreign key enforcement off, as users write it. */
  readonly checksOff: string;
  /** The setting's name and its value when enforcement is on. */
  readonly setting: string;
  readonly checksOn: string;
  /** Reads the setting on one session as `value`. */
  readonly readSetting: string;
  /** The server's answer to TRUNCATE of a referenced table, and to an orphan insert. */
  readonly truncateRefused: ServerCode;
  readonly orphanRefused: ServerCode;
  /** How `db.truncate` gets past the refusal without touching any other session. */
  readonly howTheFixWorks: string;
  /** Why the naive TRUNCATE failed although a SET came first. */
  readonly whyTruncateFailed: string;
  /**
   * Whether this session is the one that ran NAIVE_TRUNCATE. It must be asked
   * before anything else runs on the session, since each server only keeps
   * the last statement's trace.
   */
  ranNaiveTruncate(conn: Connection, admin: Pool): Promise<boolean>;
}

export const DEMO_DIALECTS: Readonly<Record<Dialect, DemoDialect>> = {
  mysql: {
    checksOff: 'SET FOREIGN_KEY_CHECKS = 0',
    setting: '@@foreign_key_checks',
    checksOn: '1',
    readSetting: 'SELECT @@foreign_key_checks AS value',
    truncateRefused: 1701,
    orphanRefused: 1452,
    howTheFixWorks: 'one pinned session: save @@foreign_key_checks, set it to 0, TRUNCATE, restore it in finally',
    whyTruncateFailed: 'FOREIGN_KEY_CHECKS is per session: the TRUNCATE ran where it was still 1',
    // The diagnostics area is per session and outlives a failed statement until the next one.
    async ranNaiveTruncate(conn) {
      const { rows } = await conn.query<{ Code: number }>('SHOW WARNINGS');
      return rows.some((row) => row.Code === 1701);
    },
  },
  postgres: {
    checksOff: 'SET session_replication_role = replica',
    setting: 'session_replication_role',
    checksOn: 'origin',
    readSetting: "SELECT current_setting('session_replication_role') AS value",
    truncateRefused: '0A000',
    orphanRefused: '23503',
    howTheFixWorks:
      'one transaction: the referencing tables, being empty, are locked and truncated in the same statement; ' +
      'session_replication_role is never touched',
    whyTruncateFailed:
      "session_replication_role does not lift TRUNCATE's own check, so the TRUNCATE fails on either session; " +
      'what the workaround leaves behind is the session it poisoned',
    // pg_stat_activity shows an idle backend's last statement; read from another session so as not to replace it.
    async ranNaiveTruncate(conn, admin) {
      const { rows } = await admin.query<{ query: string }>(sql`SELECT query FROM pg_stat_activity WHERE pid = ${conn.sessionId}`);
      return rows[0]?.query === NAIVE_TRUNCATE;
    },
  },
};

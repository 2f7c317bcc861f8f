import type { Connection } from '../../lib/index.js';
import { failureOf, serverCode, type ServerCode } from '../server-errors.js';
import { ORPHAN_INSERT, REMOVE_ORPHAN, type DemoDialect } from './dialects.js';

/** What one pooled session would do to the next caller that borrows it. */
export interface SessionState {
  readonly id: number;
  /** The foreign key setting as the session holds it. */
  readonly setting: string;
  readonly enforcing: boolean;
  /** How the server answered an orphan insert on this session: undefined means it accepted the row. */
  readonly orphanRefusal: ServerCode | undefined;
}

/** Reads the session's setting, then tries an orphan insert on it, removing the row if the session let it in. */
export async function inspectSession(conn: Connection, dialect: DemoDialect): Promise<SessionState> {
  const { rows } = await conn.query<{ value: unknown }>(dialect.readSetting);
  const setting = String(rows[0]?.value);
  const refusal = await failureOf(conn.query(ORPHAN_INSERT));
  if (refusal === undefined) await conn.query(REMOVE_ORPHAN);
  // Only the server's refusal is an answer; a broken session is not "accepted".
  else if (serverCode(refusal) === undefined) throw refusal;
  return { id: conn.sessionId, setting, enforcing: setting === dialect.checksOn, orphanRefusal: serverCode(refusal) };
}

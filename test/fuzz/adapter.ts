import type { Connection, Dialect } from '../../lib/index.js';
import type { Case, Schema } from './model.js';

/** What one copy holds: each table's rows, each counter's next value, the trigger log; every value as sortable text. */
export type Snapshot = Readonly<Record<string, string>>;

/** How the raw statements ended on their copy. */
export interface RawOutcome {
  /** The literal statements succeeded. */
  readonly ok: boolean;
  /** They failed only for empty referencing tables, which the contract lets sqlpin include (PostgreSQL): the copy holds that result. */
  readonly relaxed: boolean;
  readonly error: string | undefined;
}

/** A case's copies: one namespace each (a MySQL database, a PostgreSQL schema). */
export interface Copies {
  readonly raw: string;
  readonly decoy: string | undefined;
  readonly strategies: Readonly<Record<'auto' | 'truncate' | 'delete', string>>;
}

/**
 * One dialect's half of the fuzzer: it renders a schema, reads a copy's
 * state, runs the raw statements, and sets up the calling session. The
 * runner does the rest the same way on both dialects.
 */
export interface FuzzDialect {
  readonly dialect: Dialect;
  /** The statements that create a copy, for the log of a failure too. */
  ddl(ns: string, schema: Schema, principal: string | undefined): string[];
  run(statements: readonly string[]): Promise<void>;
  createPrincipal(schema: Schema): Promise<string | undefined>;
  dropPrincipal(principal: string): Promise<void>;
  dropCopy(ns: string): Promise<void>;
  snapshot(ns: string, schema: Schema): Promise<Snapshot>;
  raw(ns: string, testCase: Case, principal: string | undefined): Promise<RawOutcome>;
  /** The pool URL for sqlpin on a copy, as the principal if any. */
  url(ns: string, principal: string | undefined): string;
  /** Session state on sqlpin's session before the call (sql_mode, search_path, a shadowing temporary table). */
  prepare(conn: Connection, ns: string, testCase: Case): Promise<void>;
  /** The session moves elsewhere (USE / SET search_path), in the pin or before the pool reuses it. */
  move(conn: Connection, decoy: string, testCase: Case): Promise<void>;
  /** After the call, on the same session: what must still hold there (a shadowing temporary table keeps its row). */
  afterCall(conn: Connection, ns: string, testCase: Case): Promise<string | undefined>;
  /** The contract demands a typed refusal for this case, whatever raw does. */
  mustRefuse(testCase: Case): string | undefined;
  close(): Promise<void>;
}

export function sortedJson(rows: readonly unknown[]): string {
  return JSON.stringify(rows.map((row) => JSON.stringify(row)).sort());
}

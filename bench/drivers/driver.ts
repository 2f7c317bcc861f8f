import type { Dialect } from '../../lib/index.js';

/** One raw driver connection, as a hand-written floor uses it. */
export interface RawSession {
  query(text: string): Promise<unknown>;
  close(): Promise<void>;
}

/** The driver's own pool. */
export interface DriverPool {
  /** One statement on any pooled session: mysql2 `pool.query`, pg `pool.query`. */
  query(text: string): Promise<unknown>;
  /** Borrows one session (`getConnection` / `connect`), runs the statements in order on it, gives it back. */
  pinned(texts: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** The raw driver of one dialect, used for floors, the bare generic-pool arm and table loading. */
export interface Driver {
  readonly dialect: Dialect;
  /** The npm name of the driver, for labels. */
  readonly name: string;
  /** knex's `client` for this driver. */
  readonly knexClient: string;
  /** `batches` lets one call carry several statements (for loading tables); floors never set it. */
  connect(url: string, batches?: boolean): Promise<RawSession>;
  pool(url: string, max: number): DriverPool;
}

/**
 * A fault on an idle connection (killed by the server) has no caller to
 * reject; it fails the run visibly instead of crashing it or going unseen.
 */
export function reportIdleFault(error: unknown): void {
  console.error('bench: a driver connection failed while idle:', error);
  process.exitCode = 1;
}

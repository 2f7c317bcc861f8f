import type { Dialect } from '../lib/index.js';
import type { Build } from './builds.js';
import type { Driver, RawSession } from './drivers/driver.js';
import type { Settings } from './settings.js';

/** What every workload of one dialect needs. */
export interface BenchContext {
  readonly dialect: Dialect;
  readonly driver: Driver;
  /** Points into the run's scratch database (on PostgreSQL, a schema in it). */
  readonly url: string;
  readonly builds: readonly Build[];
  /** A raw connection that may send batches: it loads tables, outside every timed and counted part. */
  readonly loader: RawSession;
  readonly settings: Settings;
  readonly signal: AbortSignal;
}

/** What a workload that makes every table it uses needs: no shared scratch database. */
export type StandaloneContext = Omit<BenchContext, 'url' | 'loader'>;

/** The text every W1 arm sends. */
export const SELECT_ONE = 'SELECT 1';

/** The statements of one W2 pinned session. */
export const PINNED_STATEMENTS = ['SELECT 1', 'SELECT 2', 'SELECT 3'] as const;

/** Pool size of W1 and W2, for every pool in them. */
export const POOL_MAX = 8;

/** Arm names, shared by the workloads that measure them and the targets that read them. */
export const ARM = {
  driverPool: (driver: Driver) => `${driver.name} pool`,
  driverPinned: (driver: Driver) => `${driver.name} pinned session`,
  rawConnection: (driver: Driver) => `${driver.name} one connection`,
  genericPool: 'generic-pool loop',
  knex: 'knex.raw',
  byHand: 'by hand, one connection',
  byHandKeepingIdentity: 'by hand, without RESTART IDENTITY',
  sqlpin: (operation: string, build: Build['label']) => `sqlpin ${operation} (${build})`,
} as const;

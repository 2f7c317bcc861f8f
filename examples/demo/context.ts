import type { Pool, PoolOptions } from '../../lib/index.js';
import { FIXTURE_TABLES } from '../../fixtures/tables.js';
import type { Checklist } from '../checklist.js';
import type { Scratch } from '../scratch.js';
import type { DemoDialect } from './dialects.js';

/** What each part of the demo works with. */
export interface DemoContext {
  readonly dialect: DemoDialect;
  readonly scratch: Scratch;
  readonly list: Checklist;
}

/** How many times the race and the fix are each run: every run must go the same way. */
export const TRIES = 5;

/**
 * Two sessions handed out in turn, opened up front: two one-shot queries in a
 * row land on two different sessions every time, which is what a busy pool
 * does by chance.
 */
export const RACE_POOL: Omit<PoolOptions, 'url'> = { min: 2, max: 2, order: 'fifo' };

// The chain's names are plain lower-case identifiers, so they go into SQL as they are.
const CHAIN = FIXTURE_TABLES.chain;

/** Rows in each table of the chain, parent first. */
export async function countChain(db: Pool): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of CHAIN) {
    const { rows } = await db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table}`);
    counts[table] = Number(rows[0]?.n);
  }
  return counts;
}

export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([table, rows]) => `${table} ${rows}`)
    .join(', ');
}

/** Empties the chain with plain DELETEs, children first, so that setting up a step never relies on what is being shown. */
export async function emptyChain(db: Pool): Promise<void> {
  for (const table of [...CHAIN].reverse()) await db.query(`DELETE FROM ${table}`);
}

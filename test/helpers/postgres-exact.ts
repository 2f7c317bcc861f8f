import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import type { Pool } from '../../lib/index.js';
import { testPool } from './pools.js';
import type { Scratch } from './servers.js';

/** A login role of one test file's own, and a pool that connects as it into the scratch schema. */
export interface TestRole {
  readonly name: string;
  pool(t: Test): Pool;
}

/**
 * Creates a role with a unique name that may use the scratch schema; dropped
 * (with every privilege granted to it) when `t` ends, after its pools closed.
 */
export async function createRole(t: Test, scratch: Scratch, label: string): Promise<TestRole> {
  const name = `sqlpin_${label}_${randomBytes(4).toString('hex')}`;
  await scratch.admin(`CREATE ROLE "${name}" LOGIN`);
  await scratch.admin(`GRANT USAGE ON SCHEMA "${scratch.name}" TO "${name}"`);
  t.teardown(async () => {
    await scratch.admin(`DROP OWNED BY "${name}"`);
    await scratch.admin(`DROP ROLE "${name}"`);
  });
  const url = new URL(scratch.url);
  url.username = name;
  return { name, pool: (t) => testPool(t, url.toString(), { max: 2 }) };
}

/** Row counts of the tables, by name; `only` leaves inheritance children out. */
export async function counts(scratch: Scratch, tables: readonly string[], only = false): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await scratch.admin(`SELECT count(*)::int AS n FROM ${only ? 'ONLY ' : ''}${table}`);
    result[table] = Number(row!.n);
  }
  return result;
}

/** What a rejected promise rejected with; a resolved one is a test failure of its own. */
export async function rejection(t: Test, work: Promise<unknown>, message: string): Promise<Record<string, unknown>> {
  try {
    await work;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  t.fail(`${message}: resolved`);
  return {};
}

import type { Scratch } from './servers.js';
import { rowCounts } from './tables.js';

/**
 * Two tables a truncate empties together, `p` and `c` (c references p), and
 * `bystander`, which no truncate of theirs may touch. Each holds a few rows
 * before every try, so a try can tell "emptied" from "left as it was".
 */
export const PAIR = ['p', 'c'] as const;
export const PAIR_ROWS: Readonly<Record<string, number>> = { p: 3, c: 2, bystander: 2 };

export async function createPair(scratch: Scratch): Promise<void> {
  const serial = scratch.dialect === 'mysql' ? 'INT AUTO_INCREMENT PRIMARY KEY' : 'SERIAL PRIMARY KEY';
  await scratch.admin(`CREATE TABLE p (id ${serial}, name VARCHAR(20))`);
  await scratch.admin(`CREATE TABLE c (id ${serial}, p_id INT NOT NULL REFERENCES p (id))`);
  await scratch.admin(`CREATE TABLE bystander (id ${serial}, name VARCHAR(20))`);
  await seedPair(scratch);
}

/** Puts PAIR_ROWS back in every table, unless they are there already (most tries leave them). */
export async function seedPair(scratch: Scratch): Promise<void> {
  const counts = await pairCounts(scratch);
  if (Object.entries(PAIR_ROWS).every(([table, rows]) => counts[table] === rows)) return;
  if (scratch.dialect === 'mysql') {
    await scratch.admin('SET FOREIGN_KEY_CHECKS = 0');
    for (const table of Object.keys(PAIR_ROWS)) await scratch.admin(`TRUNCATE TABLE ${table}`);
    await scratch.admin('SET FOREIGN_KEY_CHECKS = 1');
  } else {
    await scratch.admin(`TRUNCATE ${Object.keys(PAIR_ROWS).join(', ')} RESTART IDENTITY`);
  }
  for (let i = 1; i <= PAIR_ROWS.p!; i++) await scratch.admin(`INSERT INTO p (name) VALUES ('p${i}')`);
  for (let i = 1; i <= PAIR_ROWS.c!; i++) await scratch.admin('INSERT INTO c (p_id) VALUES (1)');
  for (let i = 1; i <= PAIR_ROWS.bystander!; i++) await scratch.admin(`INSERT INTO bystander (name) VALUES ('b${i}')`);
}

/** Rows in p, c and bystander now. */
export function pairCounts(scratch: Scratch): Promise<Record<string, number>> {
  return rowCounts(scratch, Object.keys(PAIR_ROWS));
}

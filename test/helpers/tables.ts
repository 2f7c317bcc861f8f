import type { Dialect } from '../../lib/index.js';
import { loadFixture, type FixtureName, type FixtureTarget } from '../../fixtures/load.js';
import type { Scratch } from './servers.js';

/** Quotes one identifier the way the test's own admin SQL needs it. */
export function quoteFor(dialect: Dialect, part: string): string {
  return dialect === 'mysql' ? '`' + part.replaceAll('`', '``') + '`' : '"' + part.replaceAll('"', '""') + '"';
}

/** The scratch's admin connection, in the shape the fixture loader takes. */
export function adminTarget(scratch: Scratch): FixtureTarget {
  return {
    dialect: scratch.dialect,
    query: async (text) => {
      const rows = await scratch.admin(text);
      return { rows, rowCount: rows.length };
    },
  };
}

/** Loads fixtures into the scratch namespace with its admin connection. */
export async function loadFixtures(scratch: Scratch, names: readonly FixtureName[]): Promise<void> {
  for (const name of names) await loadFixture(adminTarget(scratch), name);
}

/**
 * The FK shapes the truncate rules talk about, from fixtures/: a chain
 * parent <- child <- grandchild, a self-reference (categories, with products
 * referencing it), a two-table cycle (teams <-> players), and an unrelated
 * table that no truncate may touch.
 */
export async function createShapes(scratch: Scratch): Promise<void> {
  await loadFixtures(scratch, ['chain', 'self-reference', 'cycle']);
  const serial = scratch.dialect === 'mysql' ? 'INT AUTO_INCREMENT PRIMARY KEY' : 'SERIAL PRIMARY KEY';
  await scratch.admin(`CREATE TABLE bystander (id ${serial}, name VARCHAR(20))`);
}

const SHAPES = ['grandchild', 'child', 'parent', 'products', 'categories', 'players', 'teams', 'bystander'];

/** Empties every shape with FK checks out of the way, then seeds rows: `counts` says how many per table. */
export async function seed(scratch: Scratch, counts: Partial<Record<string, number>>): Promise<void> {
  if (scratch.dialect === 'mysql') {
    await scratch.admin('SET FOREIGN_KEY_CHECKS = 0');
    for (const table of SHAPES) await scratch.admin(`TRUNCATE TABLE ${table}`);
    await scratch.admin('SET FOREIGN_KEY_CHECKS = 1');
  } else {
    await scratch.admin(`TRUNCATE ${SHAPES.join(', ')} RESTART IDENTITY`);
  }
  const insert = async (table: string, columns: string, rows: number, value: (i: number) => string) => {
    for (let i = 1; i <= rows; i++) await scratch.admin(`INSERT INTO ${table} (${columns}) VALUES (${value(i)})`);
  };
  await insert('parent', 'name', counts.parent ?? 0, (i) => `'p${i}'`);
  await insert('child', 'parent_id, name', counts.child ?? 0, (i) => `1, 'c${i}'`);
  await insert('grandchild', 'child_id, name', counts.grandchild ?? 0, (i) => `1, 'g${i}'`);
  await insert('categories', 'parent_id, name', counts.categories ?? 0, (i) => `${i === 1 ? 'NULL' : '1'}, 'k${i}'`);
  await insert('teams', 'name', counts.teams ?? 0, (i) => `'t${i}'`);
  await insert('players', 'team_id, name', counts.players ?? 0, (i) => `1, 'pl${i}'`);
  if ((counts.teams ?? 0) > 0 && (counts.players ?? 0) > 0) await scratch.admin('UPDATE teams SET captain_id = 1');
  await insert('bystander', 'name', counts.bystander ?? 0, (i) => `'b${i}'`);
}

/** Row counts of the named tables, read with the admin connection. */
export async function rowCounts(scratch: Scratch, tables: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = Number((await scratch.admin(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
  return counts;
}

/** The id the next insert into `table` would get, read without inserting. */
export async function nextId(scratch: Scratch, table: string): Promise<number> {
  const rows =
    scratch.dialect === 'mysql'
      ? await scratch.admin('SELECT AUTO_INCREMENT AS next FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [
          scratch.name,
          table,
        ])
      : await scratch.admin(
          `SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next FROM ${quoteFor('postgres', `${table}_id_seq`)}`,
        );
  return Number(rows[0]!.next);
}

/**
 * The table's storage: an InnoDB table id, a PostgreSQL relfilenode. TRUNCATE
 * gives a table new storage; DELETE does not. Plain names only (InnoDB encodes others in its own way).
 */
export async function storageId(scratch: Scratch, table: string): Promise<string> {
  const rows =
    scratch.dialect === 'mysql'
      ? await scratch.admin('SELECT TABLE_ID AS id FROM information_schema.INNODB_SYS_TABLES WHERE NAME = ?', [`${scratch.name}/${table}`])
      : await scratch.admin('SELECT relfilenode AS id FROM pg_class WHERE oid = $1::regclass', [quoteFor('postgres', table)]);
  return String(rows[0]?.id);
}

import type { Dialect } from '../../lib/index.js';
import type { Scratch } from './servers.js';

/** Quotes one identifier the way the test's own admin SQL needs it. */
export function quoteFor(dialect: Dialect, part: string): string {
  return dialect === 'mysql' ? '`' + part.replaceAll('`', '``') + '`' : '"' + part.replaceAll('"', '""') + '"';
}

/**
 * The FK shapes the truncate rules talk about, created with the admin
 * connection: a chain parent <- child <- grandchild, a self-reference, a
 * two-table cycle, and an unrelated table that no truncate may touch.
 */
export async function createShapes(scratch: Scratch): Promise<void> {
  const serial = scratch.dialect === 'mysql' ? 'INT AUTO_INCREMENT PRIMARY KEY' : 'SERIAL PRIMARY KEY';
  const statements = [
    `CREATE TABLE parent (id ${serial}, label VARCHAR(20))`,
    `CREATE TABLE child (id ${serial}, parent_id INT REFERENCES parent (id))`,
    `CREATE TABLE grandchild (id ${serial}, child_id INT REFERENCES child (id))`,
    `CREATE TABLE self_ref (id ${serial}, parent_id INT REFERENCES self_ref (id))`,
    `CREATE TABLE cycle_a (id ${serial}, b_id INT)`,
    `CREATE TABLE cycle_b (id ${serial}, a_id INT REFERENCES cycle_a (id))`,
    'ALTER TABLE cycle_a ADD CONSTRAINT cycle_a_b FOREIGN KEY (b_id) REFERENCES cycle_b (id)',
    `CREATE TABLE bystander (id ${serial}, label VARCHAR(20))`,
  ];
  // MariaDB ignores inline REFERENCES on a column; it needs table-level FOREIGN KEY clauses.
  for (const statement of statements) await scratch.admin(scratch.dialect === 'mysql' ? inlineToTableFk(statement) : statement);
}

function inlineToTableFk(statement: string): string {
  const match = /^(CREATE TABLE (\w+) \(.*), (\w+) INT REFERENCES (\w+) \((\w+)\)\)$/.exec(statement);
  if (match === null) return statement;
  const [, head, , column, target, key] = match;
  return `${head}, ${column} INT, FOREIGN KEY (${column}) REFERENCES ${target} (${key}))`;
}

/** Empties every shape with FK checks out of the way, then seeds rows: `counts` says how many per table. */
export async function seed(scratch: Scratch, counts: Partial<Record<string, number>>): Promise<void> {
  const all = ['grandchild', 'child', 'parent', 'self_ref', 'cycle_b', 'cycle_a', 'bystander'];
  if (scratch.dialect === 'mysql') {
    await scratch.admin('SET FOREIGN_KEY_CHECKS = 0');
    for (const table of all) await scratch.admin(`TRUNCATE TABLE ${table}`);
    await scratch.admin('SET FOREIGN_KEY_CHECKS = 1');
  } else {
    await scratch.admin(`TRUNCATE ${all.join(', ')} RESTART IDENTITY`);
  }
  const insert = async (table: string, columns: string, rows: number, value: (i: number) => string) => {
    for (let i = 1; i <= rows; i++) await scratch.admin(`INSERT INTO ${table} (${columns}) VALUES (${value(i)})`);
  };
  await insert('parent', 'label', counts.parent ?? 0, (i) => `'p${i}'`);
  await insert('child', 'parent_id', counts.child ?? 0, () => '1');
  await insert('grandchild', 'child_id', counts.grandchild ?? 0, () => '1');
  await insert('self_ref', 'parent_id', counts.self_ref ?? 0, (i) => (i === 1 ? 'NULL' : '1'));
  await insert('cycle_a', 'b_id', counts.cycle_a ?? 0, () => 'NULL');
  await insert('cycle_b', 'a_id', counts.cycle_b ?? 0, () => '1');
  if ((counts.cycle_a ?? 0) > 0 && (counts.cycle_b ?? 0) > 0) await scratch.admin('UPDATE cycle_a SET b_id = 1');
  await insert('bystander', 'label', counts.bystander ?? 0, (i) => `'b${i}'`);
}

/** Row counts of the named tables, read with the admin connection. */
export async function rowCounts(scratch: Scratch, tables: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = Number((await scratch.admin(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
  return counts;
}

/** The id the next insert into `table` gets (the insert is then undone by deleting the row). */
export async function nextId(scratch: Scratch, table: string): Promise<number> {
  if (scratch.dialect === 'mysql') {
    await scratch.admin(`INSERT INTO ${table} () VALUES ()`);
    const id = Number((await scratch.admin('SELECT LAST_INSERT_ID() AS id'))[0]!.id);
    await scratch.admin(`SET FOREIGN_KEY_CHECKS = 0`);
    await scratch.admin(`DELETE FROM ${table} WHERE id = ${id}`);
    await scratch.admin(`SET FOREIGN_KEY_CHECKS = 1`);
    return id;
  }
  const id = Number((await scratch.admin(`INSERT INTO ${table} DEFAULT VALUES RETURNING id`))[0]!.id);
  await scratch.admin(`DELETE FROM ${table} WHERE id = ${id}`);
  return id;
}

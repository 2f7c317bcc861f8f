import type { Dialect } from '../lib/index.js';
import type { RawSession } from './drivers/driver.js';

/**
 * W5's tables: each case gets a database of its own (on PostgreSQL, a schema in
 * it), because `truncateAll` empties everything in one. Tables come in
 * parent/child pairs (`p000`, `c000` referencing it), or stand alone (`t0`...).
 */
export interface ResetSchema {
  /** Names in the order a test suite would list them: each parent, then its child. */
  readonly tables: readonly string[];
  readonly paired: boolean;
}

const KEY: Readonly<Record<Dialect, string>> = {
  mysql: 'id INT AUTO_INCREMENT PRIMARY KEY',
  postgres: 'id SERIAL PRIMARY KEY',
};

/** `count` tables in parent/child pairs. */
export function pairedSchema(count: number): ResetSchema {
  return {
    tables: Array.from({ length: count / 2 }, (_, i) => String(i).padStart(3, '0')).flatMap((n) => [`p${n}`, `c${n}`]),
    paired: true,
  };
}

/** `count` tables without foreign keys. */
export function standaloneSchema(count: number): ResetSchema {
  return { tables: Array.from({ length: count }, (_, i) => `t${i}`), paired: false };
}

export function createSchemaSql(dialect: Dialect, schema: ResetSchema): string {
  return schema.tables
    .map((table) =>
      table.startsWith('c')
        ? `CREATE TABLE ${table} (${KEY[dialect]}, parent_id INT NOT NULL, v INT NOT NULL, s VARCHAR(40) NOT NULL,
             CONSTRAINT ${table}_parent FOREIGN KEY (parent_id) REFERENCES p${table.slice(1)} (id));`
        : `CREATE TABLE ${table} (${KEY[dialect]}, v INT NOT NULL, s VARCHAR(40) NOT NULL);`,
    )
    .join('\n');
}

/**
 * Fills `tables` (a prefix of the schema's list, so every child's parent is
 * filled before it) with `rows` rows each, in one transaction. Children take
 * their parent's ids. Sent as one batch by the loader, outside every timed part.
 */
export function fillSql(dialect: Dialect, tables: readonly string[], rows: number): string {
  const numbers = dialect === 'mysql' ? `SELECT seq AS n FROM seq_1_to_${rows}` : `SELECT n FROM generate_series(1, ${rows}) AS n`;
  const statements = tables.map((table) =>
    table.startsWith('c')
      ? `INSERT INTO ${table} (parent_id, v, s) SELECT id, v, s FROM p${table.slice(1)}`
      : `INSERT INTO ${table} (v, s) SELECT n, 'sqlpin bench row, forty characters long' FROM (${numbers}) AS numbers`,
  );
  return ['BEGIN', ...statements, 'COMMIT'].join(';\n');
}

/**
 * Puts every table back to empty with its counter at the start, as a fresh
 * test database has them: run after an arm that leaves counters where they
 * were (a DELETE loop), so that the next arm starts from the same state.
 */
export async function resetByHand(dialect: Dialect, session: RawSession, schema: ResetSchema): Promise<void> {
  if (dialect === 'postgres') {
    await session.query(`TRUNCATE ${schema.tables.join(', ')} RESTART IDENTITY`);
    return;
  }
  await session.query(
    ['SET FOREIGN_KEY_CHECKS = 0', ...schema.tables.map((table) => `TRUNCATE TABLE ${table}`), 'SET FOREIGN_KEY_CHECKS = 1'].join(';\n'),
  );
}

/**
 * The reset a careful user writes by hand with DELETE, as Rails does for its
 * parallel MySQL tests: MySQL with checks off, one DELETE per table;
 * PostgreSQL one autocommit DELETE per table, children first. Counters are
 * left where they were: the speed of DELETE, without its exactness.
 */
export async function deleteByHand(dialect: Dialect, session: RawSession, schema: ResetSchema): Promise<void> {
  if (dialect === 'postgres') {
    const childrenFirst = schema.paired ? [...schema.tables].reverse() : schema.tables;
    for (const table of childrenFirst) await session.query(`DELETE FROM ${table}`);
    return;
  }
  await session.query('SET FOREIGN_KEY_CHECKS = 0');
  try {
    for (const table of schema.tables) await session.query(`DELETE FROM ${table}`);
  } finally {
    await session.query('SET FOREIGN_KEY_CHECKS = 1');
  }
}

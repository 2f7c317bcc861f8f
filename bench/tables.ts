import type { Dialect } from '../lib/index.js';

/** W3: one table referenced by one other, 1,000 rows each. */
export const W3_PARENT = 'w3_parent';
export const W3_CHILD = 'w3_child';
const W3_ROWS = 1_000;

/** W4: parent/child pairs; the first n tables of the list make the n-table case. */
export const CLEANUP_SIZES = [10, 50, 200] as const;
const CLEANUP_ROWS = 100;

/** Which W4 tables hold rows when the cleanup runs: all of them, or one in ten (the rest empty, counters reset). */
export type Fill = 'all rows' | 'one in ten';

const KEY: Readonly<Record<Dialect, string>> = {
  mysql: 'id INT AUTO_INCREMENT PRIMARY KEY',
  postgres: 'id SERIAL PRIMARY KEY',
};

/** The first `count` W4 tables, each parent followed by its child, as a test-suite cleanup would list them. */
export function cleanupTables(count: number): string[] {
  return pairs(count / 2).flatMap(({ parent, child }) => [parent, child]);
}

/** DDL for every table the benchmark uses, as one batch. */
export function createTablesSql(dialect: Dialect): string {
  return createPairsSql(dialect, [{ parent: W3_PARENT, child: W3_CHILD }, ...pairs(Math.max(...CLEANUP_SIZES) / 2)]);
}

/** DDL for parent/child pairs shaped like W3's: a serial key, an int, and the child's foreign key to its parent. */
export function createPairsSql(dialect: Dialect, tables: readonly { parent: string; child: string }[]): string {
  return tables
    .map(
      ({ parent, child }) =>
        `CREATE TABLE ${parent} (${KEY[dialect]}, v INT NOT NULL);
         CREATE TABLE ${child} (${KEY[dialect]}, parent_id INT NOT NULL, v INT NOT NULL,
           CONSTRAINT ${child}_parent FOREIGN KEY (parent_id) REFERENCES ${parent} (id));`,
    )
    .join('\n');
}

/**
 * Puts W3 back to 1,000 parent and 1,000 child rows, whatever the last
 * truncate left (MySQL's leaves the child rows behind, orphaned).
 */
export function reloadParentChildSql(): string {
  return transaction([
    `DELETE FROM ${W3_CHILD}`,
    `DELETE FROM ${W3_PARENT}`,
    ...fill({ parent: W3_PARENT, child: W3_CHILD }, W3_ROWS, true),
  ]);
}

/**
 * Fills the first `count` W4 tables, which every cleanup arm leaves empty.
 * Nothing is deleted first: dead rows would make an empty table look used.
 */
export function reloadCleanupSql(count: number, which: Fill): string {
  const statements = pairs(count / 2).flatMap((pair, i) =>
    which === 'all rows' ? fill(pair, CLEANUP_ROWS, true) : i % 5 === 0 ? fill(pair, CLEANUP_ROWS, false) : [],
  );
  return transaction(statements);
}

function pairs(count: number): { parent: string; child: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const suffix = String(i).padStart(3, '0');
    return { parent: `w4_p${suffix}`, child: `w4_c${suffix}` };
  });
}

function fill({ parent, child }: { parent: string; child: string }, rows: number, withChildren: boolean): string[] {
  const values = Array.from({ length: rows }, (_, i) => `(${i + 1})`).join(',');
  const statements = [`INSERT INTO ${parent} (v) VALUES ${values}`];
  if (withChildren) statements.push(`INSERT INTO ${child} (parent_id, v) SELECT id, v FROM ${parent}`);
  return statements;
}

function transaction(statements: readonly string[]): string {
  return ['BEGIN', ...statements, 'COMMIT'].join(';\n');
}

/**
 * The tables W3 empties. MySQL empties the parent alone, with checks off;
 * PostgreSQL refuses that while the child holds rows, so both are named.
 */
export function referencedPair(dialect: Dialect): string[] {
  return dialect === 'mysql' ? [W3_PARENT] : [W3_PARENT, W3_CHILD];
}

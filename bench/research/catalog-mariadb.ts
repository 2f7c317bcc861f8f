/**
 * MariaDB: ways to ask the catalog what a truncate needs, timed without and
 * with 4,000 unrelated tables on the server, and what each one answers.
 * `npx tsx bench/research/catalog-mariadb.ts` (RESEARCH_ROUNDS, default 15).
 *
 * (a) named tables and their AUTO_INCREMENT, (b) the tables whose foreign keys
 * reference a table, (c) DELETE triggers of given tables, (d) a server-wide
 * "has any table changed" counter a catalog cache could check.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { createScratch } from '../../test/helpers/servers.js';
import { APP_TABLES, createAppSql } from '../app-tables.js';
import { mysqlDriver } from '../drivers/mysql.js';
import { Resources } from '../resources.js';
import { createUnrelated, reapLeftovers, scaleLabel } from '../unrelated-tables.js';
import { compare, formatTiming, type Candidate } from './timing.js';

const ROUNDS = Number(process.env.RESEARCH_ROUNDS ?? 15);

const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');
/**
 * A string literal for a name: hex, so no quoting question arises. The
 * introducer form keeps it a literal, which MariaDB's information_schema
 * optimisation needs; `convertLit` is the form sqlpin uses today, a function
 * call, with which every database is scanned.
 */
const lit = (text: string) => `_utf8mb4 X'${hex(text)}'`;
const convertLit = (text: string) => `CONVERT(X'${hex(text)}' USING utf8mb4)`;
/** `db/table` as InnoDB's dictionary spells it (the filename character set), as bytes. */
const innodbName = (schema: string, table: string) =>
  `CONCAT(CAST(CONVERT(${lit(schema)} USING filename) AS BINARY), '/', CAST(CONVERT(${lit(table)} USING filename) AS BINARY))`;
/** One half of an InnoDB dictionary name, decoded back to the name users see. */
const decoded = (column: string, part: 1 | -1) =>
  `CONVERT(CAST(CAST(SUBSTRING_INDEX(${column}, '/', ${part}) AS BINARY) AS CHAR CHARACTER SET filename) USING utf8mb4)`;

/** The candidates, by question; each one's text is run as is. */
function candidates(db: string): Record<string, { label: string; text: string }[]> {
  const three = ['users', 'posts', 'comments'];
  const eq = (table: string) => `TABLE_SCHEMA = ${lit(db)} AND TABLE_NAME = ${lit(table)}`;
  return {
    '(a) resolve named tables and their AUTO_INCREMENT': [
      {
        label: 'TABLES, IN (COALESCE(NULL, DATABASE())) / IN (1 name) (today)',
        text: `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (COALESCE(NULL, DATABASE())) AND TABLE_NAME IN ('w3_parent')`,
      },
      {
        label: 'TABLES, IN (COALESCE(NULL, DATABASE())) / IN (3 names) (today)',
        text: `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (COALESCE(NULL, DATABASE())) AND TABLE_NAME IN (${three.map(lit).join(', ')})`,
      },
      {
        label: 'TABLES, one SELECT per name with = on both columns, UNION ALL (3 names)',
        text: three
          .map((table) => `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, AUTO_INCREMENT FROM information_schema.TABLES WHERE ${eq(table)}`)
          .join(' UNION ALL '),
      },
      {
        label: "TABLES, = on both columns, names as CONVERT(X'..' USING utf8mb4) (today, cascaded tables' counters)",
        text: `SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${convertLit(db)} AND TABLE_NAME = ${convertLit('w3_child')}`,
      },
      {
        label: "TABLES, = on both columns, names as _utf8mb4 X'..' (1 name)",
        text: `SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE ${eq('w3_child')}`,
      },
      { label: 'SHOW TABLE STATUS FROM db LIKE name (1 name)', text: `SHOW TABLE STATUS FROM \`${db}\` LIKE 'w3\\_parent'` },
      {
        label: `TABLES, TABLE_SCHEMA = db, with AUTO_INCREMENT (every table: ${APP_TABLES.length + 6})`,
        text: `SELECT TABLE_NAME, TABLE_TYPE, AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${lit(db)}`,
      },
      {
        label: 'TABLES, TABLE_SCHEMA = db, names and types only',
        text: `SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${lit(db)}`,
      },
      { label: 'SHOW FULL TABLES FROM db', text: `SHOW FULL TABLES FROM \`${db}\`` },
      {
        label: 'INNODB_SYS_TABLES by NAME (existence only; InnoDB tables only)',
        text: `SELECT NAME FROM information_schema.INNODB_SYS_TABLES WHERE CAST(NAME AS BINARY) = ${innodbName(db, 'w3_parent')}`,
      },
    ],
    "(b) tables referencing w3_parent, reading one database or InnoDB's dictionary": [
      {
        label: 'REFERENTIAL_CONSTRAINTS, CONSTRAINT_SCHEMA = db (misses children in other databases)',
        text: `SELECT CONSTRAINT_SCHEMA, TABLE_NAME, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ${lit(db)}`,
      },
      {
        label: 'INNODB_SYS_FOREIGN, REF_NAME = db/t (bytes), names decoded',
        text: `SELECT ${decoded('FOR_NAME', 1)} AS child_schema, ${decoded('FOR_NAME', -1)} AS child FROM information_schema.INNODB_SYS_FOREIGN WHERE CAST(REF_NAME AS BINARY) = ${innodbName(db, 'w3_parent')}`,
      },
      {
        label: 'INNODB_SYS_FOREIGN, transitive (WITH RECURSIVE)',
        text: `WITH RECURSIVE f AS (SELECT FOR_NAME, REF_NAME FROM information_schema.INNODB_SYS_FOREIGN),
                 down AS (SELECT CAST(FOR_NAME AS BINARY) AS name FROM f WHERE CAST(REF_NAME AS BINARY) = ${innodbName(db, 'w3_parent')}
                          UNION SELECT CAST(f.FOR_NAME AS BINARY) FROM f JOIN down ON CAST(f.REF_NAME AS BINARY) = down.name)
               SELECT ${decoded('name', 1)} AS child_schema, ${decoded('name', -1)} AS child FROM down`,
      },
      { label: 'INNODB_SYS_FOREIGN, every row', text: 'SELECT FOR_NAME, REF_NAME FROM information_schema.INNODB_SYS_FOREIGN' },
    ],
    '(b) tables referencing w3_parent, reading every database (measured apart: they evict every other table from the caches)': [
      {
        label: 'REFERENTIAL_CONSTRAINTS, no filter (today, cascade)',
        text: 'SELECT CONSTRAINT_SCHEMA, TABLE_NAME, UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS',
      },
      {
        label: 'REFERENTIAL_CONSTRAINTS, UNIQUE_CONSTRAINT_SCHEMA = db AND REFERENCED_TABLE_NAME = t',
        text: `SELECT CONSTRAINT_SCHEMA, TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE UNIQUE_CONSTRAINT_SCHEMA = ${lit(db)} AND REFERENCED_TABLE_NAME = 'w3_parent'`,
      },
      {
        label: 'KEY_COLUMN_USAGE, REFERENCED_TABLE_SCHEMA = db AND REFERENCED_TABLE_NAME = t',
        text: `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE REFERENCED_TABLE_SCHEMA = ${lit(db)} AND REFERENCED_TABLE_NAME = 'w3_parent'`,
      },
    ],
    '(c) DELETE triggers of users, posts, comments': [
      {
        label: "TRIGGERS, EVENT_OBJECT_SCHEMA IN (CONVERT(X'..' USING utf8mb4)) (today)",
        text: `SELECT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE EVENT_MANIPULATION = 'DELETE' AND EVENT_OBJECT_SCHEMA IN (${convertLit(db)})`,
      },
      {
        label: "TRIGGERS, EVENT_OBJECT_SCHEMA = _utf8mb4 X'..'",
        text: `SELECT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE EVENT_MANIPULATION = 'DELETE' AND EVENT_OBJECT_SCHEMA = ${lit(db)}`,
      },
      {
        label: 'TRIGGERS, one SELECT per table with = on both columns, UNION ALL',
        text: three
          .map(
            (table) =>
              `SELECT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE EVENT_MANIPULATION = 'DELETE' AND EVENT_OBJECT_SCHEMA = ${lit(db)} AND EVENT_OBJECT_TABLE = ${lit(table)}`,
          )
          .join(' UNION ALL '),
      },
      {
        label: 'TRIGGERS, EVENT_OBJECT_SCHEMA = db AND EVENT_OBJECT_TABLE IN (3)',
        text: `SELECT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE EVENT_MANIPULATION = 'DELETE' AND EVENT_OBJECT_SCHEMA = ${lit(db)} AND EVENT_OBJECT_TABLE IN (${three.map(lit).join(', ')})`,
      },
      { label: 'SHOW TRIGGERS FROM db', text: `SHOW TRIGGERS FROM \`${db}\`` },
    ],
    '(d) a server-wide DDL counter': [
      {
        label: 'GLOBAL_STATUS, the COM_ counters of table DDL',
        text: `SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('COM_CREATE_TABLE', 'COM_ALTER_TABLE', 'COM_DROP_TABLE', 'COM_RENAME_TABLE', 'COM_CREATE_TRIGGER', 'COM_DROP_TRIGGER')`,
      },
      { label: 'SELECT 1 (a round trip, for scale)', text: 'SELECT 1' },
    ],
  };
}

const resources = new Resources();
try {
  const target = resources.add('target', await createScratch('mysql', scaleLabel('research')), (s) => s.drop());
  await reapLeftovers(target);
  const other = resources.add('other', await createScratch('mysql', scaleLabel('research_other')), (s) => s.drop());
  const loader = resources.add('loader', await mysqlDriver.connect(target.url, true), (s) => s.close());
  await loader.query(`${createAppSql('mysql')}
    CREATE TABLE w3_parent (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL);
    CREATE TABLE w3_child (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT NOT NULL, CONSTRAINT w3_child_parent FOREIGN KEY (parent_id) REFERENCES w3_parent (id));
    CREATE TABLE \`W3_Parent\` (id INT AUTO_INCREMENT PRIMARY KEY);
    CREATE TABLE \`odd-name\` (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT, FOREIGN KEY (parent_id) REFERENCES w3_parent (id));
    CREATE TABLE aria_t (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=Aria;
    CREATE TABLE myisam_t (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT, FOREIGN KEY (parent_id) REFERENCES w3_parent (id)) ENGINE=MyISAM;
    CREATE TRIGGER comments_deleted BEFORE DELETE ON comments FOR EACH ROW SET @deleted = 1;
    CREATE TABLE \`${other.name}\`.xchild (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT NOT NULL, FOREIGN KEY (parent_id) REFERENCES \`${target.name}\`.w3_parent (id));`);
  const connection = await mysql.createConnection({ uri: target.url });
  resources.add('timed connection', connection, (c) => c.end());
  const groups = candidates(target.name);

  const measure = async (where: string) => {
    console.log(`\n=== ${where} ===`);
    for (const [question, list] of Object.entries(groups)) {
      const timed: Candidate[] = list.map(({ label, text }) => ({ label, run: () => connection.query(text) }));
      const timings = await compare(timed, ROUNDS);
      console.log(`${question}: ms, median (min–max) of ${ROUNDS}`);
      for (const [i, timing] of timings.entries()) {
        const { text } = list[i]!;
        const [rows] = await connection.query(text);
        console.log(`  ${formatTiming(timing).padEnd(22)} ${timing.label}  → ${summary(rows, target.name, other.name)}`);
        if (!text.startsWith('SHOW')) {
          const [explained] = await connection.query(`EXPLAIN ${text}`);
          console.log(
            `  ${''.padEnd(22)}   EXPLAIN: ${(explained as { Extra: string | null }[]).map((row) => row.Extra ?? '').join(' | ')}`,
          );
        }
      }
    }
  };

  await privileges(target.url, target.name, groups);
  await measure('no other tables but these');
  const started = performance.now();
  const where = await createUnrelated(mysqlDriver, target, resources);
  console.log(`\n(4,000 unrelated tables made in ${((performance.now() - started) / 1000).toFixed(1)} s, ${where})`);
  await measure('with 4,000 unrelated tables in another database');
} finally {
  await resources.closeAll();
}

/**
 * Which candidates a user with only what TRUNCATE and DELETE need (DROP,
 * DELETE, SELECT on the database) may run. The user has a random name and is
 * dropped before this returns.
 */
async function privileges(url: string, db: string, groups: Record<string, { label: string; text: string }[]>): Promise<void> {
  const admin = await mysql.createConnection({ uri: url });
  const user = `sqlpin_research_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  try {
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
    await admin.query(`GRANT SELECT, DELETE, DROP ON \`${db}\`.* TO ?@?`, [user, '%']);
    const limited = new URL(url);
    limited.username = user;
    limited.password = password;
    const connection = await mysql.createConnection({ uri: limited.toString() });
    try {
      console.log('A user with SELECT, DELETE, DROP on the database only:');
      for (const { label, text } of Object.values(groups).flat()) {
        try {
          await connection.query(text);
        } catch (error) {
          console.log(`  refused (${(error as { errno?: number }).errno}): ${label}`);
        }
      }
    } finally {
      await connection.end();
    }
  } finally {
    await admin.query('DROP USER IF EXISTS ?@?', [user, '%']);
    await admin.end();
  }
}

/** What a candidate answered, short: rows about the research databases only, names made readable. */
function summary(rows: unknown, db: string, other: string): string {
  if (!Array.isArray(rows)) return 'not rows';
  const mine = rows.filter((row) => !Object.values(row as object).some((value) => String(value).includes('unrelated')));
  const text = mine
    .slice(0, 8)
    .map((row) =>
      Object.values(row as object)
        .map((value) => String(value).replaceAll(other, 'other').replaceAll(db, 'db'))
        .join('.'),
    )
    .join(', ');
  return `${rows.length} rows${mine.length < rows.length ? ` (${rows.length - mine.length} of the crowd)` : ''}: ${text}${mine.length > 8 ? ', ...' : ''}`;
}

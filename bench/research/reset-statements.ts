/**
 * What each way of resetting W6's three dirtied tables costs, sent as plain
 * SQL (no sqlpin), and what it costs the app's *other* session afterwards:
 * its next SELECT, the next execution of a statement it prepared before the
 * reset, and its next INSERT, each timed. DDL on a table (TRUNCATE, ALTER)
 * makes other sessions reopen it (MariaDB) or rebuild their cached
 * descriptions and plans (PostgreSQL); a DELETE does not.
 * `npx tsx bench/research/reset-statements.ts` (RESEARCH_DIALECTS, RESEARCH_ROUNDS, default 21).
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Dialect } from '../../lib/index.js';
import { createScratch } from '../../test/helpers/servers.js';
import { createAppSql, DIRTIED, TEST_REST } from '../app-tables.js';
import { mysqlDriver } from '../drivers/mysql.js';
import { postgresDriver } from '../drivers/postgres.js';
import { summarize } from '../measure.js';
import { Resources } from '../resources.js';
import { compare, formatTiming } from './timing.js';

const ROUNDS = Number(process.env.RESEARCH_ROUNDS ?? 21);
const DIALECTS = (process.env.RESEARCH_DIALECTS ?? 'mysql,postgres').split(',') as Dialect[];

/** A reset: statements sent in order, each a round trip (a string may hold a compound statement or several statements). */
interface Variant {
  readonly label: string;
  readonly statements: readonly string[];
}

const childrenFirst = [...DIRTIED].reverse();

const MYSQL_VARIANTS: readonly Variant[] = [
  { label: '3 autocommit DELETEs, 3 round trips (the hand-written floor)', statements: childrenFirst.map((t) => `DELETE FROM ${t}`) },
  {
    label: 'one compound statement: checks off, 3 DELETEs (3 commits), checks on',
    statements: [block(['SET FOREIGN_KEY_CHECKS = 0', ...childrenFirst.map((t) => `DELETE FROM ${t}`), 'SET FOREIGN_KEY_CHECKS = 1'])],
  },
  {
    label: 'one compound statement: 3 DELETEs in one transaction (1 commit)',
    statements: [block(['START TRANSACTION', ...childrenFirst.map((t) => `DELETE FROM ${t}`), 'COMMIT'])],
  },
  {
    label: 'one compound statement: 3 DELETEs (1 commit) + 3 ALTER TABLE ... AUTO_INCREMENT = 1',
    statements: [
      block([
        'START TRANSACTION',
        ...childrenFirst.map((t) => `DELETE FROM ${t}`),
        'COMMIT',
        ...DIRTIED.map((t) => `ALTER TABLE ${t} AUTO_INCREMENT = 1`),
      ]),
    ],
  },
  {
    label: 'one compound statement: 3 DELETEs (1 commit) + 3 ALTER TABLE ... AUTO_INCREMENT = 1, ALGORITHM = INSTANT',
    statements: [
      block([
        'START TRANSACTION',
        ...childrenFirst.map((t) => `DELETE FROM ${t}`),
        'COMMIT',
        ...DIRTIED.map((t) => `ALTER TABLE ${t} AUTO_INCREMENT = 1, ALGORITHM = INSTANT`),
      ]),
    ],
  },
  {
    label: "one compound statement: checks off, 3 TRUNCATEs, checks on (sqlpin's statements today)",
    statements: [block(['SET FOREIGN_KEY_CHECKS = 0', ...DIRTIED.map((t) => `TRUNCATE TABLE ${t}`), 'SET FOREIGN_KEY_CHECKS = 1'])],
  },
];

/** The sequences of the three tables, as their identity columns name them. */
const sequence = (table: string) => `pg_get_serial_sequence('${table}', 'id')`;

const POSTGRES_VARIANTS: readonly Variant[] = [
  { label: '3 autocommit DELETEs, 3 round trips (the hand-written floor)', statements: childrenFirst.map((t) => `DELETE FROM ${t}`) },
  {
    label: 'BEGIN; 3 DELETEs; COMMIT in one message',
    statements: [['BEGIN', ...childrenFirst.map((t) => `DELETE FROM ${t}`), 'COMMIT'].join(';\n')],
  },
  {
    label: 'BEGIN; 3 DELETEs; setval of the 3 sequences; COMMIT in one message',
    statements: [
      [
        'BEGIN',
        ...childrenFirst.map((t) => `DELETE FROM ${t}`),
        `SELECT ${DIRTIED.map((t) => `setval(${sequence(t)}, 1, false)`).join(', ')}`,
        'COMMIT',
      ].join(';\n'),
    ],
  },
  {
    label: 'BEGIN; 3 DELETEs; 3 ALTER SEQUENCE ... RESTART; COMMIT in one message (sqlpin today)',
    statements: [
      [
        'BEGIN',
        ...childrenFirst.map((t) => `DELETE FROM ${t}`),
        ...DIRTIED.map((t) => `ALTER SEQUENCE ${t}_id_seq RESTART`),
        'COMMIT',
      ].join(';\n'),
    ],
  },
  {
    label: 'TRUNCATE users RESTART IDENTITY CASCADE (15 tables: every one that references users, transitively)',
    statements: ['TRUNCATE users RESTART IDENTITY CASCADE'],
  },
  {
    label: 'TRUNCATE users RESTART IDENTITY CASCADE, in BEGIN ... COMMIT with a LOCK first',
    statements: ['BEGIN; LOCK TABLE users, posts, comments IN ACCESS EXCLUSIVE MODE; TRUNCATE users RESTART IDENTITY CASCADE; COMMIT'],
  },
];

function block(statements: readonly string[]): string {
  return `BEGIN NOT ATOMIC ${statements.join('; ')}; END`;
}

/** The app's session: plain statements, and one it prepared before the reset. */
interface AppSession {
  select(): Promise<unknown>;
  prepared(): Promise<unknown>;
  insert(): Promise<unknown>;
  run(text: string): Promise<unknown>;
  close(): Promise<void>;
}

async function mysqlApp(url: string): Promise<AppSession> {
  const connection = await mysql.createConnection({ uri: url });
  return {
    select: () => connection.query('SELECT id, label, created_at FROM users WHERE id = ?', [1]),
    // mysql2 prepares a text once per connection and reuses it.
    prepared: () => connection.execute('SELECT id, label FROM posts WHERE user_id = ?', [1]),
    insert: () => connection.query('INSERT INTO users (label) VALUES (?)', ['first user']),
    run: (text) => connection.query(text),
    close: () => connection.end(),
  };
}

async function postgresApp(url: string): Promise<AppSession> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    select: () => client.query('SELECT id, label, created_at FROM users WHERE id = $1', [1]),
    // A named statement: its plan is kept by the session and invalidated by DDL on what it reads.
    prepared: () => client.query({ name: 'posts_of_user', text: 'SELECT id, label FROM posts WHERE user_id = $1', values: [1] }),
    insert: () => client.query('INSERT INTO users (label) VALUES ($1)', ['first user']),
    run: (text) => client.query(text),
    close: () => client.end(),
  };
}

async function research(dialect: Dialect): Promise<void> {
  const resources = new Resources();
  try {
    const scratch = resources.add('scratch', await createScratch(dialect, 'research_reset', undefined, { ownDatabase: true }), (s) =>
      s.drop(),
    );
    const loader = await (dialect === 'mysql' ? mysqlDriver : postgresDriver).connect(scratch.url, true);
    await loader.query(createAppSql(dialect));
    await loader.close();
    const open = dialect === 'mysql' ? mysqlApp : postgresApp;
    const app = resources.add('app', await open(scratch.url), (s) => s.close());
    const reset = resources.add('reset', await open(scratch.url), (s) => s.close());
    const variants = dialect === 'mysql' ? MYSQL_VARIANTS : POSTGRES_VARIANTS;
    const rest = async () => {
      if (dialect === 'postgres') await scratch.admin(`VACUUM ${DIRTIED.join(', ')}`);
      for (const statement of TEST_REST) await app.run(statement);
      await app.prepared();
    };
    await app.insert();
    await rest();
    const times = variants.map(() => ({ reset: [] as number[], select: [] as number[], prepared: [] as number[], insert: [] as number[] }));
    const timed = async (op: () => Promise<unknown>) => {
      const started = performance.now();
      await op();
      return performance.now() - started;
    };
    for (let round = -1; round < ROUNDS; round++) {
      for (let step = 0; step < variants.length; step++) {
        const index = (Math.max(round, 0) + step) % variants.length;
        const one = {
          reset: await timed(async () => {
            for (const statement of variants[index]!.statements) await reset.run(statement);
          }),
          select: await timed(() => app.select()),
          prepared: await timed(() => app.prepared()),
          insert: await timed(() => app.insert()),
        };
        await rest();
        // The first round warms every variant's statements; it is not counted.
        if (round < 0) continue;
        for (const key of ['reset', 'select', 'prepared', 'insert'] as const) times[index]![key].push(one[key]);
      }
    }
    console.log(
      `\n=== ${dialect}: ms, median (min–max) of ${ROUNDS}; the app's statements run on another session, right after the reset ===`,
    );
    const cell = (values: number[]) => {
      const { median, min, max } = summarize(values);
      return `${median.toFixed(2)} (${min.toFixed(2)}–${max.toFixed(2)})`.padEnd(20);
    };
    console.log(`${'reset'.padEnd(20)}${'next SELECT'.padEnd(20)}${'next prepared'.padEnd(20)}${'next INSERT'.padEnd(20)}variant`);
    variants.forEach((variant, i) => {
      const t = times[i]!;
      console.log(`${cell(t.reset)}${cell(t.select)}${cell(t.prepared)}${cell(t.insert)}${variant.label}`);
    });
  } finally {
    await resources.closeAll();
  }
}

/** Each statement alone, on a table of its own with 3 rows (written before each run, untimed), in autocommit. */
const SOLO: Readonly<Record<Dialect, { create: string; statements: Record<string, string> }>> = {
  mysql: {
    create: 'CREATE TABLE solo (id BIGINT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(255) NOT NULL)',
    statements: {
      'DELETE (3 rows)': 'DELETE FROM solo',
      TRUNCATE: 'TRUNCATE TABLE solo',
      'DELETE, then ALTER TABLE ... AUTO_INCREMENT = 1 (two round trips)': 'DELETE FROM solo;ALTER TABLE solo AUTO_INCREMENT = 1',
      'DELETE, then ALTER TABLE ... AUTO_INCREMENT = 1, ALGORITHM = INSTANT':
        'DELETE FROM solo;ALTER TABLE solo AUTO_INCREMENT = 1, ALGORITHM = INSTANT',
      'SELECT 1 (a round trip, for scale)': 'SELECT 1',
    },
  },
  postgres: {
    create: 'CREATE TABLE solo (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, label VARCHAR(255) NOT NULL)',
    statements: {
      'DELETE (3 rows)': 'DELETE FROM solo',
      'TRUNCATE solo RESTART IDENTITY': 'TRUNCATE solo RESTART IDENTITY',
      'TRUNCATE solo (counter kept)': 'TRUNCATE solo',
      'DELETE; setval, in one transaction': "BEGIN; DELETE FROM solo; SELECT setval('solo_id_seq', 1, false); COMMIT",
      'DELETE; ALTER SEQUENCE ... RESTART, in one transaction': 'BEGIN; DELETE FROM solo; ALTER SEQUENCE solo_id_seq RESTART; COMMIT',
      'SELECT 1 (a round trip, for scale)': 'SELECT 1',
    },
  },
};

async function statementCosts(dialect: Dialect): Promise<void> {
  const resources = new Resources();
  try {
    const scratch = resources.add('scratch', await createScratch(dialect, 'research_solo', undefined, { ownDatabase: true }), (s) =>
      s.drop(),
    );
    const open = dialect === 'mysql' ? mysqlApp : postgresApp;
    const filler = resources.add('filler', await open(scratch.url), (s) => s.close());
    const session = resources.add('session', await open(scratch.url), (s) => s.close());
    await filler.run(SOLO[dialect].create);
    const candidates = Object.entries(SOLO[dialect].statements).map(([label, text]) => ({
      label,
      prepare: async () => {
        if (dialect === 'postgres') await filler.run('VACUUM solo');
        await filler.run(`INSERT INTO solo (label) VALUES ('a'), ('b'), ('c')`);
      },
      // MySQL's text protocol takes one statement per message here: a ';' separates round trips.
      run: async () => {
        for (const part of dialect === 'mysql' ? text.split(';') : [text]) await session.run(part);
      },
    }));
    console.log(`\n=== ${dialect}: one statement on a table of 3 rows, ms, median (min–max) of ${ROUNDS} ===`);
    for (const timing of await compare(candidates, ROUNDS)) console.log(`  ${formatTiming(timing).padEnd(22)} ${timing.label}`);
  } finally {
    await resources.closeAll();
  }
}

for (const dialect of DIALECTS) {
  await statementCosts(dialect);
  await research(dialect);
}

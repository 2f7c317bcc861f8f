/**
 * W6's reset as a redesigned truncate would send it, written out as plain SQL
 * for W6's schema, timed against the hand-written DELETEs and sqlpin today,
 * interleaved. Not a library: the statements a design would derive from its
 * catalog read are written here by hand, so these are the costs of the round
 * trips and statements each design needs, nothing else.
 *
 * - "2 round trips": the catalog read (narrowed to the target; on PostgreSQL
 *   led by indexes, JIT off), then one message that locks, empties and resets.
 * - "1 round trip": that second message alone, as a cached catalog would allow.
 *
 * `npx tsx bench/research/designs.ts` after `make build` (RESEARCH_DIALECTS, RESEARCH_ROUNDS, default 15).
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Dialect } from '../../lib/index.js';
import { createScratch } from '../../test/helpers/servers.js';
import { APP_TABLES, createAppSql, DIRTIED, HAND_DELETES, TEST_REST } from '../app-tables.js';
import { loadBuilds } from '../builds.js';
import { mysqlDriver } from '../drivers/mysql.js';
import { postgresDriver } from '../drivers/postgres.js';
import { Resources } from '../resources.js';
import { Recorder } from '../trace-recorder.js';
import { indexLed } from './postgres-catalog-rewrite.js';
import { compare, formatTiming, type Candidate } from './timing.js';

const ROUNDS = Number(process.env.RESEARCH_ROUNDS ?? 15);
const DIALECTS = (process.env.RESEARCH_DIALECTS ?? 'mysql,postgres').split(',') as Dialect[];

/** Children before parents: APP_TABLES lists every parent before its children. */
const CHILDREN_FIRST = [...APP_TABLES].reverse();

/** One way of resetting: the messages it sends, in order. */
interface Design {
  readonly label: string;
  readonly messages: readonly string[];
}

function mysqlDesigns(db: string): Design[] {
  const hex = `_utf8mb4 X'${Buffer.from(db, 'utf8').toString('hex')}'`;
  const catalog = `SELECT TABLE_NAME AS name, AUTO_INCREMENT AS counter, 'table' AS what FROM information_schema.TABLES
                    WHERE TABLE_SCHEMA = ${hex} AND TABLE_TYPE = 'BASE TABLE'
                   UNION ALL
                   SELECT EVENT_OBJECT_TABLE, NULL, 'delete trigger' FROM information_schema.TRIGGERS
                    WHERE EVENT_OBJECT_SCHEMA = ${hex} AND EVENT_MANIPULATION = 'DELETE'`;
  // What today's block does around the statements: one truncate per database at a time, checks off, restored on error too.
  const block = (statements: readonly string[]) =>
    "BEGIN NOT ATOMIC DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN SET FOREIGN_KEY_CHECKS = 1; DO RELEASE_LOCK('sqlpin_w6'); RESIGNAL; END; " +
    `IF NOT (GET_LOCK('sqlpin_w6', 10) <=> 1) THEN SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1205; END IF; SET FOREIGN_KEY_CHECKS = 0; ` +
    `${statements.join('; ')}; SET FOREIGN_KEY_CHECKS = 1; DO RELEASE_LOCK('sqlpin_w6'); END`;
  const deleteAll = (tables: readonly string[]) => ['START TRANSACTION', ...tables.map((t) => `DELETE FROM ${t}`), 'COMMIT'];
  // The counters that moved (the catalog read says which): TRUNCATE is the cheapest DDL that puts one back.
  const keep = block(deleteAll(CHILDREN_FIRST));
  const restart = block([
    ...DIRTIED.map((t) => `TRUNCATE TABLE ${t}`),
    ...deleteAll(CHILDREN_FIRST.filter((t) => !(DIRTIED as readonly string[]).includes(t))),
  ]);
  return [
    { label: 'restartIdentity: false, 2 round trips (catalog; one block, DELETE all 20 in one transaction)', messages: [catalog, keep] },
    { label: 'restartIdentity: false, 1 round trip (the block alone)', messages: [keep] },
    { label: 'defaults, 2 round trips (catalog; one block, TRUNCATE the 3 moved, DELETE 17)', messages: [catalog, restart] },
    { label: 'defaults, 1 round trip (the block alone)', messages: [restart] },
  ];
}

function postgresDesigns(today: string, led: string): Design[] {
  const lock = `LOCK TABLE ${APP_TABLES.join(', ')} IN ACCESS EXCLUSIVE MODE`;
  const deletes = CHILDREN_FIRST.map((t) => `DELETE FROM ONLY ${t}`);
  // What TRUNCATE ... RESTART IDENTITY of every table would do to the counters, without DDL: exact only under the conditions in the README.
  const setvals = `SELECT setval(s, 1, false) FROM unnest(ARRAY[${APP_TABLES.map((t) => `'${t}_id_seq'::regclass`).join(', ')}]) AS s`;
  const first = `BEGIN; SET LOCAL jit = off; ${led}`;
  const keep = [lock, ...deletes, 'COMMIT'].join(';\n');
  const restart = [lock, ...deletes, setvals, 'COMMIT'].join(';\n');
  return [
    {
      label: "restartIdentity: false, 2 round trips (today's catalog query; LOCK, DELETE all 20, COMMIT)",
      messages: [`BEGIN; ${today}`, keep],
    },
    { label: 'restartIdentity: false, 2 round trips (index-led catalog; LOCK, DELETE all 20, COMMIT)', messages: [first, keep] },
    { label: 'restartIdentity: false, 1 round trip (BEGIN and the second message)', messages: [`BEGIN;\n${keep}`] },
    {
      label: "defaults, 2 round trips (today's catalog query; LOCK, DELETE all 20, setval all 20, COMMIT)",
      messages: [`BEGIN; ${today}`, restart],
    },
    { label: 'defaults, 2 round trips (index-led catalog; LOCK, DELETE all 20, setval all 20, COMMIT)', messages: [first, restart] },
    { label: 'defaults, 1 round trip (BEGIN and the second message)', messages: [`BEGIN;\n${restart}`] },
  ];
}

/** A raw connection that sends one message and waits for its reply. */
interface Raw {
  send(text: string): Promise<unknown>;
  close(): Promise<void>;
}

async function connect(dialect: Dialect, url: string): Promise<Raw> {
  if (dialect === 'mysql') {
    const connection = await mysql.createConnection({ uri: url });
    return { send: (text) => connection.query(text), close: () => connection.end() };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return { send: (text) => client.query(text), close: () => client.end() };
}

async function research(dialect: Dialect): Promise<void> {
  const resources = new Resources();
  try {
    const scratch = resources.add('scratch', await createScratch(dialect, 'research_designs', undefined, { ownDatabase: true }), (s) =>
      s.drop(),
    );
    const loader = await (dialect === 'mysql' ? mysqlDriver : postgresDriver).connect(scratch.url, true);
    await loader.query(createAppSql(dialect));
    await loader.close();
    const app = resources.add('app', await connect(dialect, scratch.url), (s) => s.close());
    const raw = resources.add('raw', await connect(dialect, scratch.url), (s) => s.close());
    const { sqlpin } = (await loadBuilds('')).find((build) => build.label === 'dist')!;
    const db = resources.add('sqlpin', sqlpin.createPool({ url: scratch.url, max: 1 }), (pool) => pool.close());
    const test = async () => {
      if (dialect === 'postgres') await app.send(`VACUUM ${DIRTIED.join(', ')}`);
      for (const statement of [`INSERT INTO users (label) VALUES ('first user')`, ...TEST_REST]) await app.send(statement);
    };
    await test();
    const recorder = new Recorder();
    const captured = await recorder.record(() => db.truncateAll());
    recorder.close();
    const catalog = captured.steps[0]!.text.replace(/^BEGIN;\s*/, '');
    const designs = dialect === 'mysql' ? mysqlDesigns(scratch.name) : postgresDesigns(catalog, indexLed(catalog));
    const candidates: Candidate[] = [
      {
        label: 'hand-written: 3 autocommit DELETEs',
        prepare: test,
        run: async () => {
          for (const statement of HAND_DELETES) await raw.send(statement);
        },
      },
      { label: 'sqlpin truncateAll() today', prepare: test, run: () => db.truncateAll() },
      {
        label: 'sqlpin truncateAll({ restartIdentity: false }) today',
        prepare: test,
        run: () => db.truncateAll({ restartIdentity: false }),
      },
      ...designs.map(
        ({ label, messages }): Candidate => ({
          label,
          prepare: test,
          run: async () => {
            for (const message of messages) await raw.send(message);
          },
        }),
      ),
    ];
    console.log(`\n=== ${dialect}: W6's reset, ms, median (min–max) of ${ROUNDS}, interleaved ===`);
    const timings = await compare(candidates, ROUNDS);
    const floor = timings[0]!.median;
    for (const timing of timings)
      console.log(`  ${formatTiming(timing).padEnd(22)} ×${(timing.median / floor).toFixed(2)}  ${timing.label}`);
  } finally {
    await resources.closeAll();
  }
}

for (const dialect of DIALECTS) await research(dialect);

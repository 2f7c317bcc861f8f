/**
 * PostgreSQL: where the time of sqlpin's catalog query goes, and what an
 * index-led way of following foreign keys (through pg_depend) would cost,
 * without and with 4,000 unrelated tables in another schema of the database.
 * Also the state query's planning, and setval against ALTER SEQUENCE ... RESTART.
 * `npx tsx bench/research/catalog-postgres.ts` after `make build` (RESEARCH_ROUNDS, default 15).
 */
import pg from 'pg';
import { createScratch, type Scratch } from '../../test/helpers/servers.js';
import { createAppSql, DIRTIED, TEST_REST } from '../app-tables.js';
import { loadBuilds } from '../builds.js';
import { postgresDriver } from '../drivers/postgres.js';
import { Resources } from '../resources.js';
import { createPairsSql, W3_CHILD, W3_PARENT } from '../tables.js';
import { Recorder } from '../trace-recorder.js';
import { createUnrelated, DROP_LIMIT_MILLIS, reapLeftovers, scaleLabel } from '../unrelated-tables.js';
import { indexLed } from './postgres-catalog-rewrite.js';
import { compare, formatTiming, type Candidate } from './timing.js';

const ROUNDS = Number(process.env.RESEARCH_ROUNDS ?? 15);

/** The texts sqlpin sends for W6's truncateAll() and W7's truncate, in order, with BEGIN and LOCK split off. */
async function capture(url: string, app: pg.Client): Promise<{ all: string[]; named: string[] }> {
  const { sqlpin } = (await loadBuilds('')).find((build) => build.label === 'dist')!;
  const db = sqlpin.createPool({ url, max: 1 });
  const recorder = new Recorder();
  try {
    const all = (await recorder.record(() => db.truncateAll())).steps.map((step) => step.text);
    await refill(app);
    const named = (await recorder.record(() => db.truncate([W3_PARENT, W3_CHILD]))).steps.map((step) => step.text);
    return { all, named };
  } finally {
    recorder.close();
    await db.close();
  }
}

async function refill(app: pg.Client): Promise<void> {
  await app.query(`INSERT INTO users (label) VALUES ('first user')`);
  for (const statement of TEST_REST) await app.query(statement);
  await app.query(`INSERT INTO ${W3_PARENT} (v) VALUES (1); INSERT INTO ${W3_CHILD} (parent_id, v) SELECT id, v FROM ${W3_PARENT}`);
}

/** Planning and execution time as the server measures them, and the catalogs it read whole. */
async function explain(client: pg.Client, text: string): Promise<string> {
  const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`);
  const [plan] = rows[0]['QUERY PLAN'] as {
    Plan: PlanNode & { 'Shared Hit Blocks': number };
    'Planning Time': number;
    'Execution Time': number;
  }[];
  const scans: string[] = [];
  const walk = (node: PlanNode) => {
    if (node['Node Type'] === 'Seq Scan')
      scans.push(
        `${node['Relation Name']} ×${node['Actual Loops']} (${node['Actual Total Time'].toFixed(2)} ms each, ${node['Rows Removed by Filter'] ?? 0} rows filtered out)`,
      );
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan!.Plan);
  return `planning ${plan!['Planning Time'].toFixed(2)} ms, execution ${plan!['Execution Time'].toFixed(2)} ms, ${plan!.Plan['Shared Hit Blocks']} buffers; seq scans: ${scans.join('; ') || 'none'}`;
}

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Relation Name'?: string;
  readonly 'Actual Loops': number;
  readonly 'Actual Total Time': number;
  readonly 'Rows Removed by Filter'?: number;
  readonly Plans?: PlanNode[];
}

async function measure(where: string, client: pg.Client, texts: { all: string[]; named: string[] }): Promise<void> {
  const catalogAll = texts.all[0]!.replace(/^BEGIN;\s*/, '');
  const catalogNamed = texts.named[0]!.replace(/^BEGIN;\s*/, '');
  const state = texts.all[1]!.split(/;\n/).slice(1).join(';\n');
  const sequences = DIRTIED.map((table) => `${table}_id_seq`);
  const queries: { label: string; text: string }[] = [
    { label: "truncateAll()'s catalog query (today; W6's schema of 20 tables)", text: catalogAll },
    { label: "truncateAll()'s catalog query, led by indexes", text: indexLed(catalogAll) },
    { label: "truncate(w3_parent, w3_child)'s catalog query (today)", text: catalogNamed },
    { label: "truncate(w3_parent, w3_child)'s catalog query, led by indexes", text: indexLed(catalogNamed) },
    { label: "truncateAll()'s catalog query, PREPAREd once on the session (EXECUTE: its plan is kept)", text: 'EXECUTE sqlpin_all' },
    { label: "truncate(w3_parent, w3_child)'s catalog query, PREPAREd once on the session", text: 'EXECUTE sqlpin_named' },
    { label: "truncateAll()'s state query (20 tables, counted up to 1,001 rows; not prepared)", text: state },
    { label: 'SELECT 1 (a round trip, for scale)', text: 'SELECT 1' },
  ];
  // Catalog plans are not invalidated by TRUNCATE or DELETE on user tables, only by DDL on the catalogs themselves.
  await client.query('DEALLOCATE ALL');
  await client.query(`PREPARE sqlpin_all AS ${catalogAll}`);
  await client.query(`PREPARE sqlpin_named AS ${catalogNamed}`);
  console.log(`\n=== ${where} ===`);
  const timings = await compare(
    queries.map(({ label, text }): Candidate => ({ label, run: () => client.query(text) })),
    ROUNDS,
  );
  for (const [i, timing] of timings.entries()) {
    console.log(`  ${formatTiming(timing).padEnd(22)} ${timing.label}`);
    console.log(`  ${''.padEnd(22)}   ${await explain(client, queries[i]!.text)}`);
  }
  const counters: Candidate[] = [
    {
      label: 'setval of 3 sequences, then COMMIT',
      run: () => client.query(`BEGIN; SELECT ${sequences.map((s) => `setval('${s}', 1, false)`).join(', ')}; COMMIT`),
    },
    {
      label: 'ALTER SEQUENCE ... RESTART ×3, then COMMIT',
      run: () => client.query(`BEGIN; ${sequences.map((s) => `ALTER SEQUENCE ${s} RESTART`).join('; ')}; COMMIT`),
    },
    { label: 'BEGIN; COMMIT (for scale)', run: () => client.query('BEGIN; COMMIT') },
  ];
  for (const timing of await compare(counters, ROUNDS)) console.log(`  ${formatTiming(timing).padEnd(22)} ${timing.label}`);
}

const resources = new Resources();
try {
  const scratch: Scratch = resources.add(
    'scratch',
    await createScratch('postgres', scaleLabel('research_catalog'), undefined, { ownDatabase: true }),
    (s) => s.drop(),
    DROP_LIMIT_MILLIS,
  );
  await reapLeftovers(scratch);
  const loader = await postgresDriver.connect(scratch.url, true);
  await loader.query(`${createAppSql('postgres')}\n${createPairsSql('postgres', [{ parent: W3_PARENT, child: W3_CHILD }])}`);
  await loader.close();
  const app = new pg.Client({ connectionString: scratch.url });
  await app.connect();
  resources.add('app', app, (c) => c.end());
  await refill(app);
  const texts = await capture(scratch.url, app);
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  // The index-led text's row estimates multiply past jit_above_cost: seconds of JIT for a query that runs in milliseconds.
  await client.query('SET jit = off');
  resources.add('timed client', client, (c) => c.end());
  await measure('no other tables in the database', client, texts);
  const started = performance.now();
  const where = await createUnrelated(postgresDriver, scratch, resources);
  console.log(`\n(4,000 unrelated tables made in ${((performance.now() - started) / 1000).toFixed(1)} s, ${where})`);
  await measure('with 4,000 unrelated tables in another schema', client, texts);
} finally {
  await resources.closeAll();
}

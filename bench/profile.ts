/**
 * Where a truncate's time goes: every statement sqlpin sends for W5's and W6's
 * resets and W7's truncate, timed one by one on the client (`sqlpin:query`, start to
 * settled), beside the hand-written statements they replace.
 * `npx tsx bench/profile.ts` after `make build`; PROFILE_DIALECTS and PROFILE_CALLS narrow or lengthen it.
 * The full texts go to bench/results/profile-*.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Dialect, Pool } from '../lib/index.js';
import { createScratch } from '../test/helpers/servers.js';
import { createAppSql, DIRTIED, HAND_DELETES, TEST_REST } from './app-tables.js';
import { loadBuilds } from './builds.js';
import type { Driver, RawSession } from './drivers/driver.js';
import { mysqlDriver } from './drivers/mysql.js';
import { postgresDriver } from './drivers/postgres.js';
import { summarize } from './measure.js';
import { Resources } from './resources.js';
import { Recorder, type Step } from './trace-recorder.js';
import { truncateByHand } from './floors.js';
import { createSchemaSql, fillSql, resetByHand } from './reset-tables.js';
import { createPairsSql, referencedPair, reloadParentChildSql, W3_CHILD, W3_PARENT } from './tables.js';
import { createUnrelated, reapLeftovers, scaleLabel } from './unrelated-tables.js';
import { RESET_CASES, SCHEMAS } from './workloads/reset.js';

const DRIVERS: Readonly<Record<Dialect, Driver>> = { mysql: mysqlDriver, postgres: postgresDriver };
const CALLS = Number(process.env.PROFILE_CALLS ?? 15);
const DIALECTS = (process.env.PROFILE_DIALECTS ?? 'mysql,postgres').split(',') as Dialect[];

/** What one scenario measured: each statement's median over the calls, and the whole call's. */
interface Profile {
  readonly scenario: string;
  readonly total: { median: number; min: number; max: number };
  readonly steps: { text: string; median: number; min: number; max: number }[];
}

async function profile(
  scenario: string,
  prepare: () => Promise<unknown>,
  op: () => Promise<{ total: number; steps: Step[] }>,
  calls = CALLS,
) {
  const runs: { total: number; steps: Step[] }[] = [];
  await prepare();
  await op();
  for (let i = 0; i < calls; i++) {
    await prepare();
    runs.push(await op());
  }
  const most = Math.max(...runs.map((run) => run.steps.length));
  const result: Profile = {
    scenario,
    total: summarize(runs.map((run) => run.total)),
    steps: Array.from({ length: most }, (_, i) => {
      const times = runs.flatMap((run) => (run.steps[i] === undefined ? [] : [run.steps[i]!.millis]));
      return { text: runs.find((run) => run.steps[i] !== undefined)!.steps[i]!.text, ...summarize(times) };
    }),
  };
  console.log(format(result));
  return result;
}

/** Times each statement of a hand-written reset on a raw connection: the floor, statement by statement. */
async function timedStatements(raw: RawSession, statements: readonly string[]): Promise<{ total: number; steps: Step[] }> {
  const steps: Step[] = [];
  const started = performance.now();
  for (const text of statements) {
    const t = performance.now();
    await raw.query(text);
    steps.push({ text, millis: performance.now() - t });
  }
  return { total: performance.now() - started, steps };
}

function format({ scenario, total, steps }: Profile): string {
  const lines = [`${scenario}: ${total.median.toFixed(2)} ms per call (min ${total.min.toFixed(2)}, max ${total.max.toFixed(2)})`];
  steps.forEach((step, i) => {
    const text = step.text.replace(/\s+/g, ' ');
    lines.push(
      `  ${String(i + 1).padStart(2)}. ${step.median.toFixed(2).padStart(7)} ms (${step.min.toFixed(2)}–${step.max.toFixed(2)})  ${text.length > 150 ? `${text.slice(0, 147)}...` : text}`,
    );
  });
  return lines.join('\n');
}

async function perTestReset(dialect: Dialect, pool: (url: string) => Pool, resources: Resources): Promise<Profile[]> {
  const driver = DRIVERS[dialect];
  const scratch = resources.add('W6 scratch', await createScratch(dialect, 'bench_profile_w6', undefined, { ownDatabase: true }), (s) =>
    s.drop(),
  );
  const loader = resources.add('W6 loader', await driver.connect(scratch.url, true), (s) => s.close());
  await loader.query(createAppSql(dialect));
  const raw = resources.add('W6 raw', await driver.connect(scratch.url), (s) => s.close());
  const db = resources.add('W6 sqlpin', pool(scratch.url), (p) => p.close());
  const test = async () => {
    if (dialect === 'postgres') await loader.query(`VACUUM ${DIRTIED.join(', ')}`);
    for (const statement of [`INSERT INTO users (label) VALUES ('first user')`, ...TEST_REST]) await raw.query(statement);
  };
  const recorder = new Recorder();
  try {
    return [
      await profile('W6 hand-written DELETEs', test, () => timedStatements(raw, HAND_DELETES)),
      await profile('W6 truncateAll()', test, () => recorder.record(() => db.truncateAll())),
      await profile('W6 truncateAll({ restartIdentity: false })', test, () =>
        recorder.record(() => db.truncateAll({ restartIdentity: false })),
      ),
    ];
  } finally {
    recorder.close();
  }
}

async function scale(dialect: Dialect, pool: (url: string) => Pool, resources: Resources): Promise<Profile[]> {
  const driver = DRIVERS[dialect];
  const scratch = resources.add('W7 scratch', await createScratch(dialect, scaleLabel('profile'), undefined, { ownDatabase: true }), (s) =>
    s.drop(),
  );
  await reapLeftovers(scratch);
  const loader = resources.add('W7 loader', await driver.connect(scratch.url, true), (s) => s.close());
  await loader.query(createPairsSql(dialect, [{ parent: W3_PARENT, child: W3_CHILD }]));
  const raw = resources.add('W7 raw', await driver.connect(scratch.url), (s) => s.close());
  const db = resources.add('W7 sqlpin', pool(scratch.url), (p) => p.close());
  const tables = referencedPair(dialect);
  const reload = () => loader.query(reloadParentChildSql());
  const floor = dialect === 'mysql' ? ['SET FOREIGN_KEY_CHECKS = 0', `TRUNCATE TABLE ${W3_PARENT}`, 'SET FOREIGN_KEY_CHECKS = 1'] : [];
  if (dialect === 'postgres') floor.push(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`);
  const recorder = new Recorder();
  const measure = async (where: string) => [
    await profile(`W7 ${where}: by hand`, reload, () => timedStatements(raw, floor)),
    await profile(`W7 ${where}: truncate(${tables.join(', ')})`, reload, () => recorder.record(() => db.truncate(tables))),
    await profile(`W7 ${where}: truncate(${W3_PARENT}, { cascade: true })`, reload, () =>
      recorder.record(() => db.truncate(W3_PARENT, { cascade: true })),
    ),
  ];
  try {
    const alone = await measure('no other tables');
    await createUnrelated(driver, scratch, resources);
    return [...alone, ...(await measure('4,000 unrelated tables'))];
  } finally {
    recorder.close();
  }
}

/** Calls for W5 (d): reloading 5 × 200k rows before each takes seconds. */
const BIG_CALLS = Math.min(CALLS, 3);

/**
 * W5's four resets: `truncateAll()` round trip by round trip, against the
 * floor (TRUNCATE of every table by hand on one connection) as one step.
 */
async function betweenTests(dialect: Dialect, pool: (url: string) => Pool, resources: Resources): Promise<Profile[]> {
  const driver = DRIVERS[dialect];
  const profiles: Profile[] = [];
  const recorder = new Recorder();
  try {
    for (const resetCase of RESET_CASES) {
      const schema = SCHEMAS[resetCase.schema]!;
      const scratch = resources.add(
        `W5 ${resetCase.schema}`,
        await createScratch(dialect, `bench_profile_w5_${resetCase.schema}`, undefined, { ownDatabase: true }),
        (s) => s.drop(),
      );
      const loader = resources.add('W5 loader', await driver.connect(scratch.url, true), (s) => s.close());
      await loader.query(createSchemaSql(dialect, schema));
      const raw = resources.add('W5 raw', await driver.connect(scratch.url), (s) => s.close());
      const db = resources.add('W5 sqlpin', pool(scratch.url), (p) => p.close());
      const prepare = async () => {
        await resetByHand(dialect, loader, schema);
        await loader.query(fillSql(dialect, schema.tables.slice(0, resetCase.dirty), resetCase.rows));
      };
      const calls = resetCase.rows > 1_000 ? BIG_CALLS : CALLS;
      const byHand = async () => {
        const started = performance.now();
        await truncateByHand(dialect, raw, schema.tables);
        const total = performance.now() - started;
        return { total, steps: [{ text: `TRUNCATE of all ${schema.tables.length} tables by hand`, millis: total }] };
      };
      profiles.push(
        await profile(`W5 ${resetCase.label}: by hand`, prepare, byHand, calls),
        await profile(`W5 ${resetCase.label}: truncateAll()`, prepare, () => recorder.record(() => db.truncateAll()), calls),
      );
    }
    return profiles;
  } finally {
    recorder.close();
  }
}

const builds = await loadBuilds('');
const { sqlpin } = builds.find((build) => build.label === 'dist')!;
const profiles: Record<string, Profile[]> = {};
for (const dialect of DIALECTS) {
  console.log(`=== ${dialect} ===`);
  const resources = new Resources();
  try {
    const pool = (url: string) => sqlpin.createPool({ url, max: 1 });
    profiles[dialect] = [
      ...(await perTestReset(dialect, pool, resources)),
      ...(await scale(dialect, pool, resources)),
      ...(await betweenTests(dialect, pool, resources)),
    ];
  } finally {
    await resources.closeAll();
  }
}
const directory = new URL('./results/', import.meta.url);
await mkdir(directory, { recursive: true });
const file = new URL(`profile-${new Date().toISOString().replaceAll(':', '-')}.json`, directory);
await writeFile(file, `${JSON.stringify(profiles, null, 2)}\n`);
console.log(`full texts: ${fileURLToPath(file)}`);

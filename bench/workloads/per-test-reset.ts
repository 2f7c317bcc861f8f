import type { Build } from '../builds.js';
import type { Pool } from '../../lib/index.js';
import { createScratch } from '../../test/helpers/servers.js';
import { APP_TABLES, createAppSql, DIRTIED, firstUser, HAND_DELETES, lookup, TEST_REST, type AppStatement } from '../app-tables.js';
import { ARM, type StandaloneContext } from '../context.js';
import type { Sample } from '../measure.js';
import { Resources } from '../resources.js';
import { caseResult, measureCase, type CaseResult } from '../results.js';

/** Resets per sample, each timed alone; the sample is their mean, and so are the next-query figures beside it. */
const CALLS_PER_SAMPLE = 5;

/** Arm names of W6, shared with the targets. */
export const W6_ARM = {
  deletes: 'hand-written DELETEs, one connection',
  defaults: (build: Build['label']) => ARM.sqlpin('truncateAll()', build),
  keepingCounters: (build: Build['label']) => ARM.sqlpin('truncateAll({ restartIdentity: false })', build),
} as const;

/** W6's case labels: the reset itself, and the app's next statement on another session after it. */
export const W6_CASE = {
  reset: `20 tables, 3 dirtied with ${DIRTIED.length} rows each`,
  nextSelect: 'next SELECT by primary key, on another session',
  nextInsert: 'next INSERT, on another session',
} as const;

interface Contender {
  readonly name: string;
  readonly reset: () => Promise<unknown>;
}

/**
 * W6: the reset before each test of an app's suite. Twenty tables; a "test"
 * writes 3 rows into users, posts and comments through the app's pool (one
 * session of its own), then the reset runs on another session. Right after
 * it, the app's session sends the next test's first SELECT and first INSERT,
 * each timed: DDL on a table (TRUNCATE, ALTER TABLE, ALTER SEQUENCE) makes
 * every other session drop what it cached of that table.
 * Floor: the three hand-written DELETEs sqlpin replaces.
 */
export async function measurePerTestReset(ctx: StandaloneContext): Promise<CaseResult[]> {
  const { dialect, driver, signal } = ctx;
  const resources = new Resources();
  try {
    const scratch = resources.add('W6 scratch', await createScratch(dialect, 'bench_w6', undefined, { ownDatabase: true }), (s) =>
      s.drop(),
    );
    const loader = resources.add('W6 loader', await driver.connect(scratch.url, true), (s) => s.close());
    await loader.query(createAppSql(dialect));
    const { sqlpin } = ctx.builds.find((build) => build.label === 'dist')!;
    const app = resources.add('W6 app pool', sqlpin.createPool({ url: scratch.url, max: 1 }), (pool) => pool.close());
    const raw = resources.add('W6 raw', await driver.connect(scratch.url), (s) => s.close());

    const contenders: Contender[] = [
      {
        name: W6_ARM.deletes,
        reset: async () => {
          for (const statement of HAND_DELETES) await raw.query(statement);
        },
      },
    ];
    // The tsx sources cost the same as dist/ here (the server's work dominates); a base commit is worth comparing.
    for (const { label, sqlpin: build } of ctx.builds.filter((b) => b.label !== 'src')) {
      const db = resources.add(`W6 sqlpin (${label})`, build.createPool({ url: scratch.url, max: 1 }), (pool) => pool.close());
      contenders.push(
        { name: W6_ARM.defaults(label), reset: () => db.truncateAll() },
        { name: W6_ARM.keepingCounters(label), reset: () => db.truncateAll({ restartIdentity: false }) },
      );
    }

    const test = new AppTest(app, dialect === 'postgres' ? () => loader.query(`VACUUM ${DIRTIED.join(', ')}`) : undefined);
    await test.whole();
    // The first reset of each arm opens its session and warms the JIT; it is not a sample.
    for (const { reset } of contenders) await test.cycle(reset);

    const next = contenders.map(() => ({ select: [] as Sample[], insert: [] as Sample[] }));
    const arms = contenders.map(({ name, reset }, i) => ({
      name,
      sample: async () => {
        const times = { reset: 0, select: 0, insert: 0 };
        for (let call = 0; call < CALLS_PER_SAMPLE; call++) {
          const one = await test.cycle(reset);
          times.reset += one.reset;
          times.select += one.select;
          times.insert += one.insert;
        }
        next[i]!.select.push({ value: times.select / CALLS_PER_SAMPLE });
        next[i]!.insert.push({ value: times.insert / CALLS_PER_SAMPLE });
        return { value: times.reset / CALLS_PER_SAMPLE };
      },
    }));
    const reps = ctx.settings.reps;
    const note = `${APP_TABLES.length} tables; each sample: mean of ${CALLS_PER_SAMPLE} resets, the test's rows written before each, untimed`;
    const resets = await measureCase({ workload: 'W6', label: W6_CASE.reset, unit: 'ms', reps, note }, arms, signal);
    const names = contenders.map(({ name }) => name);
    const after = 'the arm is the reset that ran just before, on another session';
    return [
      resets,
      caseResult(
        { workload: 'W6 next', label: W6_CASE.nextSelect, unit: 'ms', reps, note: after },
        names,
        next.map(({ select }) => select),
      ),
      caseResult(
        { workload: 'W6 next', label: W6_CASE.nextInsert, unit: 'ms', reps, note: after },
        names,
        next.map(({ insert }) => insert),
      ),
    ];
  } finally {
    await resources.closeAll();
  }
}

/** The app's side of W6: one pooled session that writes the test's rows and sends the statements timed after a reset. */
class AppTest {
  readonly #app: Pool;
  readonly #select: AppStatement;
  readonly #insert: AppStatement;
  /** PostgreSQL: vacuum the dirtied tables between tests, as autovacuum would, so DELETE's dead rows do not pile up. */
  readonly #vacuum: (() => Promise<unknown>) | undefined;

  constructor(app: Pool, vacuum: (() => Promise<unknown>) | undefined) {
    this.#app = app;
    this.#select = lookup(app.dialect);
    this.#insert = firstUser(app.dialect);
    this.#vacuum = vacuum;
  }

  /** A whole test, untimed: before the first reset. */
  async whole(): Promise<void> {
    await this.#app.query(this.#insert.text, [...this.#insert.params]);
    await this.#rest();
  }

  /** The test's statements after its first, untimed. */
  async #rest(): Promise<void> {
    await this.#vacuum?.();
    for (const statement of TEST_REST) await this.#app.query(statement);
  }

  /** One reset after a test, the next test's first SELECT and INSERT (each timed), then the rest of that test. */
  async cycle(reset: () => Promise<unknown>): Promise<{ reset: number; select: number; insert: number }> {
    const started = performance.now();
    await reset();
    const wasReset = performance.now();
    await this.#app.query(this.#select.text, [...this.#select.params]);
    const selected = performance.now();
    await this.#app.query(this.#insert.text, [...this.#insert.params]);
    const inserted = performance.now();
    await this.#rest();
    return { reset: wasReset - started, select: selected - wasReset, insert: inserted - selected };
  }
}

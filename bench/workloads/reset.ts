import type { Pool, TruncateStrategy } from '../../lib/index.js';
import { createScratch, type Scratch } from '../../test/helpers/servers.js';
import { ARM, type BenchContext } from '../context.js';
import { truncateByHand } from '../floors.js';
import { meanMillis, type Arm } from '../measure.js';
import { createSchemaSql, deleteByHand, fillSql, pairedSchema, resetByHand, standaloneSchema, type ResetSchema } from '../reset-tables.js';
import { Resources } from '../resources.js';
import { measureCase, type CaseResult } from '../results.js';
import type { RawSession } from '../drivers/driver.js';

/** The four resets of the issue: how many tables, how many of them dirty, rows in each dirty one. */
interface ResetCase {
  readonly label: string;
  readonly schema: string;
  readonly dirty: number;
  readonly rows: number;
  /** Rounds at the default BENCH_REPS of 7: reloading 5 × 200k rows takes seconds, so (d) gets fewer. */
  readonly baseReps: number;
}

export const SCHEMAS: Readonly<Record<string, ResetSchema>> = {
  t10: pairedSchema(10),
  t50: pairedSchema(50),
  t100: pairedSchema(100),
  t200: pairedSchema(200),
  big5: standaloneSchema(5),
  rows10: standaloneSchema(10),
};

export const RESET_CASES: readonly ResetCase[] = [
  { label: '(a) 50 tables, all dirty, 100 rows each', schema: 't50', dirty: 50, rows: 100, baseReps: 7 },
  { label: '(b) 50 tables, 5 dirty', schema: 't50', dirty: 5, rows: 100, baseReps: 7 },
  { label: '(c) 200 tables, 10 dirty', schema: 't200', dirty: 10, rows: 100, baseReps: 5 },
  { label: '(d) 5 tables of 200k rows', schema: 'big5', dirty: 5, rows: 200_000, baseReps: 3 },
];

/** The curve over table count: every table dirty with 100 rows. */
const TABLE_CURVE = ['t10', 't50', 't100', 't200'] as const;

/** The threshold curve: ten tables of this many rows each, emptied by each of sqlpin's two methods. */
export const ROW_CURVE = [1, 10, 100, 300, 1_000, 3_000, 10_000, 30_000] as const;

/** The strategy whose ratios the targets read: truncateAll's default. */
export const BEST_STRATEGY: TruncateStrategy = 'auto';

/** Arm names of W5, shared with the targets. */
export const RESET_ARM = {
  deleteByHand: 'DELETE loop by hand, one connection',
  truncateList: 'sqlpin truncate(list)',
  truncateAll: (strategy: TruncateStrategy) => `sqlpin truncateAll ${strategy}`,
  keepingCounters: `sqlpin truncateAll ${BEST_STRATEGY}, restartIdentity: false`,
} as const;

/**
 * W5: the reset between tests. Each schema is a namespace of its own; before
 * every sample the dirty tables are filled again (untimed), after an arm that
 * leaves counters moved every table is first put back as a fresh database has
 * it. Floor: TRUNCATE by hand. Only the dist build runs: the server's work dominates.
 */
export async function measureReset(ctx: BenchContext): Promise<CaseResult[]> {
  const { dialect, driver, signal } = ctx;
  const { sqlpin } = ctx.builds.find((build) => build.label === 'dist')!;
  const resources = new Resources();
  const progress = (message: string) => console.error(`[${dialect}] W5 ${message}`);
  try {
    const spaces = new Map<string, { scratch: Scratch; loader: RawSession; raw: RawSession; db: Pool }>();
    for (const [key, schema] of Object.entries(SCHEMAS)) {
      const scratch = resources.add(`W5 ${key}`, await createScratch(dialect, `bench_w5_${key}`, undefined, { ownDatabase: true }), (s) =>
        s.drop(),
      );
      const loader = resources.add(`W5 ${key} loader`, await driver.connect(scratch.url, true), (s) => s.close());
      await loader.query(createSchemaSql(dialect, schema));
      const raw = resources.add(`W5 ${key} raw`, await driver.connect(scratch.url), (s) => s.close());
      const db = resources.add(`W5 ${key} sqlpin`, sqlpin.createPool({ url: scratch.url, max: 1 }), (pool) => pool.close());
      spaces.set(key, { scratch, loader, raw, db });
    }

    /** Arms over one schema, `dirty` tables refilled with `rows` rows before each sample. */
    const armsFor = (key: string, dirty: number, rows: number, which: 'all' | 'curve') => {
      const space = spaces.get(key)!;
      const schema = SCHEMAS[key]!;
      let countersMoved = false;
      let purgePending = false;
      const prepare = async () => {
        if (purgePending) await settle(space.db);
        // After a DELETE the table's storage still holds the deleted pages, and the next TRUNCATE has more to drop.
        if (countersMoved || purgePending) await resetByHand(dialect, space.loader, schema);
        countersMoved = false;
        purgePending = false;
        await space.loader.query(fillSql(dialect, schema.tables.slice(0, dirty), rows));
      };
      const leavesCounters = (op: () => Promise<unknown>) => async () => {
        await op();
        countersMoved = true;
      };
      const deletes = (op: () => Promise<unknown>) => async () => {
        await op();
        purgePending = true;
      };
      const contenders: { name: string; op: () => Promise<unknown> }[] = [
        { name: ARM.byHand, op: () => truncateByHand(dialect, space.raw, schema.tables) },
        { name: RESET_ARM.deleteByHand, op: deletes(leavesCounters(() => deleteByHand(dialect, space.raw, schema))) },
      ];
      if (which === 'all') {
        contenders.push({ name: RESET_ARM.truncateList, op: () => space.db.truncate(schema.tables) });
        for (const strategy of ['truncate', 'delete', 'auto'] as const) {
          const op = () => space.db.truncateAll({ strategy });
          contenders.push({ name: RESET_ARM.truncateAll(strategy), op: strategy === 'truncate' ? op : deletes(op) });
        }
        contenders.push({
          name: RESET_ARM.keepingCounters,
          op: deletes(leavesCounters(() => space.db.truncateAll({ restartIdentity: false }))),
        });
      } else {
        contenders.push({ name: RESET_ARM.truncateAll(BEST_STRATEGY), op: () => space.db.truncateAll() });
      }
      return { prepare, contenders };
    };
    const reps = (base: number) => Math.max(3, Math.round((base * ctx.settings.reps) / 7));

    const cases: CaseResult[] = [];
    for (const resetCase of RESET_CASES) {
      const { prepare, contenders } = armsFor(resetCase.schema, resetCase.dirty, resetCase.rows, 'all');
      // The first reset of each arm opens its session and warms the JIT; it is not a sample.
      for (const { op } of contenders) await meanMillis(prepare, op, 1);
      const arms: Arm[] = contenders.map(({ name, op }) => ({ name, sample: () => meanMillis(prepare, op, 1) }));
      const tables = SCHEMAS[resetCase.schema]!.tables.length;
      const note = `${reps(resetCase.baseReps)} rounds; the dirty tables refilled before each reset, untimed`;
      progress(resetCase.label);
      cases.push(
        await measureCase(
          { workload: 'W5', label: resetCase.label, unit: 'ms', reps: reps(resetCase.baseReps), tables, note },
          arms,
          signal,
        ),
      );
    }

    for (const key of TABLE_CURVE) {
      const tables = SCHEMAS[key]!.tables.length;
      const { prepare, contenders } = armsFor(key, tables, 100, 'curve');
      for (const { op } of contenders) await meanMillis(prepare, op, 1);
      const arms: Arm[] = contenders.map(({ name, op }) => ({ name, sample: () => meanMillis(prepare, op, 1) }));
      progress(`curve, ${tables} tables`);
      cases.push(
        await measureCase({ workload: 'W5 tables', label: `${tables} tables, all dirty`, unit: 'ms', reps: reps(5), tables }, arms, signal),
      );
    }

    cases.push(...(await measureRowCurve(dialect, spaces.get('rows10')!, reps(5), signal, progress)));
    return cases;
  } finally {
    await resources.closeAll();
  }
}

/** How long a sample may wait for InnoDB to purge what the previous one deleted. */
const SETTLE_LIMIT_MILLIS = 10_000;

/**
 * After an arm that deleted rows, MySQL waits (untimed) until InnoDB has
 * purged the undo of the DELETEs: a million rows leave seconds of purge
 * behind, and the next arm in the fixed rotation, always the same one, paid
 * for it. The tables are then truncated by hand, so that every arm starts
 * from fresh storage (PostgreSQL's dead rows go with it).
 */
async function settle(db: Pool): Promise<void> {
  if (db.dialect !== 'mysql') return;
  for (const deadline = Date.now() + SETTLE_LIMIT_MILLIS; Date.now() < deadline; ) {
    const { rows } = await db.query<{ n: number }>(
      "SELECT `COUNT` AS n FROM information_schema.INNODB_METRICS WHERE NAME = 'trx_rseg_history_len'",
    );
    // Undo logs left to purge, one per transaction: a DELETE of 200k rows is one, and seconds of purge.
    if (Number(rows[0]?.n ?? 0) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The threshold curve: ten tables of n rows each, emptied by sqlpin with
 * TRUNCATE, with DELETE keeping counters, and with DELETE plus the counter
 * reset; ms per table. 'auto' deletes up to the largest n where DELETE is
 * still no slower than TRUNCATE.
 */
async function measureRowCurve(
  dialect: BenchContext['dialect'],
  space: { loader: RawSession; db: Pool },
  reps: number,
  signal: AbortSignal,
  progress: (message: string) => void,
): Promise<CaseResult[]> {
  const schema = SCHEMAS.rows10!;
  const cases: CaseResult[] = [];
  for (const rows of ROW_CURVE) {
    const prepare = async () => {
      await settle(space.db);
      await resetByHand(dialect, space.loader, schema);
      await space.loader.query(fillSql(dialect, schema.tables, rows));
    };
    const contenders = [
      { name: 'TRUNCATE', op: () => space.db.truncate(schema.tables, { strategy: 'truncate' }) },
      { name: 'DELETE, counter kept', op: () => space.db.truncate(schema.tables, { strategy: 'delete', restartIdentity: false }) },
      { name: 'DELETE + counter reset', op: () => space.db.truncate(schema.tables, { strategy: 'delete' }) },
    ];
    if (rows === ROW_CURVE[0]) for (const { op } of contenders) await meanMillis(prepare, op, 1);
    const arms: Arm[] = contenders.map(({ name, op }) => ({ name, sample: () => meanMillis(prepare, op, 1) }));
    progress(`threshold curve, ${rows} rows`);
    cases.push(
      await measureCase({ workload: 'W5 rows', label: `${rows} rows`, unit: 'ms', reps, tables: schema.tables.length }, arms, signal),
    );
  }
  return cases;
}

import type { Pool } from '../../lib/index.js';
import { outcomeLabel, settle } from '../helpers/outcomes.js';
import { pairCounts, seedPair } from '../helpers/pair-tables.js';
import { sleep, within } from '../helpers/pools.js';
import { describeReason } from '../helpers/process-watch.js';
import { busySessions, endSessions, listedSessions, poolSessions } from '../helpers/server-view.js';
import { prepareFault, strikeFault } from './faults.js';
import { describeRun, judgeIdleSessions, judgeLedger, judgeOutcome, judgeTables, type Category, type Violation } from './invariants.js';
import { OpRun, runOp } from './operations.js';
import type { Scenario } from './scenario.js';
import { resetLedger, scenarioPool, type World } from './world.js';

/** Longest a step's operations may take: far past every fault's own bound. */
const STEP_LIMIT_MILLIS = 30_000;
/** Longest a statement may run on the server after its operation ended (a cancelled one finishing, a killed one going). */
const QUIET_LIMIT_MILLIS = 5_000;

/** What a scenario did, step by step, and what it broke. */
export interface ScenarioResult {
  readonly violations: readonly Violation[];
  readonly log: readonly string[];
}

/**
 * Runs one scenario on a pool of its own, checking every invariant after
 * every step, and stops at the first step that breaks one (not set aside by `ignore`).
 */
export async function runScenario(world: World, scenario: Scenario, ignore: readonly Category[]): Promise<ScenarioResult> {
  world.counters.scenarios += 1;
  world.opened.clear();
  await resetLedger(world);
  const log: string[] = [`pool max ${scenario.max}, queryTimeoutMillis ${scenario.queryTimeoutMillis}`];
  const db = scenarioPool(world, scenario);
  let index = 0;
  try {
    for (const [n, step] of scenario.steps.entries()) {
      const runs = step.ops.map((op) => new OpRun(++index, op));
      const violations = (await runStep(world, db, scenario, runs)).filter((v) => !ignore.includes(v.category));
      log.push(
        `step ${n + 1}:`,
        ...runs.map((run) => `  ${describeRun(run)} → ${outcomeLabel(run.outcome ?? { ok: false, error: 'never settled' })}`),
      );
      if (violations.length > 0) return { violations, log };
    }
    const last = await settle(db.query('SELECT 1 AS one'));
    const violations: Violation[] = last.ok
      ? []
      : [{ category: 'recovery', message: `a plain query at the end failed: ${describeReason(last.error)}` }];
    violations.push(...(await closeAll(world, db)));
    return { violations: violations.filter((v) => !ignore.includes(v.category)), log };
  } finally {
    await isolate(world, db);
  }
}

/**
 * Leaves nothing of a scenario to the next: the link back, the row let go,
 * the pool closed, and any session it opened that the server still lists
 * ended. A pool whose session never came back cannot close; the scenario has
 * failed already, and the next one goes on.
 */
async function isolate(world: World, db: Pool): Promise<void> {
  world.proxy.restore();
  await world.holder.release();
  await within(db.close(), QUIET_LIMIT_MILLIS, undefined);
  const ids = [...world.opened];
  await endSessions(
    world.scratch,
    (await listedSessions(world.scratch)).filter((id) => ids.includes(id)),
  );
}

/** close() ends, and the server no longer lists any session the pool opened: nothing of this scenario lingers into the next. */
async function closeAll(world: World, db: Pool): Promise<Violation[]> {
  if (
    !(await within(
      db.close().then(() => true),
      QUIET_LIMIT_MILLIS,
      false,
    ))
  ) {
    return [{ category: 'hang', message: `close() did not finish within ${QUIET_LIMIT_MILLIS} ms` }];
  }
  const ids = [...world.opened];
  for (const deadline = Date.now() + QUIET_LIMIT_MILLIS; Date.now() < deadline; await sleep(10)) {
    if ((await listedSessions(world.scratch)).every((id) => !ids.includes(id))) return [];
  }
  const left = (await poolSessions(world.scratch)).filter((session) => ids.includes(session.id));
  if (left.length === 0) return [];
  // Ended here, so that they cannot disturb the next scenario.
  await endSessions(
    world.scratch,
    left.map((session) => session.id),
  );
  return [{ category: 'hang', message: `the server still lists sessions of the closed pool: ${JSON.stringify(left)}` }];
}

async function runStep(world: World, db: Pool, scenario: Scenario, runs: OpRun[]): Promise<Violation[]> {
  world.counters.steps += 1;
  world.counters.operations += runs.length;
  const emptying = runs.find((run) => run.op.kind === 'truncate' || run.op.kind === 'truncateAll');
  if (emptying !== undefined) await seedPair(world.scratch);
  const before = emptying === undefined ? undefined : await pairCounts(world.scratch);
  for (const run of runs) await prepareFault(world, run);

  const running = runs.map((run) => runOp(db, run));
  const faults = runs.map((run, i) => strikeFault(world, run, running[i]!));
  const settled = await within(
    Promise.all(running).then(() => true),
    STEP_LIMIT_MILLIS,
    false,
  );
  await Promise.all(faults);
  world.proxy.restore();
  if (!settled) {
    const hung = runs.filter((run) => run.outcome === undefined).map(describeRun);
    return [{ category: 'hang', message: `operations still running after ${STEP_LIMIT_MILLIS} ms: ${hung.join(' | ')}` }];
  }

  const violations = [...runs.flatMap(judgeOutcome), ...(await judgeLedger(world, runs))];
  if (emptying !== undefined && before !== undefined)
    violations.push(...judgeTables(emptying, before, await pairCounts(world.scratch), 'right after'));
  // Whatever the server still runs for this step ends now that no lock is held: then "a little later" is looked at.
  if (!(await quiet(world))) {
    const sessions = await poolSessions(world.scratch);
    violations.push({
      category: 'hang',
      message: `statements still running ${QUIET_LIMIT_MILLIS} ms after the step ended; every session (the holder is ${world.holder.id}): ${JSON.stringify(sessions)}`,
    });
  }
  if (emptying !== undefined && before !== undefined)
    violations.push(...judgeTables(emptying, before, await pairCounts(world.scratch), 'later'));
  violations.push(...(await judgeIdleSessions(world, db, scenario.max)));
  violations.push(
    ...world.watch.take().map((reason): Violation => ({ category: 'process', message: `unhandled rejection: ${describeReason(reason)}` })),
  );
  return violations;
}

/** Waits until no session of the pool runs a statement; false if one still does after QUIET_LIMIT_MILLIS. */
async function quiet(world: World): Promise<boolean> {
  for (const deadline = Date.now() + QUIET_LIMIT_MILLIS; Date.now() < deadline; await sleep(10)) {
    if ((await busySessions(world.scratch, [world.holder.id])).length === 0) return true;
  }
  return false;
}

import fc from 'fast-check';
import t from 'tap';
import type { Dialect } from '../../lib/index.js';
import { allowFileMillis } from '../helpers/file-timeout.js';
import { runScenario, type ScenarioResult } from './runner.js';
import { scenarios, type Scenario } from './scenario.js';
import { chaosSettings, describeSettings, faultsOf, type ChaosSettings, type Family } from './settings.js';
import { openWorld, type World } from './world.js';

/**
 * The chaos suite on one dialect: for each fault family, fast-check draws
 * scenarios (a small pool, steps of concurrent operations, faults aimed at
 * some of them), runs each on a real server, and checks every invariant after
 * every step. A failure is shrunk to a smaller scenario and printed with the
 * seed and path that replay it.
 */
export function chaosSuite(dialect: Dialect): void {
  const settings = chaosSettings();
  // Each family runs until its budget at most, then the totals; the file is given that long, and a margin.
  allowFileMillis(settings.families.length * settings.budgetMillis + 120_000);
  t.test(`${dialect}: chaos`, async (t) => {
    t.comment(`settings (set them to run this again): ${describeSettings(settings)}`);
    const world = await openWorld(t, dialect);
    for (const family of settings.families) {
      t.test(`faults: ${family}`, async (t) => {
        const before = world.counters.operations;
        const { details, failure, skipped } = await check(world, family, settings);
        const unrun = skipped > 0 ? `, ${skipped} runs passed unrun past CHAOS_BUDGET_MS` : '';
        t.comment(`${details.numRuns} scenarios, ${details.numShrinks} shrinks${unrun}`);
        if (details.failed)
          t.fail(`${family}: ${failure?.violations[0]?.message ?? String(details.errorInstance)}`, report(details, failure));
        else
          t.ok(world.counters.operations > before, `${family}: every invariant held over ${world.counters.operations - before} operations`);
      });
    }
    t.test('totals', async (t) => {
      const { counters } = world;
      t.comment(
        `${counters.scenarios} scenarios, ${counters.steps} steps, ${counters.operations} operations; ` +
          `faults struck ${JSON.stringify(counters.faults)}, ${counters.missed} found nothing to strike; ` +
          `${counters.reported} handled faults reported to onError`,
      );
      t.ok(counters.operations > 0, 'operations ran');
    });
  });
}

/**
 * Runs fast-check over one family's scenarios; keeps the result of the last
 * failing run (the shrunk one). Past the budget every run passes at once
 * without touching the server: fast-check's own time limit races the running
 * scenario and leaves it going, which would overlap the next one.
 */
async function check(
  world: World,
  family: Family,
  settings: ChaosSettings,
): Promise<{ details: fc.RunDetails<[Scenario]>; failure: ScenarioResult | undefined; skipped: number }> {
  let failure: ScenarioResult | undefined;
  let skipped = 0;
  const deadline = Date.now() + settings.budgetMillis;
  const property = fc.asyncProperty(scenarios(faultsOf(family), settings.steps), async (scenario) => {
    if (Date.now() > deadline) {
      skipped += 1;
      return;
    }
    const result = await runScenario(world, scenario, settings.ignore);
    if (result.violations.length > 0) {
      failure = result;
      throw new Error(result.violations.map((v) => `[${v.category}] ${v.message}`).join('\n'));
    }
  });
  const details = await fc.check(property, {
    seed: settings.seed,
    numRuns: settings.runs,
    endOnFailure: !settings.shrink,
    ...(settings.path === undefined ? {} : { path: settings.path }),
  });
  return { details, failure, skipped };
}

/** The tap diagnostic of a failure: what broke, the shrunk scenario, its log, and how to replay it. */
function report(details: fc.RunDetails<[Scenario]>, failure: ScenarioResult | undefined): Record<string, unknown> {
  return {
    violations: failure?.violations.map((v) => `[${v.category}] ${v.message}`),
    replay: `CHAOS_SEED=${details.seed} CHAOS_PATH=${details.counterexamplePath ?? ''}`,
    counterexample: details.counterexample === null ? null : fc.stringify(details.counterexample[0]),
    log: failure?.log,
  };
}

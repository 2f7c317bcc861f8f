import fc from 'fast-check';
import t from 'tap';
import type { Dialect } from '../../lib/index.js';
import { allowFileMillis } from '../helpers/file-timeout.js';
import type { FuzzDialect } from './adapter.js';
import { caseArb, type Family } from './families.js';
import type { Case } from './model.js';
import { openMysql } from './mysql.js';
import { openPostgres } from './postgres.js';
import { type CaseResult, runCase } from './runner.js';
import { describeSettings, type FuzzSettings, fuzzSettings } from './settings.js';

/** Time a failure may spend shrinking past its family's share. */
const SHRINK_MILLIS = 90_000;

/**
 * The differential fuzzer on one dialect: for each family, fast-check draws
 * cases (a schema with data, a call, options) until the family's share of
 * SQLPIN_FUZZ_SECONDS is spent; each case runs the raw statements on one copy
 * and sqlpin with every strategy on copies of their own, and compares them.
 */
export function fuzzSuite(dialect: Dialect): void {
  const settings = fuzzSettings(dialect);
  const share = settings.families.length === 0 ? 0 : (settings.seconds * 1000) / settings.families.length;
  allowFileMillis(settings.seconds * 1000 + settings.families.length * SHRINK_MILLIS + 60_000);
  t.test(`${dialect}: differential fuzz`, async (t) => {
    t.comment(`settings (set them to run this again): ${describeSettings(settings)}`);
    const fuzz = dialect === 'mysql' ? await openMysql() : await openPostgres();
    t.teardown(() => fuzz.close());
    for (const family of settings.families) {
      t.test(`family ${family.name}: ${family.about}`, async (t) => {
        const started = Date.now();
        const { details, failure, cases, tally } = await check(fuzz, family, settings, share);
        const perMinute = Math.round((cases * 60_000) / Math.max(1, Date.now() - started));
        t.comment(`${cases} cases (${cases * 3} sqlpin calls), ${details.numShrinks} shrinks, ${perMinute} cases/min`);
        // How the cases ended, so that a family that only ever reaches errors shows it.
        for (const [outcome, count] of [...tally].sort((a, b) => b[1] - a[1])) t.comment(`  ${count} × ${outcome}`);
        if (details.failed)
          t.fail(`${family.name}: ${failure?.problems[0] ?? String(details.errorInstance)}`, report(fuzz, family, details, failure));
        else t.ok(cases > 0, `${family.name}: ${cases} cases, sqlpin left what the raw statements left in every one`);
      });
    }
  });
}

/** fast-check over one family until its share of the time is spent; the last failing result is the shrunk one. */
async function check(
  fuzz: FuzzDialect,
  family: Family,
  settings: FuzzSettings,
  shareMillis: number,
): Promise<{ details: fc.RunDetails<[Case]>; failure: CaseResult | undefined; cases: number; tally: Map<string, number> }> {
  let failure: CaseResult | undefined;
  let cases = 0;
  const tally = new Map<string, number>();
  let deadline = Date.now() + shareMillis;
  const property = fc.asyncProperty(caseArb(fuzz.dialect, family), async (testCase) => {
    // Past the deadline the run stops here, between cases: fast-check's own time limit races a running case.
    if (Date.now() > deadline) throw new fc.PreconditionFailure(true);
    cases += 1;
    const result = await runCase(fuzz, testCase);
    const outcome = Object.entries(result.outcomes)
      .map(([who, how]) => `${who} ${how}`)
      .join(', ');
    tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
    if (result.problems.length > 0) {
      if (failure === undefined) deadline = Math.max(deadline, Date.now() + SHRINK_MILLIS);
      failure = result;
      throw new Error(result.problems.join('\n'));
    }
  });
  const details = await fc.check(property, {
    seed: settings.seed,
    numRuns: settings.path === undefined ? 100_000 : 1,
    endOnFailure: !settings.shrink,
    ...(settings.path === undefined ? {} : { path: settings.path }),
  });
  return { details, failure, cases, tally };
}

/** A failure for the log: what differed, the shrunk schema as the statements that build it, the call, and the replay line. */
function report(
  fuzz: FuzzDialect,
  family: Family,
  details: fc.RunDetails<[Case]>,
  failure: CaseResult | undefined,
): Record<string, unknown> {
  const testCase = details.counterexample?.[0];
  return {
    problems: failure?.problems,
    outcomes: failure?.outcomes,
    raw: failure?.rawError ?? 'succeeded',
    call:
      testCase === undefined
        ? undefined
        : JSON.stringify({ call: testCase.call, options: testCase.options, session: testCase.schema.session }),
    schema: testCase === undefined ? undefined : fuzz.ddl('ns', testCase.schema, testCase.schema.grants === undefined ? undefined : 'role'),
    replay: `SQLPIN_FUZZ_SEED=${details.seed} SQLPIN_FUZZ_FAMILY=${family.name} SQLPIN_FUZZ_PATH=${details.counterexamplePath ?? ''}`,
  };
}

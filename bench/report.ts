import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Build } from './builds.js';
import type { CaseResult, DialectReport } from './results.js';
import type { Settings } from './settings.js';

/** Everything one run produced, as written to bench/results/. */
export interface RunReport {
  readonly startedAt: string;
  finishedAt?: string;
  readonly machine: {
    readonly node: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly loadAverageAtStart: readonly number[];
    loadAverageAtEnd?: readonly number[];
  };
  readonly settings: Omit<Settings, 'workloads'> & { readonly workloads: readonly string[] };
  readonly builds: readonly Pick<Build, 'label' | 'namingWrappers' | 'commit'>[];
  readonly dialects: DialectReport[];
}

const TITLES: Readonly<Record<string, string>> = {
  W1: 'SELECT 1 through a pool of 8',
  W2: 'pinned session: borrow, 3 statements, give back; pools of 8',
  W3: 'truncate of one referenced table, 1,000 parent + 1,000 child rows',
  W4: 'cleanup of tables in parent/child pairs',
  W5: 'reset between tests: ms per reset',
  'W5 tables': 'reset between tests, the curve over table count (every table dirty, 100 rows)',
  W6: 'the reset before each test: 20 app tables, a test wrote 3 rows into 3 of them; ms per reset',
  'W6 next':
    "the app's next statement after each W6 reset, on another session of its pool; ms (DDL makes other sessions drop what they cached of a table)",
  W7: 'W3 on a server without other tables, then with 2,000 unrelated parent/child pairs in another database (MySQL) or schema (PostgreSQL)',
  'W5 rows':
    "reset between tests, the threshold curve: sqlpin emptying 10 tables of n rows each by TRUNCATE or DELETE; ms/table is what 'auto' weighs",
};

/** The report of one dialect as text: cases, dist against src, round trips, targets. */
export function formatDialect(report: DialectReport, settings: Settings): string {
  const lines = [`=== ${report.dialect} (${report.server}) ===`];
  for (const workload of ['W1', 'W2', 'W3', 'W4', 'W5', 'W5 tables', 'W5 rows', 'W6', 'W6 next', 'W7']) {
    const cases = report.cases.filter((c) => c.workload === workload);
    if (cases.length > 0) lines.push('', ...formatWorkload(workload, cases, settings));
  }
  const crossovers = formatCrossovers(report.cases);
  if (crossovers.length > 0) lines.push('', ...crossovers);
  for (const comparison of [
    formatBuildComparison(report.cases, 'src', 'dist/ (tsc output, as users run it) against the TypeScript sources through tsx, same run'),
    formatBuildComparison(report.cases, 'base', `dist/ against the BENCH_BASE commit's dist/, same run`),
  ]) {
    if (comparison.length > 0) lines.push('', ...comparison);
  }
  if (report.roundTrips.length > 0) lines.push('', ...formatRoundTrips(report));
  if (report.targets.some((target) => target.measured !== undefined)) lines.push('', ...formatTargets(report.targets));
  if (report.error !== undefined) lines.push('', `STOPPED EARLY: ${report.error}`);
  return lines.join('\n');
}

/** Writes the run as JSON under bench/results/ and returns the file's path. */
export async function writeReport(report: RunReport): Promise<string> {
  const directory = new URL('./results/', import.meta.url);
  await mkdir(directory, { recursive: true });
  const file = new URL(`bench-${report.startedAt.replaceAll(':', '-')}.json`, directory);
  await writeFile(file, JSON.stringify(report, null, 2) + '\n');
  return fileURLToPath(file);
}

function formatWorkload(workload: string, cases: readonly CaseResult[], settings: Settings): string[] {
  const unit = cases[0]!.unit;
  const reps = new Set(cases.map((c) => c.reps));
  const rounds =
    reps.size === 1 ? `median of ${cases[0]!.reps} interleaved rounds` : 'median of interleaved rounds (how many: under each case)';
  const how = unit === 'ops/s' ? `${rounds} of ${settings.windowMillis} ms` : rounds;
  const perTable = cases.some((c) => c.tables !== undefined);
  const cpu = unit === 'ops/s';
  const header = [
    'case',
    'arm',
    `median ${unit}`,
    'min',
    'max',
    '× floor',
    ...(cpu ? ['CPU µs/op'] : []),
    ...(perTable ? ['ms/table'] : []),
  ];
  const rows: Row[] = [];
  for (const c of cases) {
    c.arms.forEach((arm, i) => {
      rows.push([
        i === 0 ? c.label : '',
        i === 0 ? `${arm.name} [floor]` : arm.name,
        number(arm.median, unit),
        number(arm.min, unit),
        number(arm.max, unit),
        arm.ratio.toFixed(2),
        ...(cpu ? [arm.cpuMicrosPerOp === undefined ? '' : arm.cpuMicrosPerOp.toFixed(1)] : []),
        ...(perTable ? [c.tables === undefined ? '' : (arm.median / c.tables).toFixed(3)] : []),
      ]);
    });
    if (c.note !== undefined) rows.push({ note: `(${c.note})` });
  }
  const legend = [
    `${workload}  ${TITLES[workload]}: ${how}; × floor is median / floor's median (${unit === 'ops/s' ? 'higher' : 'lower'} is better)`,
    ...(cpu
      ? ["    CPU µs/op: the whole process's CPU time per operation, median: the client-side cost, whatever the server's latency"]
      : []),
  ];
  return [...legend, ...table(header, rows)];
}

/**
 * The dist arm of every case beside another build's: the sources through tsx
 * (what its per-definition wrappers cost), or the base commit (what a change cost).
 */
function formatBuildComparison(cases: readonly CaseResult[], other: 'src' | 'base', title: string): string[] {
  const rows: Row[] = [];
  for (const c of cases) {
    for (const arm of c.arms) {
      if (!arm.name.endsWith('(dist)')) continue;
      const match = c.arms.find((candidate) => candidate.name === arm.name.replace(/\(dist\)$/, `(${other})`));
      if (match === undefined) continue;
      const speed = c.unit === 'ops/s' ? match.median / arm.median : arm.median / match.median;
      const cpu = (value: number | undefined) => (value === undefined ? '' : value.toFixed(1));
      rows.push([
        `${c.workload} ${c.label}`,
        arm.name.replace(/ \(dist\)$/, ''),
        number(arm.median, c.unit),
        number(match.median, c.unit),
        speed.toFixed(3),
        cpu(arm.cpuMicrosPerOp),
        cpu(match.cpuMicrosPerOp),
      ]);
    }
  }
  if (rows.length === 0) return [];
  return [title, ...table(['case', 'operation', 'dist', other, `${other} speed / dist`, 'dist CPU µs/op', `${other} CPU µs/op`], rows)];
}

/**
 * Where DELETE stops being faster than TRUNCATE on the threshold curve: the
 * largest row count up to which every measured point has DELETE no slower.
 */
export function crossover(cases: readonly CaseResult[], deleteArm: string): number | undefined {
  const points = cases
    .filter((c) => c.workload === 'W5 rows')
    .map((c) => ({
      rows: Number.parseInt(c.label, 10),
      truncate: c.arms.find((a) => a.name === 'TRUNCATE')?.median,
      del: c.arms.find((a) => a.name === deleteArm)?.median,
    }))
    .sort((a, b) => a.rows - b.rows);
  if (points.length === 0) return undefined;
  let last = 0;
  for (const point of points) {
    if (point.truncate === undefined || point.del === undefined || point.del > point.truncate) break;
    last = point.rows;
  }
  return last;
}

function formatCrossovers(cases: readonly CaseResult[]): string[] {
  const kept = crossover(cases, 'DELETE, counter kept');
  const reset = crossover(cases, 'DELETE + counter reset');
  if (kept === undefined || reset === undefined) return [];
  return [
    'W5 threshold: DELETE no slower than TRUNCATE up to (rows per table, measured points; 0: never at the points measured)',
    `    counter kept: ${kept}    counter reset after the DELETE: ${reset}`,
  ];
}

function formatRoundTrips(report: DialectReport): string[] {
  const mysql = report.dialect === 'mysql';
  const rows = report.roundTrips.map((count) => [
    count.operation,
    count.floor === undefined ? '' : whole(count.floor.roundTrips),
    whole(count.sqlpin.roundTrips),
    ...(mysql ? [count.questions === undefined ? '' : whole(count.questions)] : []),
    Object.entries(count.sqlpin.messages)
      .map(([type, n]) => `${type}×${whole(n)}`)
      .join(' '),
  ]);
  return [
    'Round trips per call, counted on the wire by a proxy that reads the protocol' +
      (mysql
        ? "; Questions: the server's own per-session statement count for the same sqlpin calls"
        : ' (a round trip: a Query, or the Sync closing an extended-protocol batch)'),
    ...table(['operation', 'floor', 'sqlpin', ...(mysql ? ['Questions'] : []), 'sqlpin messages'], rows),
  ];
}

function formatTargets(targets: DialectReport['targets']): string[] {
  const measured = targets.filter((target) => target.measured !== undefined);
  const rows = measured.map((target) => [target.target, target.goal, target.measured!.toFixed(2), target.met ? 'met' : 'MISSED']);
  const skipped = targets.length - measured.length;
  return [
    `Targets (ratios of medians in this run; CPU: difference of medians in µs per call; dist build)${skipped > 0 ? `; ${skipped} not measured in this run` : ''}`,
    ...table(['target', 'goal', 'measured', 'result'], rows),
  ];
}

function number(value: number, unit: CaseResult['unit']): string {
  return unit === 'ops/s' ? Math.round(value).toLocaleString('en-US') : value.toFixed(value < 10 ? 2 : 1);
}

/** A count that should be whole; shown with decimals when it is not, which means calls differed. */
function whole(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** A table row: cells, or a note printed under the row before it, indented to the second column. */
type Row = readonly string[] | { readonly note: string };

/** Left-aligned text columns, right-aligned numbers. */
function table(header: readonly string[], rows: readonly Row[]): string[] {
  const cells = rows.filter((row): row is readonly string[] => Array.isArray(row));
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const numeric = header.map((_, i) => cells.every((row) => (row[i] ?? '') === '' || /^[\d.,]+$/.test(row[i]!)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const indent = ' '.repeat(widths[0]! + 4);
  return [
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map((row) => ('note' in row ? indent + row.note : line(row))),
  ];
}

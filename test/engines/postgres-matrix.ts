/**
 * `make test-postgres-matrix`: the PostgreSQL suite (test/postgres/*.test.ts)
 * against each major in VERSIONS (default 13 15 16 17 18). 15 is the
 * machine's main server (PG_URL or the default); every other major runs on a
 * throwaway server that is stopped and removed afterwards, also when the
 * suite fails or the run is interrupted. Each version's full tap output goes
 * to /tmp/sqlpin-matrix/pg<major>.log; a table sums the run up.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { secondsSince } from './host.js';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';
import { queryOnce } from './postgres.js';

const MAIN_MAJOR = 15;
const LOG_DIR = '/tmp/sqlpin-matrix';
const SUITE = 'test/postgres/*.test.ts';

interface Row {
  readonly major: number;
  readonly server: string;
  version?: string;
  startSeconds?: number;
  suiteSeconds?: number;
  pass?: number;
  fail?: number;
  problem?: string;
}

const versions = (process.env.VERSIONS ?? '13 15 16 17 18')
  .split(/[\s,]+/)
  .filter(Boolean)
  .map(Number);

await mkdir(LOG_DIR, { recursive: true });
const rows: Row[] = [];
for (const major of versions) rows.push(await runOn(major));
console.log(`\n${table(rows)}`);
// Summed in tap's own closing form, so .ci/run counts these tests like any tap run's.
const passed = rows.reduce((sum, row) => sum + (row.pass ?? 0), 0);
const failed = rows.reduce((sum, row) => sum + (row.fail ?? 0) + (row.problem === undefined ? 0 : 1), 0);
console.log(`# { total: ${passed + failed}, pass: ${passed}, fail: ${failed} }`);
process.exitCode = rows.every((row) => row.problem === undefined && row.fail === 0) ? 0 : 1;

/** One version: the suite on its server, which is stopped and removed however the suite ends (an interrupt too: see engine.ts). */
async function runOn(major: number): Promise<Row> {
  let current: PostgresCluster | undefined;
  const row: Row = { major, server: major === MAIN_MAJOR ? 'main server' : 'throwaway' };
  console.log(`\n== PostgreSQL ${major} (${row.server})`);
  try {
    let url = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    if (major !== MAIN_MAJOR) {
      const started = Date.now();
      current = await startPostgresCluster(major);
      row.startSeconds = secondsSince(started);
      url = current.urls.url;
      console.log(`started at ${url} in ${row.startSeconds} s (install included when not cached)`);
    }
    row.version = (await queryOnce<{ server_version: string }>(url, 'SHOW server_version'))[0]!.server_version;
    const started = Date.now();
    const summary = await runSuite(url, `${LOG_DIR}/pg${major}.log`);
    row.suiteSeconds = secondsSince(started);
    Object.assign(row, summary);
  } catch (error) {
    row.problem = (error as Error).message;
    console.error(`matrix: PostgreSQL ${major}: ${row.problem}`);
  } finally {
    await current?.stop().catch((error: Error) => {
      row.problem = `${row.problem ?? ''} could not stop the server: ${error.message}`.trim();
    });
  }
  return row;
}

/** Runs the suite with PG_URL set; echoes failing lines, keeps everything in `logFile`; reads tap's closing summary. */
async function runSuite(url: string, logFile: string): Promise<{ pass: number; fail: number }> {
  const log = createWriteStream(logFile);
  const child = spawn('npx', ['tap', SUITE], { env: { ...process.env, PG_URL: url }, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  let output = '';
  const collect = (chunk: Buffer) => {
    log.write(chunk);
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise((resolve) => log.end(resolve));
  for (const line of output.split('\n')) if (/^\s*not ok /.test(line)) console.log(line);
  const summary = [...output.matchAll(/# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?/g)].pop();
  if (summary === undefined) throw new Error(`tap exited with ${code} and no summary; see ${logFile}`);
  const result = { pass: Number(summary[2]), fail: Number(summary[3] ?? 0) };
  console.log(`${result.pass} passed, ${result.fail} failed; log: ${logFile}`);
  return result;
}

function table(results: readonly Row[]): string {
  const lines = ['| PostgreSQL | server | version | start (s) | suite (s) | pass | fail |', '|---|---|---|---|---|---|---|'];
  for (const r of results) {
    const cells = [
      r.major,
      r.server,
      r.version ?? '-',
      r.startSeconds ?? '-',
      r.suiteSeconds ?? '-',
      r.pass ?? '-',
      r.problem === undefined ? (r.fail ?? '-') : `error: ${r.problem.split('\n')[0]}`,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * Throwaway engines for people:
 *
 *   npx tsx test/engines/cli.ts up          # PgBouncer, Galera, both replica pairs; prints URLs
 *   npx tsx test/engines/cli.ts down        # stops them by pid, removes their dirs
 *   npx tsx test/engines/cli.ts pg 18       # one PostgreSQL of that major, until Ctrl-C
 *
 * `up` leaves the engines running and writes their pids and dirs to
 * /tmp/sqlpin-engines/state.json, which `down` reads.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { stopEngine, type Engine, type EngineState } from './engine.js';
import { startGalera } from './galera.js';
import { startTimeOf } from './host.js';
import { startMariadbReplica } from './mariadb-replica.js';
import { startPgBouncer } from './pgbouncer.js';
import { startPostgresCluster } from './postgres-cluster.js';
import { startPostgresReplica } from './postgres-replica.js';

const STATE_DIR = '/tmp/sqlpin-engines';
const STATE_FILE = `${STATE_DIR}/state.json`;

async function up(): Promise<void> {
  if (existsSync(STATE_FILE)) {
    const states = await readState();
    if (states.some((state) => state.processes.some(({ pid, startTime }) => startTimeOf(pid) === startTime))) {
      throw new Error(`engines from ${STATE_FILE} are still running: run make engines-down first`);
    }
  }
  const options = { stopOnExit: false };
  // Started together: each is bound in time on its own, and the slowest (Galera) sets the pace.
  const outcomes = await Promise.allSettled([
    startPgBouncer(options),
    startGalera(options),
    startMariadbReplica(options),
    startPostgresReplica(options),
  ]);
  const started = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as Error] : []));
  if (failures.length > 0) {
    await Promise.allSettled(started.map((engine) => engine.stop()));
    throw new AggregateError(failures, failures.map((failure) => failure.message).join('\n'));
  }
  await mkdir(STATE_DIR, { recursive: true });
  await writeFile(STATE_FILE, JSON.stringify(started.map(toState), null, 2));
  for (const engine of started) print(engine);
  console.log(`\nstate: ${STATE_FILE}; stop with: make engines-down`);
}

async function down(): Promise<void> {
  if (!existsSync(STATE_FILE)) {
    console.log(`no ${STATE_FILE}: nothing to stop`);
    return;
  }
  const states = await readState();
  const outcomes = await Promise.allSettled(states.map((state) => stopEngine(state)));
  for (const [i, outcome] of outcomes.entries()) {
    console.log(
      `${states[i]!.name}: ${outcome.status === 'fulfilled' ? 'stopped, dir removed' : `NOT stopped: ${(outcome.reason as Error).message}`}`,
    );
  }
  if (outcomes.some((outcome) => outcome.status === 'rejected')) throw new Error(`some engines did not stop; ${STATE_FILE} kept`);
  await rm(STATE_DIR, { recursive: true, force: true });
}

/** One server of `major` in the foreground, until Ctrl-C or SIGTERM: the engine's own signal hook stops and removes it. */
async function postgres(major: number): Promise<void> {
  print(await startPostgresCluster(major));
  console.log('Ctrl-C stops it and removes its dir');
  // The server is detached, so nothing else keeps this process waiting for the signal.
  setInterval(() => undefined, 60_000);
}

function toState({ name, dir, processes, urls, startupSeconds }: Engine): EngineState {
  return { name, dir, processes, urls, startupSeconds };
}

async function readState(): Promise<EngineState[]> {
  return JSON.parse(await readFile(STATE_FILE, 'utf8')) as EngineState[];
}

function print(engine: EngineState): void {
  const pids = engine.processes.map(({ pid }) => pid).join(' ');
  console.log(`${engine.name} (ready in ${engine.startupSeconds} s, pids ${pids}, dir ${engine.dir})`);
  for (const [key, url] of Object.entries(engine.urls)) console.log(`  ${key.padEnd(12)} ${url}`);
}

const [command, argument] = process.argv.slice(2);
try {
  if (command === 'up') await up();
  else if (command === 'down') await down();
  else if (command === 'pg' && /^\d+$/.test(argument ?? '')) await postgres(Number(argument));
  else throw new Error('usage: cli.ts up | down | pg <major>');
} catch (error) {
  console.error(`engines: ${(error as Error).message}`);
  process.exitCode = 1;
}

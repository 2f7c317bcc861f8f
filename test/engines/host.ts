/**
 * What every throwaway engine needs from the machine: a temp dir, free ports,
 * commands with a time bound, processes started detached and stopped by pid,
 * and Debian packages installed when missing. Engines never touch the main
 * servers, and are never stopped by name.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, open, readFile, readdir, readlink, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A system user an engine runs as: PostgreSQL and PgBouncer refuse root, mariadbd switches to mysql itself. */
export interface SystemUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** Looks up a system user's ids. */
export async function systemUser(name: string): Promise<SystemUser> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { name, uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** A fresh directory under the system temp dir, owned by `owner` when given (mkdtemp makes it 0700). */
export async function tempDir(label: string, owner?: SystemUser): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `sqlpin-${label}-`));
  if (owner !== undefined) await chown(dir, owner.uid, owner.gid);
  return dir;
}

/** Removes a directory and everything in it; a missing one is fine. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Ports this process already handed out, so two engines started together never get the same one. */
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that nothing listens on now, asked of the kernel (port 0). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Runs a command to completion within `timeoutMillis`; rejects with its stderr on failure. */
export async function run(
  command: string,
  args: readonly string[],
  options: { user?: SystemUser; env?: NodeJS.ProcessEnv; timeoutMillis?: number } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      env: options.env ?? process.env,
      timeout: options.timeoutMillis ?? 60_000,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024,
      ...(options.user === undefined ? {} : { uid: options.user.uid, gid: options.user.gid }),
    });
    return stdout;
  } catch (error) {
    const failure = error as { stderr?: string; killed?: boolean; message: string };
    const reason = failure.killed ? `killed after ${options.timeoutMillis ?? 60_000} ms` : failure.stderr?.trim() || failure.message;
    throw new Error(`${command} ${args.join(' ')} failed: ${reason}`, { cause: error });
  }
}

/**
 * Starts a long-running server detached from this process (its own process
 * group, output to `logFile`), so it can outlive a CLI and is stopped by pid.
 * Returns its pid.
 */
export async function startDetached(
  command: string,
  args: readonly string[],
  options: { logFile: string; user?: SystemUser },
): Promise<number> {
  const log = await open(options.logFile, 'a');
  try {
    if (options.user !== undefined) await log.chown(options.user.uid, options.user.gid);
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      ...(options.user === undefined ? {} : { uid: options.user.uid, gid: options.user.gid }),
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid!));
    });
    child.unref();
    return pid;
  } finally {
    await log.close();
  }
}

/** True while a process with this pid exists (a zombie of ours counts until reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Thrown by a probe when waiting longer cannot help (the process died): `waitUntil` gives up at once. */
export class GaveUp extends Error {}

/**
 * Polls `probe` until it returns a value other than undefined; throws after
 * `limitMillis` with `what`, the last error seen and what `hint` gives (a log to read).
 */
export async function waitUntil<T>(
  what: string,
  limitMillis: number,
  probe: () => Promise<T | undefined>,
  hint?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + limitMillis;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
      if (error instanceof GaveUp) throw new Error(`${what}: ${error.message}${hint === undefined ? '' : `\n${await hint()}`}`);
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`${what} not reached in ${limitMillis} ms${reason}${hint === undefined ? '' : `\n${await hint()}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A process to stop: its pid, the kernel's start time that makes the pid its own, and its shutdown signal. */
export interface OwnedProcess {
  readonly pid: number;
  readonly startTime: string;
  readonly signal: NodeJS.Signals;
}

/**
 * The kernel's start time of a process (clock ticks since boot). Pids wrap
 * quickly on a busy machine: a pid whose start time differs is another
 * process now, and is never signalled.
 */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces; starttime is field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Records a process just started, so it can be stopped later by pid without hitting a successor. */
export function own(pid: number, signal: NodeJS.Signals): OwnedProcess {
  const startTime = startTimeOf(pid);
  if (startTime === undefined) throw new Error(`pid ${pid} is gone before it could be tracked`);
  return { pid, startTime, signal };
}

/**
 * Stops a process by pid: its shutdown signal (SIGTERM unless the server
 * wants another for a fast shutdown), then SIGKILL if it is still there after
 * `graceMillis`. Resolves once it is gone; one already gone is fine.
 */
export async function stopProcess(owned: OwnedProcess, graceMillis = 10_000): Promise<void> {
  if (!signalOwned(owned, owned.signal)) return;
  const gone = async () => (startTimeOf(owned.pid) === owned.startTime ? undefined : true);
  try {
    await waitUntil(`pid ${owned.pid} exiting on ${owned.signal}`, graceMillis, gone);
  } catch {
    signalOwned(owned, 'SIGKILL');
    await waitUntil(`pid ${owned.pid} exiting on SIGKILL`, 5_000, gone);
  }
}

/** Sends `signal` if the pid still belongs to the process; says whether it did. */
export function signalOwned({ pid, startTime }: OwnedProcess, signal: NodeJS.Signals): boolean {
  if (startTimeOf(pid) !== startTime) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Stops `processes` and removes `dir` once process `parent` is gone, however
 * it went: the exit and signal hooks cannot run when a test process is killed
 * (tap's timeout ends it with SIGALRM, then SIGKILL), and an engine must not
 * outlive it. A detached shell, so it survives the parent; each pid is
 * signalled only while its start time is the one recorded. Returns its pid.
 */
export async function startWatchdog(parent: number, dir: string, processes: readonly OwnedProcess[]): Promise<number> {
  const script = `
parent=$1; dir=$2; shift 2
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
started() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
signal_all() { # each pid:starttime:signal still ours gets $signal ("own": its own; "none": nothing); true while any is ours
  any=1
  for owned in "$@"; do
    pid=\${owned%%:*}; rest=\${owned#*:}; start=\${rest%%:*}; own=\${rest#*:}
    [ "$(started "$pid")" = "$start" ] || continue
    any=0
    [ "$signal" = own ] && kill -s "$own" "$pid" 2>/dev/null
    [ "$signal" = KILL ] && kill -s KILL "$pid" 2>/dev/null
  done
  return $any
}
signal=own; signal_all "$@"
for _ in 1 2 3 4 5 6 7 8 9 10; do signal=none; signal_all "$@" || break; sleep 1; done
signal=KILL; signal_all "$@"
rm -rf "$dir"`;
  const owned = processes.map(({ pid, startTime, signal }) => `${pid}:${startTime}:${signal.replace(/^SIG/, '')}`);
  const child = spawn('sh', ['-c', script, 'sqlpin-engine-watchdog', String(parent), dir, ...owned], { detached: true, stdio: 'ignore' });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve(child.pid!));
  });
  child.unref();
  return pid;
}

/** The pid written by a server into its pid file (first line), once the file is there. */
export async function pidFromFile(file: string, limitMillis = 30_000): Promise<number> {
  return waitUntil(`pid file ${file}`, limitMillis, async () => {
    if (!existsSync(file)) return undefined;
    const pid = Number((await readFile(file, 'utf8')).split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  });
}

/** The last lines of a log, to put in an error message. */
export async function tail(file: string): Promise<string> {
  try {
    return `--- ${file} (last 20 lines)\n${(await readFile(file, 'utf8')).trimEnd().split('\n').slice(-20).join('\n')}`;
  } catch {
    return `(no log at ${file})`;
  }
}

/**
 * Makes sure `binary` exists, installing Debian's `pkg` with apt-get when it
 * does not (apt-get update first if the package is unknown). A clear error
 * says what to run by hand when that fails (not root, no network).
 */
export async function ensureDebianPackage(pkg: string, binary: string): Promise<void> {
  if (existsSync(binary)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Test files run side by side and two may install the same package: the second waits for apt's lock.
  const wait = ['-o', 'DPkg::Lock::Timeout=240'];
  const install = () => run('apt-get', [...wait, 'install', '-y', '--no-install-recommends', pkg], { env, timeoutMillis: 300_000 });
  try {
    await install().catch(async () => {
      await run('apt-get', [...wait, 'update'], { env, timeoutMillis: 300_000 });
      await install();
    });
  } catch (error) {
    throw new Error(
      `${binary} is missing and installing Debian's ${pkg} failed; install it with: apt-get update && apt-get install -y ${pkg}`,
      {
        cause: error,
      },
    );
  }
  if (!existsSync(binary)) throw new Error(`installed Debian's ${pkg}, but ${binary} is still missing`);
}

/** Milliseconds since `started`, as seconds with one decimal, for start-up reports. */
export function secondsSince(started: number): number {
  return Math.round((Date.now() - started) / 100) / 10;
}

/** Pids whose command line names `dir`, or whose working directory is inside it (every postgres backend's is). */
export async function processesIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // A process may exit between readdir and these reads: then it is not running there.
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
    if (cmdline.includes(dir) || cwd.startsWith(dir)) found.push(Number(entry));
  }
  return found;
}

/**
 * The shape every throwaway engine shares: a temp dir, the processes started
 * in it, the URLs to reach it, and one way to stop it. A half-started engine
 * is stopped and removed before its start rejects.
 */
import { rmSync } from 'node:fs';
import {
  own,
  removeDir,
  secondsSince,
  signalOwned,
  startWatchdog,
  stopProcess,
  tempDir,
  type OwnedProcess,
  type SystemUser,
} from './host.js';

/** What it takes to reach and to stop an engine: plain data, so a CLI can keep it in a state file. */
export interface EngineState<Urls extends Record<string, string> = Record<string, string>> {
  readonly name: string;
  readonly dir: string;
  readonly processes: readonly OwnedProcess[];
  readonly urls: Urls;
  /** Wall-clock seconds from nothing to ready. */
  readonly startupSeconds: number;
}

/** A running engine. `stop()` stops every process by pid and removes the dir; calling it again does nothing. */
export interface Engine<Urls extends Record<string, string> = Record<string, string>> extends EngineState<Urls> {
  stop(): Promise<void>;
}

/**
 * What an engine's builder gets: its dir, and a way to register each process
 * as soon as it exists, with the signal that shuts it down quickly.
 */
export interface EngineContext {
  readonly dir: string;
  track(pid: number, signal: NodeJS.Signals): void;
}

/** Options every start function takes. */
export interface StartOptions {
  /**
   * Stop the engine when this process is interrupted, exits or is killed
   * without stopping it (a crashed or timed-out test). True unless the engines
   * must outlive the process, as with `make engines-up`.
   */
  readonly stopOnExit?: boolean;
}

/** Engines of this process still running, for the exit and signal hooks. */
const running = new Set<EngineState>();
let exitHookInstalled = false;

/**
 * Runs `build` in a fresh temp dir owned by `owner`. If it throws, every
 * process it tracked is stopped and the dir removed before the error is rethrown.
 */
export async function startEngine<Urls extends Record<string, string>>(
  name: string,
  owner: SystemUser | undefined,
  options: StartOptions,
  build: (context: EngineContext) => Promise<Urls>,
): Promise<Engine<Urls>> {
  const started = Date.now();
  const dir = await tempDir(name, owner);
  const processes: OwnedProcess[] = [];
  const partial: EngineState = { name, dir, processes, urls: {}, startupSeconds: 0 };
  const guarded = options.stopOnExit ?? true;
  if (guarded) guardExit(partial);
  let urls: Urls;
  try {
    urls = await build({ dir, track: (pid, signal) => processes.push(own(pid, signal)) });
    if (guarded) processes.push(own(await startWatchdog(process.pid, dir, processes), 'SIGTERM'));
  } catch (error) {
    await stopEngine(partial);
    running.delete(partial);
    throw error;
  }
  running.delete(partial);
  const state: EngineState<Urls> = { name, dir, processes, urls, startupSeconds: secondsSince(started) };
  if (guarded) guardExit(state);
  let stopping: Promise<void> | undefined;
  return {
    ...state,
    stop() {
      stopping ??= stopEngine(state).finally(() => running.delete(state));
      return stopping;
    },
  };
}

/** Stops every process of an engine by pid, all at once, then removes its dir. */
export async function stopEngine(state: EngineState): Promise<void> {
  const outcomes = await Promise.allSettled(state.processes.map((owned) => stopProcess(owned)));
  await removeDir(state.dir);
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
}

/**
 * Engines must not outlive a process that forgot them or was interrupted. On
 * Ctrl-C, SIGTERM or SIGHUP they are stopped properly, then the signal is
 * raised again so the process ends as it would have. On exit nothing async
 * runs: what still runs gets SIGKILL and its dir goes, synchronously.
 */
function guardExit(state: EngineState): void {
  running.add(state);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const engine of running) {
      for (const owned of engine.processes) signalOwned(owned, 'SIGKILL');
      rmSync(engine.dir, { recursive: true, force: true });
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      void Promise.allSettled([...running].map((engine) => stopEngine(engine))).finally(() => {
        running.clear();
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, onSignal);
  }
}

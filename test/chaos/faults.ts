import { sleep, within } from '../helpers/pools.js';
import { describeReason } from '../helpers/process-watch.js';
import { clientPort, killSql, runningTagged, truncatingSessions } from '../helpers/server-view.js';
import type { OpRun, StruckKind } from './operations.js';
import type { Fault } from './scenario.js';
import type { World } from './world.js';

/** How long a stalled link stays stalled when the operation does not end first. */
const STALL_MILLIS = 1_500;
/** How long a kill or a link fault looks for its statement, should the operation never end. */
const LOOK_MILLIS = 10_000;
/** How long a hold waits to see the truncate held up before it gives up looking. */
const HOLD_LOOK_MILLIS = 3_000;

/** What must be in place before the operation starts: a held row, a signal aborted already. */
export async function prepareFault(world: World, run: OpRun): Promise<void> {
  const fault = run.faultSpec;
  if (fault?.kind === 'hold') await world.holder.hold(fault.table, { forUpdate: true });
  if (fault?.kind === 'abort' && fault.before) {
    run.controller.abort(new Error('chaos: aborted before the call'));
    struck(world, run, 'abort', 'aborted before the call');
  }
}

/** Strikes the operation's fault while it runs; resolves once the fault is over (the row let go, the link back). */
export async function strikeFault(world: World, run: OpRun, done: Promise<void>): Promise<void> {
  const fault = run.faultSpec;
  if (fault === undefined) return;
  switch (fault.kind) {
    case 'timeout':
      struck(world, run, 'timeout', `timeoutMillis ${fault.timeoutMillis}`);
      return;
    case 'abort':
      if (fault.before) return;
      await within(done, fault.afterMillis, undefined);
      if (run.outcome === undefined) {
        run.controller.abort(new Error('chaos: aborted during the call'));
        struck(world, run, 'abort', `aborted ${fault.afterMillis} ms in`);
      } else missed(world, run, 'abort: the operation had ended');
      return;
    case 'kill':
    case 'link': {
      const lookup = () => runningTagged(world.scratch, run.tag);
      const target = await find(run, done, lookup, LOOK_MILLIS);
      if (target === undefined) missed(world, run, `${fault.kind}: never seen running`);
      else await strikeAt(world, run, fault, target, done, lookup);
      return;
    }
    case 'hold':
      try {
        await holdThenStrike(world, run, fault, done);
      } finally {
        await world.holder.release();
      }
  }
}

/** While the held row keeps the truncate waiting, strikes the fault that comes with the hold; lets go `millis` later. */
async function holdThenStrike(world: World, run: OpRun, fault: Extract<Fault, { kind: 'hold' }>, done: Promise<void>): Promise<void> {
  const lookup = async () => {
    const ids = await truncatingSessions(world.scratch, [world.holder.id]);
    return run.sessions.size === 0 ? ids : ids.filter((id) => run.sessions.has(id));
  };
  const target = await find(run, done, lookup, HOLD_LOOK_MILLIS);
  struck(world, run, 'hold', `${fault.table} held ${fault.millis} ms, lockTimeoutMillis ${fault.lockTimeoutMillis}`);
  const letGoAt = Date.now() + fault.millis;
  if (fault.during !== undefined) {
    if (target === undefined) missed(world, run, `${fault.during.kind} during a hold: the truncate was never seen waiting`);
    else await strikeAt(world, run, fault.during, target, done, lookup);
  }
  await within(done, Math.max(0, letGoAt - Date.now()), undefined);
}

/** Polls for the session to strike until the operation ends or `limitMillis` passes. */
async function find(run: OpRun, done: Promise<void>, lookup: () => Promise<number[]>, limitMillis: number): Promise<number | undefined> {
  let ended = false;
  void done.then(() => {
    ended = true;
  });
  for (const deadline = Date.now() + limitMillis; !ended && Date.now() < deadline; await sleep(5)) {
    const [id] = await lookup();
    if (id !== undefined && run.outcome === undefined) return id;
  }
  return undefined;
}

/** After `afterMillis`, strikes `target` if it still runs the operation's statement. */
async function strikeAt(
  world: World,
  run: OpRun,
  fault: Fault,
  target: number,
  done: Promise<void>,
  lookup: () => Promise<number[]>,
): Promise<void> {
  if (fault.kind !== 'kill' && fault.kind !== 'link') return;
  await within(done, fault.afterMillis, undefined);
  // Striking a session that has moved on would hit someone else: the harness's fault, not sqlpin's.
  if (run.outcome !== undefined || !(await lookup()).includes(target)) {
    missed(world, run, `${fault.kind}: the statement had ended`);
    return;
  }
  if (fault.kind === 'kill') {
    try {
      await world.scratch.admin(killSql(world.dialect, target, fault.mode));
      struck(world, run, fault.mode === 'session' ? 'kill' : 'cancel', `session ${target}`);
    } catch (error) {
      missed(world, run, `kill refused: ${describeReason(error)}`);
    }
    return;
  }
  const port = await clientPort(world.scratch, target);
  const hit = port !== undefined && (fault.mode === 'cut' ? world.proxy.cutLink(port) : world.proxy.stallLink(port));
  if (!hit) {
    missed(world, run, `link ${fault.mode}: session ${target} not found at the proxy`);
    return;
  }
  struck(world, run, fault.mode, `session ${target}`);
  if (fault.mode === 'stall') {
    await within(done, STALL_MILLIS, undefined);
    world.proxy.restore();
  }
}

function struck(world: World, run: OpRun, kind: StruckKind, detail: string): void {
  run.fault.struck.add(kind);
  run.fault.details.push(`${kind}: ${detail}`);
  world.counters.faults[kind] = (world.counters.faults[kind] ?? 0) + 1;
}

function missed(world: World, run: OpRun, detail: string): void {
  run.fault.details.push(`missed ${detail}`);
  world.counters.missed += 1;
}

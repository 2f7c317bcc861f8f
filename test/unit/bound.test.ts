import t from 'tap';
import { bounded, CANCEL_GRACE_MILLIS, eitherSignal, type Fate } from '../../lib/bound.js';
import { fakeClock, settle } from '../helpers/clock.js';

/** bounded() alone: when a statement is cut, what its fate waits for, and when its session is given up. */

/** A statement the test ends, a cancel the test answers, and everything bounded() reports. */
function harness() {
  const heard: string[] = [];
  let end!: (value: string) => void;
  let fail!: (error: unknown) => void;
  const running = new Promise<string>((resolve, reject) => {
    end = resolve;
    fail = reject;
  });
  let cancelled!: () => void;
  let refuse!: (error: unknown) => void;
  let fate: Promise<Fate> | undefined;
  const overdue = {
    cancel: () => {
      heard.push('cancel');
      return new Promise<void>((resolve, reject) => {
        cancelled = resolve;
        refuse = reject;
      });
    },
    abandon: (reason: unknown) => heard.push(`abandon: ${(reason as Error).message}`),
  };
  const outcome = {
    ended: (value: string) => heard.push(`ended ${value}`),
    failed: (error: unknown) => heard.push(`failed ${(error as Error).message}`),
    cut: (error: Error & { code?: string }, cutFate: Promise<Fate>) => {
      heard.push(`cut ${error.code}: ${error.message}`);
      fate = cutFate;
      void cutFate.then((value) => heard.push(`fate ${value}`));
    },
    late: { ended: () => heard.push('late ended'), failed: (error: unknown) => heard.push(`late failed ${(error as Error).message}`) },
  };
  return { heard, running, end, fail, overdue, outcome, cancel: () => cancelled(), refuse: (e: unknown) => refuse(e), fate: () => fate };
}

t.test('a statement that ends or fails within its time is not cut, and no timer is left behind', async (t) => {
  const clock = fakeClock(t);
  const ok = harness();
  bounded(ok.running, { timeoutMillis: 100 }, ok.overdue, ok.outcome);
  await clock.tick(99);
  ok.end('rows');
  await settle();
  await clock.tick(1_000);
  t.same(ok.heard, ['ended rows']);
  const bad = harness();
  bounded(bad.running, { timeoutMillis: 100 }, bad.overdue, bad.outcome);
  bad.fail(new Error('syntax'));
  await settle();
  await clock.tick(1_000);
  t.same(bad.heard, ['failed syntax']);
});

t.test('no time bound and no signal: never cut', async (t) => {
  const clock = fakeClock(t);
  const h = harness();
  bounded(h.running, { timeoutMillis: 0 }, h.overdue, h.outcome);
  await clock.tick(10 * CANCEL_GRACE_MILLIS);
  t.same(h.heard, []);
  h.end('late');
  await settle();
  t.same(h.heard, ['ended late']);
});

t.test('cut at its time: the fate waits for both the statement and the cancel', async (t) => {
  const clock = fakeClock(t);
  const h = harness();
  bounded(h.running, { timeoutMillis: 100 }, h.overdue, h.outcome);
  await clock.tick(99);
  t.same(h.heard, []);
  await clock.tick(1);
  t.same(h.heard, ['cancel', 'cut ERR_QUERY_TIMEOUT: the statement did not answer within 100 ms and was cancelled']);
  h.end('rows');
  await settle();
  t.same(h.heard.slice(2), ['late ended'], 'the statement ended, the cancel not yet taken: no fate yet');
  h.cancel();
  await settle();
  t.same(h.heard.slice(2), ['late ended', 'fate ended']);
  await clock.tick(CANCEL_GRACE_MILLIS);
  t.same(h.heard.slice(2), ['late ended', 'fate ended'], 'the grace timer was cleared: nothing abandoned');
});

t.test('a cut statement that then fails: its fate is failed', async (t) => {
  const clock = fakeClock(t);
  const h = harness();
  bounded(h.running, { timeoutMillis: 10 }, h.overdue, h.outcome);
  await clock.tick(10);
  h.cancel();
  h.fail(new Error('canceling statement due to user request'));
  await settle();
  t.same(h.heard.slice(2), ['late failed canceling statement due to user request', 'fate failed']);
});

t.test('a cancel that fails abandons the session with its error; the fate is abandoned', async (t) => {
  const clock = fakeClock(t);
  const h = harness();
  bounded(h.running, { timeoutMillis: 10 }, h.overdue, h.outcome);
  await clock.tick(10);
  h.refuse(new Error('cancel refused'));
  await settle();
  t.same(h.heard.slice(2), ['abandon: cancel refused'], 'at once, before the statement ends');
  h.end('rows');
  await settle();
  t.same(h.heard.slice(3), ['late ended', 'abandon: a cut statement or its cancel did not end within the grace', 'fate abandoned']);
});

t.test('past the grace the session is abandoned, whichever of the two is missing', async (t) => {
  for (const missing of ['statement', 'cancel'] as const) {
    t.test(`the ${missing} missing`, async (t) => {
      const clock = fakeClock(t);
      const h = harness();
      bounded(h.running, { timeoutMillis: 10 }, h.overdue, h.outcome);
      await clock.tick(10);
      if (missing === 'statement') h.cancel();
      else h.end('rows');
      await clock.tick(CANCEL_GRACE_MILLIS - 1);
      t.notOk(
        h.heard.some((line) => line.startsWith('fate')),
        `${missing} missing: still within the grace`,
      );
      await clock.tick(1);
      t.same(
        h.heard.filter((line) => line.startsWith('abandon') || line.startsWith('fate')),
        ['abandon: a cut statement or its cancel did not end within the grace', 'fate abandoned'],
        `${missing} missing`,
      );
    });
  }
});

t.test('a signal cuts with its reason; once cut, the timer does not cut again', async (t) => {
  const clock = fakeClock(t);
  const h = harness();
  const controller = new AbortController();
  bounded(h.running, { timeoutMillis: 100, signal: controller.signal }, h.overdue, h.outcome);
  controller.abort(new Error('user left'));
  await clock.tick(100);
  t.same(h.heard, ['cancel', 'cut ERR_ABORTED: the call was aborted']);
});

t.test('a signal that aborts after the statement ended cuts nothing', async (t) => {
  fakeClock(t);
  const h = harness();
  const controller = new AbortController();
  bounded(h.running, { timeoutMillis: 0, signal: controller.signal }, h.overdue, h.outcome);
  h.end('rows');
  await settle();
  controller.abort();
  await settle();
  t.same(h.heard, ['ended rows']);
});

t.test('eitherSignal: none, one, the same one twice, or one that aborts when any does', async (t) => {
  const a = new AbortController();
  const b = new AbortController();
  t.equal(eitherSignal(undefined, undefined), undefined);
  t.equal(eitherSignal(undefined, a.signal), a.signal, 'one signal is itself');
  t.equal(eitherSignal(a.signal, undefined), a.signal, 'one signal is itself, either side');
  t.equal(eitherSignal(a.signal, a.signal), a.signal, 'the same signal twice is itself');
  for (const [name, either] of [
    ['first', eitherSignal(b.signal, a.signal)!],
    ['second', eitherSignal(a.signal, b.signal)!],
  ] as const) {
    t.not(either, a.signal, `${name}: a signal of its own`);
    t.not(either, b.signal, `${name}: a signal of its own`);
    t.notOk(either.aborted, name);
  }
  const c = new AbortController();
  const first = eitherSignal(c.signal, a.signal)!;
  const second = eitherSignal(a.signal, c.signal)!;
  c.abort('c went');
  for (const either of [first, second]) {
    t.ok(either.aborted);
    t.equal(either.reason, 'c went');
  }
});

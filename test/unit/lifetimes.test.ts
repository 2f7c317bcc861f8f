import t from 'tap';
import type { Session } from '../../lib/driver.js';
import { Lifetimes } from '../../lib/lifetime.js';
import { fakeClock } from '../helpers/clock.js';

/** Lifetimes alone: a session's age and uses, judged only for sessions it recorded. */

const session = () => ({}) as Session;

t.test('maxUses: the borrow that reaches it ends the session, not one before', async (t) => {
  const lifetimes = new Lifetimes(0, 3);
  const s = session();
  lifetimes.opened(s);
  t.same([lifetimes.returned(s), lifetimes.returned(s), lifetimes.returned(s)], [false, false, true]);
  t.equal(lifetimes.expired(s), false, 'uses never make an idle session expire');
});

t.test('maxLifetimeMillis: old at exactly its age, on return and while idle', async (t) => {
  const clock = fakeClock(t);
  const lifetimes = new Lifetimes(1_000, 0);
  const s = session();
  lifetimes.opened(s);
  await clock.tick(999);
  t.equal(lifetimes.returned(s), false);
  t.equal(lifetimes.expired(s), false);
  await clock.tick(1);
  t.equal(lifetimes.expired(s), true);
  t.equal(lifetimes.returned(s), true);
});

t.test('a session it never recorded is never judged', async (t) => {
  const lifetimes = new Lifetimes(1, 1);
  t.equal(lifetimes.returned(session()), false);
  t.equal(lifetimes.expired(session()), false);
});

t.test('both limits off: nothing is recorded', async (t) => {
  const clock = fakeClock(t);
  const lifetimes = new Lifetimes(0, 0);
  const s = session();
  lifetimes.opened(s);
  await clock.tick(1e9);
  t.equal(lifetimes.returned(s), false);
  t.equal(lifetimes.expired(s), false);
});

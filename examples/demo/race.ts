import { failureOf, formatCode, serverCode } from '../server-errors.js';
import { onEverySession, warm, withPool } from '../sessions.js';
import { RACE_POOL, TRIES, type DemoContext } from './context.js';
import { NAIVE_TRUNCATE } from './dialects.js';
import { inspectSession, type SessionState } from './inspect.js';

/** What one try of the naive pair did, as read back from the pool's two sessions. */
interface RaceOutcome {
  readonly failure: unknown;
  /** The session left with enforcement off: the one the SET ran on. */
  readonly setSession: SessionState | undefined;
  /** The session whose last statement was the TRUNCATE. */
  readonly truncateSession: SessionState | undefined;
  readonly otherSession: SessionState | undefined;
}

/**
 * Part 2: the naive fix — turn enforcement off, then TRUNCATE — as two pooled
 * calls. Each try starts from a freshly warmed pool, as a service does after a
 * restart, so no try inherits the previous try's poisoned session.
 */
export async function showTheRace(context: DemoContext): Promise<void> {
  const { dialect, list } = context;
  list.section(`2. Why separate pooled calls are unreliable: db.query('${dialect.checksOff}'), then db.query('${NAIVE_TRUNCATE}')`);
  const outcomes: RaceOutcome[] = [];
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    const outcome = await raceOnce(context);
    outcomes.push(outcome);
    list.note(
      `try ${attempt}: SET ran on session ${outcome.setSession?.id ?? '?'}, TRUNCATE on session ${outcome.truncateSession?.id ?? '?'} ` +
        `and failed with ${formatCode(serverCode(outcome.failure))}; afterwards the SET's session has ${dialect.setting} = ${outcome.setSession?.setting ?? '?'}`,
    );
  }
  const tally = (label: string, holds: (outcome: RaceOutcome) => boolean) => {
    const times = outcomes.filter(holds).length;
    list.check(times === TRIES, `${label} in ${times} of ${TRIES} tries`);
  };

  tally(`the TRUNCATE failed with ${formatCode(dialect.truncateRefused)}`, (o) => serverCode(o.failure) === dialect.truncateRefused);
  tally(
    'the SET and the TRUNCATE ran on different sessions',
    (o) => o.setSession !== undefined && o.truncateSession !== undefined && o.setSession.id !== o.truncateSession.id,
  );
  list.note(dialect.whyTruncateFailed);
  tally("the SET's session went back to the pool with foreign key enforcement off", (o) => o.setSession !== undefined);
  tally(
    'an orphan child row was accepted on that poisoned session',
    (o) => o.setSession !== undefined && o.setSession.orphanRefusal === undefined,
  );
  tally(
    `the same insert was refused with ${formatCode(dialect.orphanRefused)} on the other session`,
    (o) => o.otherSession?.orphanRefusal === dialect.orphanRefused,
  );
}

async function raceOnce({ dialect, scratch }: DemoContext): Promise<RaceOutcome> {
  return withPool(scratch.url, RACE_POOL, async (db) => {
    await warm(db, 2);
    await db.query(dialect.checksOff);
    const failure = await failureOf(db.query(NAIVE_TRUNCATE));
    const sessions = await onEverySession(db, 2, async (conn) => ({
      ranTruncate: await dialect.ranNaiveTruncate(conn, scratch.admin),
      ...(await inspectSession(conn, dialect)),
    }));
    const setSession = sessions.find((session) => !session.enforcing);
    return {
      failure,
      setSession,
      truncateSession: sessions.find((session) => session.ranTruncate),
      otherSession: sessions.find((session) => session !== setSession),
    };
  });
}

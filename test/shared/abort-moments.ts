import { tracingChannel } from 'node:diagnostics_channel';
import t, { type Test } from 'tap';
import type { Dialect, QueryTrace } from '../../lib/index.js';
import { racyTries } from '../helpers/env.js';
import { settle } from '../helpers/outcomes.js';
import { PAIR, PAIR_ROWS, createPair, pairCounts, seedPair } from '../helpers/pair-tables.js';
import { scratchPool } from '../helpers/pools.js';
import { createScratch } from '../helpers/servers.js';

const TRIES = racyTries(30);

/** The moments an abort is made to arrive at: when sqlpin starts sending a statement the predicate picks. */
interface Moment {
  readonly label: string;
  readonly dialects: readonly Dialect[];
  /** The statement whose start (or, with `after`, whose reply) aborts the call's signal. */
  readonly at: (text: string) => boolean;
  readonly after?: boolean;
  /** Each try on a new pool, whose session has never truncated (PostgreSQL prepares its catalog query there). */
  readonly freshSession?: boolean;
}

const MOMENTS: readonly Moment[] = [
  // Found by CI's chaos run (seed 20240607, abort family): the pool rejected with AbortError after the truncate had committed.
  { label: 'the reply to the message that commits', dialects: ['postgres'], at: (text) => /COMMIT$/.test(text), after: true },
  { label: 'the message that commits', dialects: ['postgres'], at: (text) => /COMMIT$/.test(text) },
  // The same on MariaDB: the emptying block is never cut, so the call must report what it did.
  { label: 'the emptying block', dialects: ['mysql'], at: (text) => text.startsWith('BEGIN NOT ATOMIC') },
  // Found reading the code: a PREPARE sent before the call's BEGIN, cut but ended, would have counted as a commit. It now goes inside.
  { label: "the catalog query's PREPARE", dialects: ['postgres'], at: (text) => /(^|\n)PREPARE /.test(text), freshSession: true },
];

/**
 * A truncate whose signal aborts while a chosen statement runs reports what
 * it did: it resolves only if the tables were emptied, and a rejection that
 * does not say the outcome is unknown leaves every table as it was.
 */
export function abortMomentsSuite(dialect: Dialect): void {
  t.test(`${dialect}: an abort at a chosen moment of a truncate`, async (t) => {
    const scratch = await createScratch(dialect, 'abort_moments');
    t.teardown(() => scratch.drop());
    await createPair(scratch);
    for (const moment of MOMENTS.filter((each) => each.dialects.includes(dialect))) {
      t.test(`at ${moment.label}, ${TRIES} tries`, async (t) => {
        const tally: Record<string, number> = {};
        let db = scratchPool(t, scratch, { max: 1 });
        for (let i = 1; i <= TRIES; i++) {
          await seedPair(scratch);
          if (moment.freshSession) {
            await db.close();
            db = scratchPool(t, scratch, { max: 1 });
          }
          const controller = new AbortController();
          const stop = abortAt(t, moment, controller);
          const outcome = await settle(db.truncate([...PAIR], { signal: controller.signal }));
          stop();
          const rows = await pairCounts(scratch);
          const emptied = rows.p === 0 && rows.c === 0;
          const label = outcome.ok
            ? 'resolved'
            : `${(outcome.error as { code?: string }).code}/${(outcome.error as { outcome?: string }).outcome ?? '-'}`;
          tally[`${label}, ${emptied ? 'emptied' : 'kept'}`] = (tally[`${label}, ${emptied ? 'emptied' : 'kept'}`] ?? 0) + 1;
          if (outcome.ok) t.ok(emptied, `try ${i}: resolved, so both tables are empty`);
          else if ((outcome.error as { outcome?: string }).outcome !== 'unknown') {
            t.same(rows, PAIR_ROWS, `try ${i}: rejected (${label}) saying nothing of an unknown outcome, so nothing changed`);
          }
          t.equal(rows.bystander, PAIR_ROWS.bystander, `try ${i}: the bystander keeps its rows`);
        }
        t.comment(`outcomes: ${JSON.stringify(tally)}`);
      });
    }

    t.test(`db.transaction whose signal aborts once its COMMIT has answered resolves, ${TRIES} tries`, async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      for (let i = 1; i <= TRIES; i++) {
        await seedPair(scratch);
        const controller = new AbortController();
        const stop = abortAt(t, { label: 'COMMIT', dialects: [dialect], at: (text) => text === 'COMMIT', after: true }, controller);
        const outcome = await settle(
          db.transaction(async (tx) => tx.query("INSERT INTO bystander (name) VALUES ('committed')"), { signal: controller.signal }),
        );
        stop();
        t.ok(controller.signal.aborted, `try ${i}: the signal aborted`);
        t.equal(outcome.ok, true, `try ${i}: resolved`);
        t.equal((await pairCounts(scratch)).bystander, PAIR_ROWS.bystander! + 1, `try ${i}: the row is there`);
        await scratch.admin("DELETE FROM bystander WHERE name = 'committed'");
      }
    });

    t.test('withConnection whose signal aborts during the callback still rejects', async (t) => {
      const db = scratchPool(t, scratch, { max: 1 });
      const controller = new AbortController();
      const outcome = await settle(
        db.withConnection(
          async (conn) => {
            await conn.query('SELECT 1');
            controller.abort(new Error('aborted by the test'));
            return 'returned';
          },
          { signal: controller.signal },
        ),
      );
      t.match(outcome, { ok: false, error: { code: 'ERR_ABORTED' } });
    });
  });
}

/** Aborts `controller` at the moment's statement; returns the unsubscribe. */
function abortAt(t: Test, { at, after = false }: Moment, controller: AbortController): () => void {
  const channel = tracingChannel('sqlpin:query');
  const abort = (message: unknown) => {
    if (at((message as QueryTrace).text)) controller.abort(new Error('aborted by the test'));
  };
  const handlers = {
    start: (message: unknown) => (after ? undefined : abort(message)),
    end: () => undefined,
    asyncStart: () => undefined,
    asyncEnd: (message: unknown) => (after ? abort(message) : undefined),
    error: () => undefined,
  };
  channel.subscribe(handlers);
  const stop = () => channel.unsubscribe(handlers);
  t.teardown(stop);
  return stop;
}

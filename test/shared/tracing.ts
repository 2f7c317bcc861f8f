import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import t, { type Test } from 'tap';
import type { Dialect, PoolEvent, QueryTrace } from '../../lib/index.js';
import { until } from '../helpers/pools.js';
import { scratchPool } from '../helpers/pools.js';
import { createScratch, dialectSql } from '../helpers/servers.js';
import { createShapes, seed } from '../helpers/tables.js';

/** What a subscriber of `sqlpin:query` saw of one statement. */
interface Seen {
  readonly dialect: Dialect;
  readonly text: string;
  readonly sessionId: number;
  readonly rowCount?: number;
  readonly code?: unknown;
}

/** diagnostics_channel on a real server: every statement on `sqlpin:query`, session lifecycle on `sqlpin:pool`. */
export function tracingSuite(dialect: Dialect): void {
  const q = dialectSql[dialect];

  t.test(`${dialect}: tracing channels`, async (t) => {
    const scratch = await createScratch(dialect, 'tracing');
    t.teardown(() => scratch.drop());
    await createShapes(scratch);
    await seed(scratch, { parent: 3 });

    /** Subscribes for the rest of the test, as an APM tool would. */
    const watch = (t: Test) => {
      const seen: Seen[] = [];
      const started: string[] = [];
      const handlers = {
        start: (message: unknown) => started.push((message as QueryTrace).text),
        end: () => undefined,
        asyncStart: () => undefined,
        // Node publishes asyncEnd after a rejection too; the error channel has recorded that one.
        asyncEnd: (message: unknown) => {
          const trace = message as QueryTrace;
          if (trace.error !== undefined) return;
          seen.push({ dialect: trace.dialect, text: trace.text, sessionId: trace.sessionId, rowCount: trace.result!.rowCount });
        },
        error: (message: unknown) => {
          const trace = message as QueryTrace;
          seen.push({
            dialect: trace.dialect,
            text: trace.text,
            sessionId: trace.sessionId,
            code: (trace.error as { code?: unknown }).code,
          });
        },
      };
      const channel = tracingChannel('sqlpin:query');
      channel.subscribe(handlers);
      t.teardown(() => channel.unsubscribe(handlers));
      return { seen, started };
    };

    t.test('a subscriber sees every statement with dialect, text, sessionId, and rowCount or error', async (t) => {
      const { seen, started } = watch(t);
      const db = scratchPool(t, scratch, { max: 1 });
      await db.query('SELECT * FROM parent');
      const pinned = await db.withConnection(async (conn) => {
        await conn.query('UPDATE parent SET name = name');
        await conn.query('SELECT no_such_column FROM parent').catch(() => undefined);
        return conn.sessionId;
      });
      const user = seen.filter((s) => /parent/.test(s.text) && !/information_schema|pg_|LOCK|TRUNCATE/i.test(s.text));
      t.same(
        user.map(({ text, rowCount, code }) => ({ text, rowCount, failed: code !== undefined })),
        [
          { text: 'SELECT * FROM parent', rowCount: 3, failed: false },
          { text: 'UPDATE parent SET name = name', rowCount: 3, failed: false },
          { text: 'SELECT no_such_column FROM parent', rowCount: undefined, failed: true },
        ],
      );
      t.ok(
        user.every((s) => s.dialect === dialect && s.sessionId === pinned),
        'dialect and the session each ran on',
      );
      t.equal(user[2]!.code, dialect === 'mysql' ? 'ER_BAD_FIELD_ERROR' : '42703', "the driver's own error code");
      t.equal(started.length, seen.length, 'every start has its end');
    });

    t.test("sqlpin's own statements are traced too: a truncate shows its TRUNCATE", async (t) => {
      const { seen } = watch(t);
      const db = scratchPool(t, scratch);
      await db.truncate('parent', { cascade: true });
      t.ok(
        seen.some((s) => /TRUNCATE/i.test(s.text) && s.code === undefined),
        'the TRUNCATE statement',
      );
      t.ok(seen.every((s) => s.dialect === dialect && typeof s.sessionId === 'number'));
    });

    t.test('sqlpin:pool publishes open, close with the reason, and destroy of a killed session', async (t) => {
      const events: PoolEvent[] = [];
      const onEvent = (message: unknown) => events.push(message as PoolEvent);
      subscribe('sqlpin:pool', onEvent);
      t.teardown(() => unsubscribe('sqlpin:pool', onEvent));
      const db = scratchPool(t, scratch, { max: 1, maxUses: 1 });
      const first = await db.withConnection((conn) => conn.sessionId);
      await until(() => events.some((e) => e.event === 'close' && e.sessionId === first));
      const second = await db.withConnection(async (conn) => {
        await scratch.admin(q.kill(conn.sessionId));
        await conn.query('SELECT 1').catch(() => undefined);
        return conn.sessionId;
      });
      await until(() => events.some((e) => e.sessionId === second && e.event !== 'open'));
      await db.close();
      t.same(
        events.map(({ event, sessionId, reason, dialect: d }) => ({ event, sessionId, reason, dialect: d })),
        [
          { event: 'open', sessionId: first, reason: undefined, dialect },
          { event: 'close', sessionId: first, reason: 'maxLifetimeMillis or maxUses reached', dialect },
          { event: 'open', sessionId: second, reason: undefined, dialect },
          { event: 'destroy', sessionId: second, reason: 'unusable: a fatal error, killed by the server, or its state unknown', dialect },
        ],
      );
    });
  });
}

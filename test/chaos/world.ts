import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Test } from 'tap';
import { createPool, type Connection, type Dialect, type Pool, type PoolEvent } from '../../lib/index.js';
import { TableHolder } from '../helpers/gates.js';
import { createPair } from '../helpers/pair-tables.js';
import { watchProcess, type ProcessWatch } from '../helpers/process-watch.js';
import { FaultProxy } from '../helpers/proxy.js';
import { endSessions, labelledUrl, listedSessions } from '../helpers/server-view.js';
import { createScratch, type Scratch } from '../helpers/servers.js';
import type { Scenario } from './scenario.js';

/** What a chaos run counts, over every scenario of a test. */
export interface Counters {
  scenarios: number;
  steps: number;
  operations: number;
  /** Faults that struck, by kind; `missed` ones found nothing to strike (the operation had ended). */
  faults: Record<string, number>;
  missed: number;
  /** Faults the pool handled by dropping a session and reported to onError. */
  reported: number;
}

/** Everything a chaos test sets up once: a scratch namespace, a proxy, a lock holder, the watch, a clean session's settings. */
export interface World {
  readonly dialect: Dialect;
  readonly scratch: Scratch;
  readonly proxy: FaultProxy;
  readonly holder: TableHolder;
  readonly watch: ProcessWatch;
  /** The settings a session the pool has just opened shows: every idle session must show them too. */
  readonly baseline: Readonly<Record<string, string>>;
  readonly counters: Counters;
  /**
   * Sessions opened since the current scenario began, from `sqlpin:pool`:
   * scenarios run one at a time, so these are its pool's, and the admin's
   * view of "the pool's sessions" is narrowed to them.
   */
  readonly opened: Set<number>;
}

/** Session settings sqlpin touches, and whether a transaction is open; read on a pinned session. */
export const SESSION_STATE: Readonly<Record<Dialect, string>> = {
  mysql:
    '/* check */ SELECT @@foreign_key_checks AS foreign_key_checks, @@lock_wait_timeout AS lock_wait_timeout, ' +
    '@@in_transaction AS in_transaction, @@autocommit AS autocommit',
  postgres:
    "/* check */ SELECT current_setting('lock_timeout') AS lock_timeout, current_setting('statement_timeout') AS statement_timeout, " +
    "current_setting('session_replication_role') AS session_replication_role, now() = statement_timestamp() AS no_transaction_before",
};

/** Reads SESSION_STATE on a pinned session, as strings. */
export async function sessionState(conn: Connection): Promise<Record<string, string>> {
  const row = (await conn.query(SESSION_STATE[conn.dialect])).rows[0] ?? {};
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, String(value)]));
}

export async function openWorld(t: Test, dialect: Dialect): Promise<World> {
  const scratch = await createScratch(dialect, 'chaos');
  t.teardown(() => scratch.drop());
  // Runs before the drop: a session left behind by a failed scenario could hold a lock the drop waits for.
  t.teardown(async () => endSessions(scratch, await listedSessions(scratch)));
  await createPair(scratch);
  const serial = dialect === 'mysql' ? 'INT AUTO_INCREMENT PRIMARY KEY' : 'SERIAL PRIMARY KEY';
  await scratch.admin(`CREATE TABLE ledger (id ${serial}, op INT NOT NULL, note VARCHAR(40) NOT NULL)`);
  const proxy = await FaultProxy.start(scratch.url);
  t.teardown(() => proxy.close());
  const holder = await TableHolder.open(scratch);
  t.teardown(() => holder.close());
  const fresh = createPool({ url: scratch.url, max: 1 });
  const baseline = await fresh.withConnection(sessionState).finally(() => fresh.close());
  const opened = new Set<number>();
  const onPoolEvent = (message: unknown) => {
    const event = message as PoolEvent;
    if (event.event === 'open') opened.add(event.sessionId);
  };
  subscribe('sqlpin:pool', onPoolEvent);
  t.teardown(() => {
    unsubscribe('sqlpin:pool', onPoolEvent);
  });
  return {
    opened,
    dialect,
    scratch,
    proxy,
    holder,
    watch: watchProcess(t),
    baseline,
    counters: { scenarios: 0, steps: 0, operations: 0, faults: {}, missed: 0, reported: 0 },
  };
}

/** The pool under test for one scenario: through the proxy, its sessions named for the admin's view. */
export function scenarioPool(world: World, scenario: Scenario): Pool {
  return createPool({
    url: world.proxy.route(labelledUrl(world.scratch)),
    max: scenario.max,
    queryTimeoutMillis: scenario.queryTimeoutMillis,
    // Callers wait behind faults that hold a session (a stalled link, a held lock) for up to a few seconds.
    acquireTimeoutMillis: 20_000,
    onError: () => {
      world.counters.reported += 1;
    },
  });
}

/** Empties the ledger: operations number from 1 in every scenario, and their rows must not meet an earlier scenario's. */
export async function resetLedger(world: World): Promise<void> {
  await world.scratch.admin('DELETE FROM ledger');
}

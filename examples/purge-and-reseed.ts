/**
 * The operators' job that started sqlpin: purge the usage event streams
 * (app_usage_events, service_usage_events and every table that references
 * them) and reseed them from current state — one STARTED event per running
 * app, one CREATED event per service. Runs on MySQL, then PostgreSQL, each in
 * a scratch namespace, then makes a reseed fail half-way to show what each
 * server guarantees. Exits non-zero if anything was unexpected.
 *
 *   npx tsx examples/purge-and-reseed.ts
 */
import type { Connection, Dialect, Pool } from '../lib/index.js';
import { loadFixture, seedFixture } from '../fixtures/load.js';
import { Checklist } from './checklist.js';
import { onServer } from './on-server.js';
import { describeFailure, failureOf } from './server-errors.js';
import { withPool } from './sessions.js';

const EVENT_STREAMS = ['app_usage_events', 'service_usage_events'];

const APP_EVENTS_FROM_APPS = `INSERT INTO app_usage_events (state, app_id, app_name, instances, memory_mb)
  SELECT 'STARTED', id, name, instances, memory_mb FROM apps WHERE state = 'STARTED' ORDER BY id`;
const SERVICE_EVENTS_FROM_SERVICES = `INSERT INTO service_usage_events (state, service_id, service_name, plan)
  SELECT 'CREATED', id, name, plan FROM services ORDER BY id`;

async function reseedFromCurrentState(tx: Connection): Promise<void> {
  await tx.query(APP_EVENTS_FROM_APPS);
  await tx.query(SERVICE_EVENTS_FROM_SERVICES);
}

/**
 * Empties the event streams and what references them (consumers' positions
 * point at events that will no longer exist), restarting the event ids, then
 * reseeds them with `reseed`.
 */
async function purgeAndReseed(db: Pool, reseed: (tx: Connection) => Promise<void> = reseedFromCurrentState): Promise<void> {
  if (db.dialect === 'postgres') {
    // TRUNCATE is transactional here: purge and reseed commit together or not
    // at all. Its ACCESS EXCLUSIVE lock makes readers wait for the commit, so
    // none ever sees the streams empty.
    await db.transaction(async (tx) => {
      await tx.truncate(EVENT_STREAMS, { cascade: true });
      await reseed(tx);
    });
    return;
  }
  // MySQL commits implicitly at TRUNCATE, so the purge cannot share a
  // transaction with the reseed (sqlpin refuses with ERR_TRUNCATE_IN_TRANSACTION
  // rather than commit behind the caller's back). The purge runs first, the
  // reseed in one transaction after it: if the reseed fails, the streams are
  // left empty — never half-seeded — and running the job again repairs them.
  // Readers may see the streams empty for the length of the reseed.
  // Two alternatives were rejected. Filling fresh tables and swapping them in
  // with one RENAME TABLE is atomic, but InnoDB foreign keys follow a renamed
  // table, so usage_consumers would go on referencing the old streams until
  // its constraints were rebuilt. DELETE inside the transaction is atomic too,
  // but on streams of millions of rows it is slow and swells the undo log,
  // which is why operators TRUNCATE in the first place.
  await db.withConnection(async (conn) => {
    await conn.truncate(EVENT_STREAMS, { cascade: true });
    await conn.transaction(reseed);
  });
}

/** A reseed that fails after inserting the app events, as one can when a source query breaks. */
async function reseedThatFailsHalfway(tx: Connection): Promise<void> {
  await tx.query(APP_EVENTS_FROM_APPS);
  throw new Error('simulated failure after the app events were inserted');
}

/** The streams' rows as people read them, to print and to compare before and after. */
async function streams(db: Pool): Promise<string> {
  const apps = await db.query<{ id: unknown; state: string; app_name: string }>(
    'SELECT id, state, app_name FROM app_usage_events ORDER BY id',
  );
  const services = await db.query<{ id: unknown; state: string; service_name: string }>(
    'SELECT id, state, service_name FROM service_usage_events ORDER BY id',
  );
  const consumers = await db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM usage_consumers');
  const list = (rows: string[]) => (rows.length === 0 ? 'empty' : rows.join(', '));
  const positions = Number(consumers.rows[0]?.n);
  return (
    `app_usage_events: ${list(apps.rows.map((row) => `#${String(row.id)} ${row.state} ${row.app_name}`))}; ` +
    `service_usage_events: ${list(services.rows.map((row) => `#${String(row.id)} ${row.state} ${row.service_name}`))}; ` +
    `usage_consumers: ${positions} ${positions === 1 ? 'row' : 'rows'}`
  );
}

async function run(db: Pool, list: Checklist): Promise<void> {
  await loadFixture(db, 'usage-events');
  await seedFixture(db, 'usage-events');
  list.note(`before:  ${await streams(db)}`);

  await purgeAndReseed(db);
  const reseeded = await streams(db);
  list.note(`after:   ${reseeded}`);
  const expected =
    'app_usage_events: #1 STARTED web, #2 STARTED worker; service_usage_events: #1 CREATED orders-db, #2 CREATED cache; usage_consumers: 0 rows';
  list.check(reseeded === expected, 'purged and reseeded from current state: one event per running app and per service, ids from 1');

  const failure = await failureOf(purgeAndReseed(db, reseedThatFailsHalfway));
  const afterFailure = await streams(db);
  list.note(`a reseed that fails half-way: ${describeFailure(failure)}`);
  list.note(`after:   ${afterFailure}`);
  if (db.dialect === 'postgres') {
    list.check(
      failure !== undefined && afterFailure === reseeded,
      'the failed reseed rolled the purge back too: the streams are as they were',
    );
  } else {
    list.check(
      failure !== undefined && afterFailure.startsWith('app_usage_events: empty; service_usage_events: empty;'),
      'the failed reseed left the streams purged and empty, not half-seeded',
    );
    await purgeAndReseed(db);
    const rerun = await streams(db);
    list.note(`rerun:   ${rerun}`);
    list.check(rerun === expected, 'running the job again reseeded them');
  }
}

async function purgeOn(dialect: Dialect, list: Checklist): Promise<void> {
  await onServer(dialect, 'purge', list, async (scratch) => {
    list.note(`scratch ${dialect === 'mysql' ? 'database' : 'schema'} ${scratch.name}`);
    await withPool(scratch.url, { max: 2 }, (db) => run(db, list));
  });
}

const list = new Checklist();
for (const dialect of ['mysql', 'postgres'] as const) await purgeOn(dialect, list);
console.log(`\n${list.summary()}`);
process.exitCode = list.failed === 0 ? 0 : 1;

import { ForeignKeyTruncateError, type Pool } from '../../lib/index.js';
import { seedFixture } from '../../fixtures/load.js';
import { describeFailure, failureOf, formatCode } from '../server-errors.js';
import { onEverySession, warm, withPool } from '../sessions.js';
import { RACE_POOL, TRIES, countChain, emptyChain, formatCounts, type DemoContext } from './context.js';
import { inspectSession, type SessionState } from './inspect.js';

/**
 * Part 3: `db.truncate` holds one session for the whole operation and restores
 * its setting in `finally`, on the same warmed two-session pool shape that
 * made the naive pair fail.
 */
export async function showTheFix(context: DemoContext): Promise<void> {
  const { scratch, list } = context;
  list.section(`3. The fix: db.truncate('parent') on a warmed pool ${JSON.stringify(RACE_POOL)}`);
  await withPool(scratch.url, RACE_POOL, async (db) => {
    // Each part starts from empty tables, whatever the part before it left.
    await emptyChain(db);
    const ids = await warm(db, 2);
    list.note(`sessions ${ids.join(' and ')}`);
    list.note(`db.truncate works in ${context.dialect.howTheFixWorks}`);
    await truncateRepeatedly(db, context);
    await truncateWithCascade(db, context);
    await truncateWithReferencingRows(db, context);
  });
}

async function truncateRepeatedly(db: Pool, { dialect, list }: DemoContext): Promise<void> {
  let emptied = 0;
  let clean = 0;
  let guarded = 0;
  const failures: unknown[] = [];
  let states: SessionState[] = [];
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    await db.query("INSERT INTO parent (name) VALUES ('a'), ('b'), ('c')");
    const failure = await failureOf(db.truncate('parent'));
    if (failure !== undefined) failures.push(failure);
    else if ((await countChain(db)).parent === 0) emptied++;
    states = await onEverySession(db, 2, (conn) => inspectSession(conn, dialect));
    if (states.every((state) => state.enforcing)) clean++;
    if (states.every((state) => state.orphanRefusal === dialect.orphanRefused)) guarded++;
  }
  list.check(emptied === TRIES, `db.truncate('parent') succeeded and emptied parent in ${emptied} of ${TRIES} tries`);
  for (const failure of failures) list.note(`failed: ${describeFailure(failure)}`);
  const ids = states.map((state) => state.id).join(' and ');
  list.check(clean === TRIES, `both sessions (${ids}) had ${dialect.setting} = ${dialect.checksOn} after ${clean} of ${TRIES} tries`);
  list.check(
    guarded === TRIES,
    `an orphan child insert was refused with ${formatCode(dialect.orphanRefused)} on every session after ${guarded} of ${TRIES} tries`,
  );
}

async function truncateWithCascade(db: Pool, { list }: DemoContext): Promise<void> {
  await seedFixture(db, 'chain');
  const before = await countChain(db);
  const failure = await failureOf(db.truncate('parent', { cascade: true }));
  const after = await countChain(db);
  list.check(
    failure === undefined && Object.values(after).every((rows) => rows === 0),
    `db.truncate('parent', { cascade: true }) emptied the chain: ${formatCounts(before)} -> ${formatCounts(after)}`,
  );
  if (failure !== undefined) list.note(`failed: ${describeFailure(failure)}`);
}

/**
 * The default mode with rows in a referencing table: PostgreSQL refuses and
 * changes nothing; MySQL empties exactly the named table and leaves the
 * referencing rows, as it allows with checks off (DESIGN.md, truncate).
 */
async function truncateWithReferencingRows(db: Pool, { list }: DemoContext): Promise<void> {
  await seedFixture(db, 'chain');
  const before = await countChain(db);
  const failure = await failureOf(db.truncate('parent'));
  const after = await countChain(db);
  const change = `${formatCounts(before)} -> ${formatCounts(after)}`;
  if (db.dialect === 'postgres') {
    list.check(
      failure instanceof ForeignKeyTruncateError && formatCounts(after) === formatCounts(before),
      `db.truncate('parent') with rows in child throws ForeignKeyTruncateError and changes nothing (${change})`,
    );
    list.note(describeFailure(failure));
  } else {
    list.check(
      failure === undefined && after.parent === 0 && after.child === before.child,
      `db.truncate('parent') with rows in child empties exactly parent; child keeps its rows (${change})`,
    );
    if (failure !== undefined) list.note(`failed: ${describeFailure(failure)}`);
  }
  await emptyChain(db);
}

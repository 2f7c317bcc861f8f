/**
 * PostgreSQL's truncate plan without a server: from a catalog and the tables'
 * states, which tables go in the TRUNCATE, which are deleted from and in
 * what order, which counters restart and how, and what is refused before any
 * lock. The server suites and the differential fuzzer check what the statements do.
 */
import t from 'tap';
import type { TruncateConfig } from '../../lib/driver.js';
import { truncateConfig } from '../../lib/truncate.js';
import { ForeignKeyTruncateError, TruncateRefusedError } from '../../lib/errors.js';
import type { Catalog, CatalogTable, OwnedSequence } from '../../dialects/postgres/catalog.js';
import { planStatements, refuseBeforeLock } from '../../dialects/postgres/plan.js';
import type { PostgresTableState } from '../../dialects/postgres/probe.js';

/** The options as a truncate has them by default, with `changes`. */
const options = (changes: Partial<TruncateConfig> = {}) => truncateConfig(changes, 'truncate');

const sequence = (table: string, changes: Partial<OwnedSequence> = {}): OwnedSequence => ({
  name: `"app"."${table}_id_seq"`,
  start: '1',
  readable: true,
  owned: true,
  ...changes,
});

/** A plain table named `name`, oid `name`, with a counter, referenced by `referencedBy`. */
const table = (name: string, referencedBy: string[] = [], changes: Partial<CatalogTable> = {}): CatalogTable => ({
  oid: name,
  schema: 'app',
  name,
  kind: 'r',
  named: false,
  members: [name],
  referencedBy,
  sequences: [sequence(name)],
  rowSecurity: false,
  canSelect: true,
  canTruncate: true,
  truncateFires: false,
  mustTruncate: false,
  ...changes,
});

/** The catalog of a call that names `named` (their `named` flag set), meeting `others` through foreign keys. */
function catalog(named: CatalogTable[], others: CatalogTable[] = []): Catalog {
  const marked = named.map((each) => ({ ...each, named: true }));
  return { named: marked, tables: new Map([...marked, ...others].map((each) => [each.oid, each])) };
}

const state = (changes: Partial<PostgresTableState> = {}): PostgresTableState => ({
  hasRows: true,
  counterAtStart: false,
  rows: 10,
  mustTruncate: false,
  unseen: undefined,
  readCommitted: true,
  ...changes,
});
const EMPTY = state({ hasRows: false, rows: 0, counterAtStart: true });
const states = (entries: Record<string, PostgresTableState>) => new Map(Object.entries(entries));

const setval = (...tables: string[]) =>
  `SELECT ${tables.map((name) => `pg_catalog.setval(E'"app"."${name}_id_seq"'::pg_catalog.regclass, 1::pg_catalog.int8, false)`).join(', ')}`;

t.test('a referencing table that holds rows fails the call without cascade, naming it', async (t) => {
  const plan = () =>
    planStatements(
      catalog([table('parent', ['child'])], [table('child')]),
      states({ parent: state(), child: state() }),
      options(),
      'setval',
    );
  t.throws(plan, ForeignKeyTruncateError);
  t.throws(plan, { code: 'ERR_FOREIGN_KEY_TRUNCATE', referencingTables: ['app.child'] });
});

t.test('an empty referencing table joins the TRUNCATE and keeps its counter; the named one restarts', async (t) => {
  const sql = planStatements(
    catalog([table('parent', ['child'])], [table('child')]),
    states({ parent: state(), child: EMPTY }),
    options(),
    'setval',
  );
  t.same(sql, ['TRUNCATE "app"."parent", ONLY "app"."child" CONTINUE IDENTITY', setval('parent')]);
  const kept = planStatements(
    catalog([table('parent', ['child'])], [table('child')]),
    states({ parent: state(), child: EMPTY }),
    options({ restartIdentity: false }),
    'setval',
  );
  t.same(kept, ['TRUNCATE "app"."parent", ONLY "app"."child" CONTINUE IDENTITY'], 'restartIdentity: false restarts nothing');
  const alone = planStatements(catalog([table('parent')]), states({ parent: state() }), options(), 'setval');
  t.same(alone, ['TRUNCATE "app"."parent" RESTART IDENTITY'], 'every table in the statement restarts: RESTART IDENTITY does it');
});

t.test('clean tables are left alone: no rows and the counter where the call would leave it', async (t) => {
  const clean = catalog([table('a'), table('b')]);
  t.same(planStatements(clean, states({ a: EMPTY, b: EMPTY }), options(), 'setval'), []);
  const moved = state({ hasRows: false, rows: 0, counterAtStart: false });
  t.same(
    planStatements(clean, states({ a: moved, b: EMPTY }), options({ restartIdentity: false }), 'setval'),
    [],
    'a moved counter is kept when asked',
  );
  t.same(planStatements(clean, states({ a: moved, b: EMPTY }), options(), 'setval'), ['TRUNCATE "app"."a" RESTART IDENTITY']);
});

t.test('a table whose TRUNCATE fires a trigger is never skipped, named or needed beside a named one', async (t) => {
  const fires = { truncateFires: true };
  t.same(planStatements(catalog([table('a', [], fires)]), states({ a: EMPTY }), options(), 'setval'), [
    'TRUNCATE "app"."a" RESTART IDENTITY',
  ]);
  const sql = planStatements(
    catalog([table('parent', ['audit'])], [table('audit', [], fires)]),
    states({ parent: EMPTY, audit: EMPTY }),
    options(),
    'setval',
  );
  t.same(
    sql,
    ['TRUNCATE ONLY "app"."audit" CONTINUE IDENTITY'],
    'the raw statement needs it beside the parent, so its trigger fires; the clean parent is left alone',
  );
});

t.test('DELETE empties referencing tables first, then restarts the counters that moved', async (t) => {
  const chain = catalog([table('grand', ['parent'])], [table('parent', ['child']), table('child')]);
  const moved = states({ grand: state(), parent: state(), child: state({ counterAtStart: true }) });
  const sql = planStatements(chain, moved, options({ cascade: true, strategy: 'delete' }), 'setval');
  t.same(sql, [
    'DELETE FROM ONLY "app"."child"',
    'DELETE FROM ONLY "app"."parent"',
    'DELETE FROM "app"."grand"',
    setval('parent', 'grand'),
  ]);
  const altered = planStatements(chain, moved, options({ cascade: true, strategy: 'delete' }), 'alter sequence');
  t.same(
    altered.slice(3),
    ['ALTER SEQUENCE "app"."parent_id_seq" RESTART', 'ALTER SEQUENCE "app"."grand_id_seq" RESTART'],
    'the child, at its start, is not restarted',
  );
});

t.test('a cycle of references has no DELETE order: its tables go in the TRUNCATE, with all that reference them', async (t) => {
  const cycle = catalog([table('a', ['b'])], [table('b', ['a', 'c']), table('c')]);
  const sql = planStatements(
    cycle,
    states({ a: state(), b: state(), c: state() }),
    options({ cascade: true, strategy: 'delete' }),
    'setval',
  );
  t.same(sql, ['TRUNCATE "app"."a", ONLY "app"."b", ONLY "app"."c" RESTART IDENTITY']);
});

t.test("'auto' and a table a DELETE would not leave right", async (t) => {
  const three = catalog([table('small'), table('big'), table('hooked')]);
  const sql = planStatements(
    three,
    states({ small: state({ rows: 5 }), big: state({ rows: 1_001 }), hooked: state({ rows: 1, mustTruncate: true }) }),
    options({ strategy: 'auto' }),
    'setval',
  );
  t.same(sql, ['TRUNCATE "app"."big", "app"."hooked" RESTART IDENTITY', 'DELETE FROM "app"."small"', setval('small')]);
});

t.test('a partitioned table takes no ONLY, even met through a foreign key', async (t) => {
  const sql = planStatements(
    catalog([table('parent', ['parted'])], [table('parted', [], { kind: 'p', sequences: [] })]),
    states({ parent: state(), parted: state() }),
    options({ cascade: true }),
    'setval',
  );
  t.same(sql, ['TRUNCATE "app"."parent", "app"."parted" RESTART IDENTITY']);
});

t.test('refused before any lock: privileges, sequences not owned, referencing rows the role cannot see', async (t) => {
  const refusal = (make: () => void, reason: string, tables: string[]) => {
    t.throws(make, TruncateRefusedError);
    t.throws(make, { code: 'ERR_TRUNCATE_REFUSED', reason, tables });
  };
  refusal(() => refuseBeforeLock(catalog([table('a', [], { canTruncate: false })]), options()), 'privilege', ['app.a']);
  const notOwned = catalog([table('a', [], { sequences: [sequence('a', { owned: false })] })]);
  refusal(() => refuseBeforeLock(notOwned, options()), 'privilege', ['app.a']);
  t.doesNotThrow(() => refuseBeforeLock(notOwned, options({ restartIdentity: false })), 'restartIdentity: false needs no ownership');

  const hidden = catalog([table('parent', ['child'])], [table('child', [], { rowSecurity: true })]);
  refusal(() => refuseBeforeLock(hidden, options()), 'row security', ['app.child']);
  t.doesNotThrow(() => refuseBeforeLock(hidden, options({ cascade: true })), 'cascade empties it too: no need to see its rows');
  const unreadable = catalog([table('parent', ['child'])], [table('child', [], { canSelect: false })]);
  refusal(() => refuseBeforeLock(unreadable, options()), 'privilege', ['app.child']);

  const forbiddenChild = catalog([table('parent', ['child'])], [table('child', [], { canTruncate: false })]);
  t.doesNotThrow(() => refuseBeforeLock(forbiddenChild, options()), 'without cascade the raw statement names only the parent');
  refusal(() => refuseBeforeLock(forbiddenChild, options({ cascade: true })), 'privilege', ['app.child']);
});

import fc from 'fast-check';
import {
  type Call,
  type Case,
  type Counter,
  type Dialect,
  type Engine,
  type FkSpec,
  type OnDelete,
  relations,
  type RuleSpec,
  type Schema,
  type SessionSpec,
  type ViewSpec,
  type TableSpec,
  type TriggerSpec,
} from './model.js';

/**
 * A family is a part of the schema space: plain FK graphs, then one feature
 * at a time on top of them, so that a run can pick the families that pass on
 * the code under test and a failure points at one feature.
 */
export interface Family {
  readonly name: string;
  readonly dialects: readonly Dialect[];
  readonly about: string;
  readonly features: Features;
}

interface Features {
  readonly counters?: readonly Counter[];
  readonly engines?: readonly Engine[];
  /** The events triggers are drawn on. */
  readonly triggers?: readonly TriggerSpec['event'][];
  readonly rules?: boolean;
  readonly partitions?: boolean;
  readonly inheritance?: boolean;
  readonly versioned?: boolean;
  readonly views?: boolean;
  readonly rls?: boolean;
  readonly privileges?: boolean;
  /** Session state: the session moved, sql_mode and odd names; or (PG) a schema shadowing pg_catalog's functions. */
  readonly session?: 'moves' | 'shadow';
  readonly temporary?: boolean;
}

const BOTH: readonly Dialect[] = ['mysql', 'postgres'];

const FAMILIES: readonly Family[] = [
  { name: 'fk', dialects: BOTH, about: 'FK graphs: every ON DELETE action, self-references, cycles, deferrable (PG)', features: {} },
  {
    name: 'counters',
    dialects: BOTH,
    about: 'serial, identity, shared and OWNED BY sequences; AUTO_INCREMENT',
    features: { counters: ['serial', 'identity', 'shared', 'owned', 'auto'] },
  },
  {
    name: 'triggers',
    dialects: BOTH,
    about: 'INSERT, UPDATE and DELETE triggers of every timing and level, reached directly or by FK actions; rules (PG)',
    features: { triggers: ['INSERT', 'UPDATE', 'DELETE'], rules: true },
  },
  { name: 'truncate-triggers', dialects: ['postgres'], about: 'BEFORE and AFTER TRUNCATE triggers', features: { triggers: ['TRUNCATE'] } },
  {
    name: 'partitions',
    dialects: BOTH,
    about: 'partitioned tables, partitions named as targets and in except',
    features: { partitions: true },
  },
  { name: 'inheritance', dialects: ['postgres'], about: 'INHERITS children', features: { inheritance: true } },
  { name: 'views', dialects: BOTH, about: 'views and materialized views among the targets', features: { views: true } },
  {
    name: 'engines',
    dialects: ['mysql'],
    about: 'MyISAM, Aria and MEMORY tables beside InnoDB',
    features: { engines: ['InnoDB', 'MyISAM', 'Aria', 'MEMORY'] },
  },
  { name: 'versioned', dialects: ['mysql'], about: 'system-versioned tables', features: { versioned: true } },
  {
    name: 'temporary',
    dialects: ['mysql'],
    about: 'a temporary table shadowing a table on the calling session',
    features: { temporary: true },
  },
  { name: 'rls', dialects: ['postgres'], about: 'row security hiding rows from a non-owner role', features: { rls: true } },
  { name: 'privileges', dialects: BOTH, about: 'a role with a random subset of the table privileges', features: { privileges: true } },
  {
    name: 'session',
    dialects: BOTH,
    about: 'the session moved to another database/schema (in the pin or by the previous borrower), sql_mode, odd names',
    features: { session: 'moves' },
  },
  {
    name: 'search-path',
    dialects: ['postgres'],
    about: 'a schema of functions shadowing pg_catalog first on search_path',
    features: { session: 'shadow' },
  },
];

export function familiesOf(dialect: Dialect): Family[] {
  return FAMILIES.filter((family) => family.dialects.includes(dialect));
}

const ACTIONS: Record<Dialect, readonly OnDelete[]> = {
  postgres: ['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT'],
  mysql: ['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL'],
};
const MAX_TABLES = 5;
const MYSQL_PRIVILEGES = ['SELECT', 'DELETE', 'DROP', 'INSERT', 'UPDATE'];
const POSTGRES_PRIVILEGES = ['SELECT', 'DELETE', 'TRUNCATE', 'INSERT', 'UPDATE'];
const SQL_MODES = ['NO_BACKSLASH_ESCAPES', 'ANSI_QUOTES', 'ANSI', 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES', 'ORACLE', 'PAD_CHAR_TO_FULL_LENGTH'];

/*
 * Every part is drawn independently, indices as plain numbers taken modulo
 * what exists, then fitted to what the dialect can express: no `chain`, so
 * fast-check shrinks a failing case part by part down to a small schema.
 */

function tableArb(dialect: Dialect, features: Features): fc.Arbitrary<TableSpec> {
  const counters = (features.counters ?? ['none', dialect === 'mysql' ? 'auto' : 'serial']).filter((counter) =>
    dialect === 'mysql' ? counter === 'none' || counter === 'auto' : counter !== 'auto',
  );
  const kinds: TableSpec['kind'][] = ['plain'];
  if (features.partitions) kinds.push('partitioned');
  if (features.versioned) kinds.push('versioned');
  return fc.record({
    kind: fc.constantFrom(...kinds),
    engine: fc.constantFrom(...(features.engines ?? ['InnoDB'])),
    counter: fc.constantFrom(...counters),
    // Empty tables often: skipping clean tables, and empty referencing tables taken along, are half of what is under test.
    rows: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) }),
    burnt: fc.nat(3),
    hidden: fc.constantFrom(...(features.rls ? (['none', 'some', 'all'] as const) : (['none'] as const))),
    inherits: features.inheritance ? fc.option(fc.nat(MAX_TABLES - 1), { nil: undefined }) : fc.constant(undefined),
    seed: fc.nat(50),
  });
}

/** Makes a drawn table consistent with what its dialect can express, so every drawn schema can be created. */
function fitTable(dialect: Dialect, tables: TableSpec[], spec: TableSpec): TableSpec {
  let fixed = spec;
  const parent = spec.inherits === undefined || spec.inherits >= tables.length ? undefined : tables[spec.inherits];
  if (parent === undefined || parent.kind !== 'plain' || parent.inherits !== undefined || parent.counter === 'identity')
    fixed = { ...fixed, inherits: undefined };
  if (fixed.inherits !== undefined) fixed = { ...fixed, kind: 'plain', counter: 'none' };
  if (fixed.kind === 'partitioned' && fixed.counter === 'identity') fixed = { ...fixed, counter: 'serial' };
  if (dialect === 'mysql' && fixed.kind !== 'plain') fixed = { ...fixed, engine: 'InnoDB' };
  return fixed;
}

/** Can an FK run between these tables on this dialect (InnoDB only, no partitioned or versioned MySQL table)? */
function fkFits(dialect: Dialect, from: TableSpec, to: TableSpec): boolean {
  if (to.inherits !== undefined || from.inherits !== undefined) return false;
  if (dialect === 'postgres') return to.kind === 'plain' || to.kind === 'partitioned';
  return [from, to].every((t) => t.kind === 'plain' && t.engine === 'InnoDB');
}

function fkArb(dialect: Dialect): fc.Arbitrary<FkSpec> {
  return fc.record({
    from: fc.nat(MAX_TABLES - 1),
    to: fc.nat(MAX_TABLES - 1),
    onDelete: fc.constantFrom(...ACTIONS[dialect]),
    deferrable:
      dialect === 'postgres' ? fc.constantFrom('no' as const, 'immediate' as const, 'deferred' as const) : fc.constant('no' as const),
  });
}

function triggerArb(events: readonly TriggerSpec['event'][]): fc.Arbitrary<TriggerSpec> {
  return fc.record({
    table: fc.nat(MAX_TABLES - 1),
    timing: fc.constantFrom('BEFORE' as const, 'AFTER' as const),
    level: fc.constantFrom('ROW' as const, 'STATEMENT' as const),
    event: fc.constantFrom(...events),
    skip: fc.boolean(),
    onFk: fc.boolean(),
  });
}

/** What each dialect allows: TRUNCATE triggers are per statement (PG); MySQL has row triggers on INSERT, UPDATE and DELETE only. */
function fitTrigger(dialect: Dialect, trigger: TriggerSpec): TriggerSpec {
  if (dialect === 'mysql') return { ...trigger, level: 'ROW', event: trigger.event === 'TRUNCATE' ? 'DELETE' : trigger.event, skip: false };
  const level = trigger.event === 'TRUNCATE' ? 'STATEMENT' : trigger.level;
  return { ...trigger, level, skip: trigger.skip && trigger.timing === 'BEFORE' && level === 'ROW' };
}

function grantsArb(dialect: Dialect, features: Features): fc.Arbitrary<Schema['grants']> {
  if (features.rls) return fc.constant(Array.from({ length: MAX_TABLES }, () => POSTGRES_PRIVILEGES));
  if (!features.privileges) return fc.constant(undefined);
  const all = dialect === 'mysql' ? MYSQL_PRIVILEGES : POSTGRES_PRIVILEGES;
  // Mostly every privilege, some tables one short, a few any subset: a call over several tables then often succeeds.
  const table = fc.oneof(
    { weight: 3, arbitrary: fc.constant(all) },
    { weight: 2, arbitrary: fc.nat(all.length - 1).map((drop) => all.filter((_, i) => i !== drop)) },
    { weight: 1, arbitrary: fc.subarray(all) },
  );
  return fc.array(table, { minLength: MAX_TABLES, maxLength: MAX_TABLES });
}

function sessionArb(dialect: Dialect, features: Features): fc.Arbitrary<SessionSpec> {
  if (!features.session) return fc.constant({ sqlMode: undefined, shadow: false, move: 'none', oddNames: false, implicit: false });
  return fc.record({
    sqlMode: dialect === 'mysql' ? fc.option(fc.constantFrom(...SQL_MODES), { nil: undefined }) : fc.constant(undefined),
    shadow: fc.constant(features.session === 'shadow'),
    move:
      features.session === 'shadow'
        ? fc.constant('none' as const)
        : fc.constantFrom('none' as const, 'pinned' as const, 'previous' as const),
    oddNames: fc.boolean(),
    implicit: fc.constant(true),
  });
}

/** A drawn schema, before fitting: the same shape with indices not yet taken modulo the tables. */
interface Drawn {
  readonly tables: TableSpec[];
  readonly fks: FkSpec[];
  readonly triggers: TriggerSpec[];
  readonly rules: RuleSpec[];
  readonly views: ViewSpec[];
  readonly grants: Schema['grants'];
  readonly session: SessionSpec;
  readonly temp: number;
}

function drawnArb(dialect: Dialect, features: Features): fc.Arbitrary<Drawn> {
  const postgres = dialect === 'postgres';
  const rule = fc.record({
    table: fc.nat(MAX_TABLES - 1),
    event: fc.constantFrom('DELETE' as const, 'UPDATE' as const),
    instead: fc.boolean(),
  });
  const view = fc.record({ base: fc.nat(MAX_TABLES - 1), materialized: postgres ? fc.boolean() : fc.constant(false) });
  return fc.record({
    tables: fc.array(tableArb(dialect, features), { minLength: 1, maxLength: MAX_TABLES }),
    fks: fc.array(fkArb(dialect), { maxLength: 6 }),
    triggers: features.triggers ? fc.array(triggerArb(features.triggers), { maxLength: 4 }) : fc.constant([]),
    rules: features.rules && postgres ? fc.array(rule, { maxLength: 2 }) : fc.constant([]),
    views: features.views ? fc.array(view, { maxLength: 2 }) : fc.constant([]),
    grants: grantsArb(dialect, features),
    session: sessionArb(dialect, features),
    temp: fc.nat(MAX_TABLES - 1),
  });
}

/** The drawn parts made into a schema the dialect can create: indices modulo the tables, impossible parts dropped. */
function fitSchema(dialect: Dialect, features: Features, drawn: Drawn): Schema {
  const tables: TableSpec[] = [];
  for (const spec of drawn.tables) tables.push(fitTable(dialect, tables, spec));
  const n = tables.length;
  const plain = (i: number): boolean => tables[i]!.kind === 'plain';
  const fks = drawn.fks
    .map((fk) => ({ ...fk, from: fk.from % n, to: fk.to % n }))
    .filter((fk) => fkFits(dialect, tables[fk.from]!, tables[fk.to]!));
  const triggerTable = (t: TriggerSpec): number => (t.onFk && fks.length > 0 ? fks[t.table % fks.length]!.from : t.table % n);
  const triggers = drawn.triggers.map((t) => fitTrigger(dialect, { ...t, table: triggerTable(t) })).filter((t) => plain(t.table));
  const rules = drawn.rules.map((r) => ({ ...r, table: r.table % n })).filter((r) => plain(r.table));
  const temp = drawn.temp % n;
  return {
    tables,
    fks,
    triggers,
    rules,
    views: drawn.views.map((v) => ({ ...v, base: v.base % n })),
    grants: drawn.grants?.slice(0, n),
    rls: features.rls === true,
    session: drawn.session,
    shadowedByTemp: features.temporary && plain(temp) ? temp : undefined,
  };
}

/** Targets among every name (views too); `except` among tables and partitions, which is what it is for. */
function fitCall(dialect: Dialect, schema: Schema, call: { truncate: boolean; picks: number[] }): Call {
  const all = relations(schema, dialect);
  const keepable = all.filter((r) => r.kind === 'table' || r.kind === 'partition').length;
  if (call.truncate) return { kind: 'truncate', targets: call.picks.slice(0, 3).map((p) => p % all.length) };
  return { kind: 'all', except: [...new Set(call.picks.slice(0, 2).map((p) => p % keepable))] };
}

/** A case: a schema of the family, one call, one combination of options (each strategy runs it). */
export function caseArb(dialect: Dialect, family: Family): fc.Arbitrary<Case> {
  return fc
    .record({
      drawn: drawnArb(dialect, family.features),
      call: fc.record({ truncate: fc.boolean(), picks: fc.array(fc.nat(20), { minLength: 1, maxLength: 3 }) }),
      options: fc.record({ cascade: fc.boolean(), restartIdentity: fc.boolean() }),
    })
    .map(({ drawn, call, options }) => {
      const schema = fitSchema(dialect, family.features, drawn);
      return { schema, call: fitCall(dialect, schema, call), options };
    });
}

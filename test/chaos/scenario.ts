import fc from 'fast-check';

/**
 * What a chaos run does, as plain data that fast-check generates, shrinks and
 * prints: a small pool, then steps; each step starts a few operations at once,
 * some with a fault aimed at them.
 */
export interface Scenario {
  /** Pool size: small, so that operations share sessions and a fault's aftermath meets the next borrower. */
  readonly max: 1 | 2 | 3;
  /**
   * The pool's `queryTimeoutMillis`: 0, or long enough that no operation
   * without a fault reaches it, while a truncate held up by a lock does.
   */
  readonly queryTimeoutMillis: 0 | 1_000;
  readonly steps: readonly Step[];
}

/** Operations started together; at most one of them empties tables, so a table snapshot has one author. */
export interface Step {
  readonly ops: readonly Op[];
}

/** A statement of known length on the server (SLEEP / pg_sleep), tagged with its operation. */
export interface Pause {
  readonly kind: 'pause';
  readonly millis: number;
}

/** A transaction that inserts rows into the ledger, with savepoints begun at once (they queue), some of which throw. */
export interface Transaction {
  readonly kind: 'transaction';
  readonly inserts: number;
  readonly savepoints: readonly { readonly inserts: number; readonly throws: boolean }[];
  /** A tagged pause inside the transaction, after its inserts: what a fault aims at. */
  readonly pauseMillis: number;
}

/** Work inside a pinned callback: a pause, a transaction, or `db.query` re-entering the pin. */
export type Unit = Pause | Transaction | { readonly kind: 'reenter'; readonly millis: number };

export type Op =
  | (Pause & { readonly fault?: Fault })
  | (Transaction & { readonly fault?: Fault })
  | { readonly kind: 'pinned'; readonly units: readonly Unit[]; readonly fault?: Fault }
  | {
      readonly kind: 'truncate';
      readonly tables: readonly ('p' | 'c')[];
      readonly cascade: boolean;
      /** 'pin': called inside `withConnection`, whose session id the harness then knows. */
      readonly via: 'pool' | 'pin';
      readonly fault?: Fault;
    }
  | {
      readonly kind: 'truncateAll';
      readonly strategy: 'truncate' | 'delete' | 'auto';
      readonly via: 'pool' | 'pin';
      readonly fault?: Fault;
    };

/**
 * A fault aimed at one operation.
 * - timeout: the operation's pause gets `{ timeoutMillis }`, near its length or below it.
 * - kill: KILL / pg_terminate_backend ('session'), KILL QUERY / pg_cancel_backend ('statement'), from the admin connection.
 * - link: the proxy cuts, or stalls, the link of the operation's session.
 * - hold: another session holds a row of `table` FOR UPDATE while a truncate runs, released `millis`
 *   after the truncate is seen waiting; with `lockTimeoutMillis` the truncate is told to give up sooner,
 *   and past the pool's `queryTimeoutMillis` it times out. `during`: a second fault, struck while it waits.
 * - abort: `{ signal }` aborted before the call or `afterMillis` into it.
 * `afterMillis`: how long after the target is seen running the fault strikes.
 */
export type Fault =
  | { readonly kind: 'timeout'; readonly timeoutMillis: number }
  | { readonly kind: 'kill'; readonly mode: 'session' | 'statement'; readonly afterMillis: number }
  | { readonly kind: 'link'; readonly mode: 'cut' | 'stall'; readonly afterMillis: number }
  | {
      readonly kind: 'hold';
      readonly table: 'p' | 'c';
      readonly millis: number;
      readonly lockTimeoutMillis: number;
      readonly during?: Fault;
    }
  | { readonly kind: 'abort'; readonly afterMillis: number; readonly before: boolean };

/** The fault families a run may draw from; each tap subtest draws from one, 'mixed' from all enabled ones. */
export type FaultFamily = 'timeout' | 'kill' | 'cancel' | 'link' | 'hold' | 'abort';
export const FAULT_FAMILIES: readonly FaultFamily[] = ['timeout', 'kill', 'cancel', 'link', 'hold', 'abort'];

const pauseMillis = fc.integer({ min: 0, max: 60 });
const strikeAfter = fc.integer({ min: 0, max: 40 });

/** Faults for operations that run tagged statements (everything but truncates); undefined when the families have none. */
function statementFault(families: readonly FaultFamily[]): fc.Arbitrary<Fault> | undefined {
  const options: fc.Arbitrary<Fault>[] = [];
  if (families.includes('timeout'))
    options.push(fc.record({ kind: fc.constant('timeout'), timeoutMillis: fc.integer({ min: 1, max: 80 }) }));
  if (families.includes('kill'))
    options.push(fc.record({ kind: fc.constant('kill'), mode: fc.constant('session'), afterMillis: strikeAfter }));
  if (families.includes('cancel'))
    options.push(fc.record({ kind: fc.constant('kill'), mode: fc.constant('statement'), afterMillis: strikeAfter }));
  if (families.includes('link'))
    options.push(fc.record({ kind: fc.constant('link'), mode: fc.constantFrom('cut', 'stall'), afterMillis: strikeAfter }));
  if (families.includes('abort')) options.push(abortFault);
  return options.length === 0 ? undefined : fc.oneof(...options);
}

const abortFault: fc.Arbitrary<Fault> = fc.record({ kind: fc.constant('abort'), afterMillis: strikeAfter, before: fc.boolean() });

/**
 * Faults for truncates: a held row makes the truncate wait where a fault can
 * find it, and the fault (a kill, a cut link) strikes while it waits; or the
 * hold alone, with a lock timeout, or the pool's statement timeout, to end it.
 */
function truncateFault(families: readonly FaultFamily[]): fc.Arbitrary<Fault> | undefined {
  const hold = (during: fc.Arbitrary<Fault | undefined>) =>
    fc.record({
      kind: fc.constant('hold' as const),
      table: fc.constantFrom('p' as const, 'c' as const),
      millis: fc.integer({ min: 50, max: 1_500 }),
      lockTimeoutMillis: fc.constantFrom(0, 0, 100, 300),
      during,
    });
  const follow: fc.Arbitrary<Fault>[] = [];
  if (families.includes('kill'))
    follow.push(fc.record({ kind: fc.constant('kill'), mode: fc.constant('session'), afterMillis: strikeAfter }));
  if (families.includes('cancel'))
    follow.push(fc.record({ kind: fc.constant('kill'), mode: fc.constant('statement'), afterMillis: strikeAfter }));
  if (families.includes('link'))
    follow.push(fc.record({ kind: fc.constant('link'), mode: fc.constantFrom('cut', 'stall'), afterMillis: strikeAfter }));
  const options: fc.Arbitrary<Fault>[] = follow.map((during) => hold(during) as fc.Arbitrary<Fault>);
  if (families.includes('hold') || families.includes('timeout')) options.push(hold(fc.constant(undefined)) as fc.Arbitrary<Fault>);
  if (families.includes('abort')) options.push(abortFault);
  return options.length === 0 ? undefined : fc.oneof(...options);
}

/** `fault` on about one operation in three, when the family has faults of that kind. */
function maybe(fault: fc.Arbitrary<Fault> | undefined): fc.Arbitrary<{ fault?: Fault }> {
  if (fault === undefined) return fc.constant({});
  return fc.oneof({ weight: 2, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fault.map((f) => ({ fault: f })) });
}

const savepoints = fc.array(fc.record({ inserts: fc.integer({ min: 0, max: 2 }), throws: fc.boolean() }), { maxLength: 2 });
const transaction = fc.record({
  kind: fc.constant('transaction' as const),
  inserts: fc.integer({ min: 0, max: 2 }),
  savepoints,
  pauseMillis,
});
const unit: fc.Arbitrary<Unit> = fc.oneof(
  fc.record({ kind: fc.constant('pause' as const), millis: pauseMillis }),
  transaction,
  fc.record({ kind: fc.constant('reenter' as const), millis: pauseMillis }),
);

function statementOp(families: readonly FaultFamily[]): fc.Arbitrary<Op> {
  const fault = statementFault(families);
  const withFault = <T extends object>(op: fc.Arbitrary<T>) =>
    fc.tuple(op, maybe(fault)).map(([o, f]) => ({ ...o, ...f }) as unknown as Op);
  return fc.oneof(
    withFault(fc.record({ kind: fc.constant('pause' as const), millis: pauseMillis })),
    withFault(transaction),
    withFault(fc.record({ kind: fc.constant('pinned' as const), units: fc.array(unit, { minLength: 1, maxLength: 3 }) })),
  );
}

/** Tables a truncate names: always a set the server lets it empty without refusing (c references p). */
const truncateTargets = fc.constantFrom(
  { tables: ['p', 'c'] as const, cascade: false },
  { tables: ['c', 'p'] as const, cascade: false },
  { tables: ['c'] as const, cascade: false },
  { tables: ['p'] as const, cascade: true },
);

function truncateOp(families: readonly FaultFamily[]): fc.Arbitrary<Op> {
  const fault = maybe(truncateFault(families));
  const via = fc.constantFrom('pool' as const, 'pin' as const);
  return fc.oneof(
    fc.tuple(truncateTargets, via, fault).map(([target, v, f]) => ({ kind: 'truncate' as const, ...target, via: v, ...f })),
    fc
      .tuple(fc.constantFrom('truncate' as const, 'delete' as const, 'auto' as const), via, fault)
      .map(([strategy, v, f]) => ({ kind: 'truncateAll' as const, strategy, via: v, ...f })),
  );
}

/** A step: one to three operations, at most one of which empties tables. */
function step(families: readonly FaultFamily[]): fc.Arbitrary<Step> {
  return fc
    .tuple(fc.array(statementOp(families), { minLength: 0, maxLength: 2 }), fc.option(truncateOp(families), { nil: undefined }))
    .filter(([others, truncate]) => others.length > 0 || truncate !== undefined)
    .map(([others, truncate]) => ({ ops: truncate === undefined ? others : [...others, truncate] }));
}

/** Scenarios drawing faults from `families` (none: a run with no faults, which must pass as it is). */
export function scenarios(families: readonly FaultFamily[], maxSteps: number): fc.Arbitrary<Scenario> {
  return fc.record({
    max: fc.constantFrom(1 as const, 2 as const, 3 as const),
    queryTimeoutMillis: fc.constantFrom(0 as const, 1_000 as const),
    steps: fc.array(step(families), { minLength: 1, maxLength: maxSteps }),
  });
}

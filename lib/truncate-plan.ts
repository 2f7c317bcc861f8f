/**
 * Decisions both dialects' truncate make the same way, on tables identified
 * by a key of the adapter's choosing (an oid, `schema.name`).
 */
import type { TruncateConfig } from './driver.js';

/** What one catalog-and-state look-up says of a table. */
export interface TableState {
  readonly hasRows: boolean;
  /** The identity counter is where a restart would put it (or the table has none). */
  readonly counterAtStart: boolean;
  /**
   * Rows, as far as the look-up knows them: 0 for none; at most `rowProbeLimit`,
   * meaning "at least that many" at the limit. Below the threshold 'auto' applies,
   * an adapter may give any count that is on the same side of it.
   */
  readonly rows: number;
  /** A DELETE would do what TRUNCATE does not (fire a user trigger, run a rule, ...): only TRUNCATE leaves the right result. */
  readonly mustTruncate: boolean;
}

/** How one table is emptied. */
export type EmptyMethod = 'truncate' | 'delete';

/**
 * Where 'auto' switches from DELETE to TRUNCATE: the most rows for which a
 * DELETE (plus the counter reset, where one is needed) is still faster than
 * TRUNCATE. Each dialect's figures come from the measured curve in bench W5.
 */
export interface AutoThresholds {
  /** The counter stays where it is: `restartIdentity: false`, or it has not moved. */
  readonly counterKept: number;
  /** The counter must be reset after the DELETE, which costs a statement of its own. */
  readonly counterReset: number;
}

/**
 * A table that holds no rows and whose counter is already where the call
 * would leave it needs no TRUNCATE: emptying it would change nothing.
 */
export function isClean(state: Pick<TableState, 'hasRows' | 'counterAtStart'>, restartIdentity: boolean): boolean {
  return !state.hasRows && (state.counterAtStart || !restartIdentity);
}

/** How many rows the state look-up counts per table: one says whether there are any; 'auto' needs to know if there are more than its threshold. */
export function rowProbeLimit(strategy: TruncateConfig['strategy'], thresholds: AutoThresholds): number {
  return strategy === 'auto' ? Math.max(thresholds.counterKept, thresholds.counterReset) + 1 : 1;
}

/**
 * Whether a DELETE may be chosen for a table, knowing only where its counter
 * is (undefined: not known yet). Where it may not, its rows need not be
 * counted nor its triggers read: only whether it is clean.
 */
export function mayDelete(counterAtStart: boolean | undefined, options: TruncateConfig, thresholds: AutoThresholds): boolean {
  if (options.strategy !== 'auto') return options.strategy === 'delete';
  if (counterAtStart === undefined) return true;
  return (options.restartIdentity && !counterAtStart ? thresholds.counterReset : thresholds.counterKept) >= 0;
}

/** Whether the counter must be set back after a DELETE: TRUNCATE would have restarted it. */
export function counterNeedsReset(state: TableState, restartIdentity: boolean): boolean {
  return restartIdentity && !state.counterAtStart;
}

/**
 * TRUNCATE or DELETE for one dirty table. Every strategy leaves the same
 * result, so a table whose DELETE would differ from TRUNCATE is always truncated.
 */
export function methodFor(state: TableState, options: TruncateConfig, thresholds: AutoThresholds): EmptyMethod {
  if (options.strategy === 'truncate' || state.mustTruncate) return 'truncate';
  if (options.strategy === 'delete') return 'delete';
  const limit = counterNeedsReset(state, options.restartIdentity) ? thresholds.counterReset : thresholds.counterKept;
  return state.rows <= limit ? 'delete' : 'truncate';
}

/**
 * The tables in `start` and every table that references one of them,
 * transitively; `referencedBy(key)` lists a table's direct referencers.
 * Self-references and cycles end because each table is visited once.
 */
export function withReferencing<K>(start: Iterable<K>, referencedBy: (key: K) => Iterable<K>): Set<K> {
  const found = new Set(start);
  for (const key of found) {
    for (const referencing of referencedBy(key)) found.add(referencing);
  }
  return found;
}

/** The tables among `keys` that lie on a cycle of references (a self-reference included). */
export function onCycle<K>(keys: Iterable<K>, referencedBy: (key: K) => Iterable<K>): Set<K> {
  const cyclic = new Set<K>();
  for (const key of keys) {
    // A table is on a cycle when it is among the tables that reference it, transitively.
    if (withReferencing(referencedBy(key), referencedBy).has(key)) cyclic.add(key);
  }
  return cyclic;
}

/**
 * `keys` ordered so that every table comes after the tables among `keys` that
 * reference it: deleting in that order never leaves a referencing row behind.
 * The references among `keys` must not form a cycle.
 */
export function referencingFirst<K>(keys: readonly K[], referencedBy: (key: K) => Iterable<K>): K[] {
  const among = new Set(keys);
  const ordered: K[] = [];
  const placed = new Set<K>();
  const place = (key: K) => {
    if (placed.has(key)) return;
    placed.add(key);
    for (const referencing of referencedBy(key)) if (among.has(referencing) && referencing !== key) place(referencing);
    ordered.push(key);
  };
  keys.forEach(place);
  return ordered;
}

/**
 * Decisions both dialects' truncate make the same way, on tables identified
 * by a key of the adapter's choosing (an oid, `schema.name`).
 */

/** What one catalog-and-state look-up says of a table. */
export interface TableState {
  readonly hasRows: boolean;
  /** The identity counter is where a restart would put it (or the table has none). */
  readonly counterAtStart: boolean;
}

/**
 * A table that holds no rows and whose counter is already where the call
 * would leave it needs no TRUNCATE: emptying it would change nothing.
 */
export function isClean(state: TableState, restartIdentity: boolean): boolean {
  return !state.hasRows && (state.counterAtStart || !restartIdentity);
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

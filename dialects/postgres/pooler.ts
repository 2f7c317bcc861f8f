import type { TransactionPin } from '../../lib/driver.js';

/**
 * Session state a pinned callback may leave on a server session, undone
 * inside its transaction: after COMMIT the proxy may hand the server session
 * to another client, so nothing can be sent on it afterwards. This is DISCARD
 * ALL (which cannot run in a transaction) statement by statement.
 */
const UNDO_SESSION_STATE =
  'CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DEALLOCATE ALL; UNLISTEN *; ' +
  'SELECT pg_catalog.pg_advisory_unlock_all(); DISCARD PLANS; DISCARD SEQUENCES; DISCARD TEMP';

/**
 * PostgreSQL behind a transaction pooler. The savepoint lets a failed callback's
 * transaction be rolled back to its start, where the undoing can run, whatever
 * error aborted it; session-level advisory locks survive a ROLLBACK otherwise.
 */
export const PIN_BY_TRANSACTION: TransactionPin = {
  afterBegin: 'SAVEPOINT sqlpin_pin; SELECT pg_catalog.pg_backend_pid() AS id',
  commit: `${UNDO_SESSION_STATE}; COMMIT`,
  rollback: `ROLLBACK TO SAVEPOINT sqlpin_pin; ${UNDO_SESSION_STATE}; ROLLBACK`,
};

/** Said once per pool when a session turns out to come through a pooler that the options did not mention. */
export function proxyWarning(): Error {
  return new Error(
    'sqlpin: PostgreSQL sessions come through a connection pooler (the backend pid differs from the one announced at login). ' +
      'If the pooler runs pool_mode = transaction (PgBouncer), ' +
      "create the pool with pooler: 'transaction': otherwise work in one withConnection may run on several server sessions and session state leaks to other clients.",
  );
}

/**
 * Whether the pool's sessions reach PostgreSQL itself, decided once per pool
 * by sqlpin's first truncate, which asks the backend's pid first. A
 * pooler announces a pid of its own at login, which the server contradicts.
 * Found a pooler the options did not mention: said once, since behind a
 * transaction pooler a pinned session is not one server session unless
 * sqlpin knows.
 */
export class PoolerCheck {
  #known: boolean | undefined;
  readonly #foundPooler: () => void;

  constructor(known: boolean | undefined, foundPooler: () => void) {
    this.#known = known;
    this.#foundPooler = foundPooler;
  }

  /** Whether sessions reach the server itself; undefined until the first comparison. */
  get direct(): boolean | undefined {
    return this.#known;
  }

  /** Compares the pid announced at login with the backend's own; the first comparison decides. */
  note(announced: number, backend: number): void {
    if (this.#known !== undefined) return;
    this.#known = backend === announced;
    if (!this.#known) this.#foundPooler();
  }
}

import type { Session } from './driver.js';

/**
 * How long a session may serve: `maxLifetimeMillis` from the moment it opened,
 * `maxUses` borrows. Both are judged only between borrows, so work is never
 * cut short: a session past either limit is closed when it comes back (or
 * when it would be handed out again), and the pool opens a fresh one on demand.
 */
export class Lifetimes {
  readonly #maxLifetimeMillis: number;
  readonly #maxUses: number;
  /** Both limits off: nothing is recorded or looked up, on any path. */
  readonly #off: boolean;
  /** When each session opened and how often it was lent; dropped with the session. */
  readonly #records = new WeakMap<Session, { readonly opened: number; uses: number }>();

  /** 0 turns a limit off. */
  constructor(maxLifetimeMillis: number, maxUses: number) {
    this.#maxLifetimeMillis = maxLifetimeMillis;
    this.#maxUses = maxUses;
    this.#off = maxLifetimeMillis === 0 && maxUses === 0;
  }

  /** Records a session that just opened. */
  opened(session: Session): void {
    if (!this.#off) this.#records.set(session, { opened: Date.now(), uses: 0 });
  }

  /** Counts one borrow that has ended; true when the session has served its time. */
  returned(session: Session): boolean {
    if (this.#off) return false;
    const record = this.#records.get(session);
    if (record === undefined) return false;
    record.uses += 1;
    return this.#tooOld(record) || (this.#maxUses > 0 && record.uses >= this.#maxUses);
  }

  /** True for an idle session whose lifetime ended while it waited in the pool. */
  expired(session: Session): boolean {
    if (this.#maxLifetimeMillis === 0) return false;
    const record = this.#records.get(session);
    return record !== undefined && this.#tooOld(record);
  }

  #tooOld(record: { readonly opened: number }): boolean {
    return this.#maxLifetimeMillis > 0 && Date.now() - record.opened >= this.#maxLifetimeMillis;
  }
}

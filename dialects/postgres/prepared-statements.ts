/**
 * What sqlpin knows of its prepared statements on one server session. A
 * statement of the caller's may drop them (DEALLOCATE, DISCARD ALL, one
 * inside a DO block): then each is looked up before it is prepared again, so
 * a PREPARE never meets one that is still there.
 */
export class PreparedStatements {
  readonly #known = new Set<string>();
  #unsure = false;

  has(name: string): boolean {
    return this.#known.has(name);
  }

  /** Whether `name`, not known to be prepared, may still exist on the server. */
  mayExist(name: string): boolean {
    return this.#unsure && !this.#known.has(name);
  }

  add(name: string): void {
    this.#known.add(name);
  }

  /** Something that may have dropped them ran, or a PREPARE's outcome is unknown. */
  mayBeDropped(): void {
    this.#known.clear();
    this.#unsure = true;
  }

  /** The server has none for certain: DISCARD ALL answered. */
  dropped(): void {
    this.#known.clear();
    this.#unsure = false;
  }
}

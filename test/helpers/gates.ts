import { openHolder, type Holder } from './holder.js';
import type { Scratch } from './servers.js';

/**
 * Gates: rows of a `gates` table that a holder session locks in an open
 * transaction. A statement that locks the same row waits on the server until
 * the gate opens, so a test decides when it ends (no sleep that load can stretch).
 */
export const GATE_COUNT = 4;

/** Creates the gates table in the scratch namespace, one row per gate. */
export async function createGates(scratch: Scratch): Promise<void> {
  await scratch.admin('CREATE TABLE gates (id INT PRIMARY KEY)');
  for (let id = 1; id <= GATE_COUNT; id++) await scratch.admin(`INSERT INTO gates (id) VALUES (${id})`);
}

/** A statement that waits until gate `id` is open, tagged so the process list shows whose it is. */
export function throughGate(id: number, tag: string): string {
  return `/* ${tag} */ SELECT id FROM gates WHERE id = ${id} FOR UPDATE`;
}

/** One gate and the session that holds it shut. Reusable: shut and open it as often as needed. */
export class Gate {
  readonly id: number;
  readonly #holder: Holder;
  #shut = false;

  private constructor(id: number, holder: Holder) {
    this.id = id;
    this.#holder = holder;
  }

  static async open(scratch: Scratch, id: number): Promise<Gate> {
    return new Gate(id, await openHolder(scratch));
  }

  /** The holder's session id: never one of the pool's. */
  get holderId(): number {
    return this.#holder.id;
  }

  async shut(): Promise<void> {
    await this.#holder.query('BEGIN');
    await this.#holder.query(`SELECT id FROM gates WHERE id = ${this.id} FOR UPDATE`);
    this.#shut = true;
  }

  /** Opens the gate: whatever waits on it goes on. */
  async release(): Promise<void> {
    if (!this.#shut) return;
    this.#shut = false;
    await this.#holder.query('ROLLBACK');
  }

  async close(): Promise<void> {
    await this.release();
    await this.#holder.close();
  }
}

/** A holder that keeps a table locked against TRUNCATE in an open transaction, until `release`. */
export class TableHolder {
  readonly #holder: Holder;

  private constructor(holder: Holder) {
    this.#holder = holder;
  }

  static async open(scratch: Scratch): Promise<TableHolder> {
    return new TableHolder(await openHolder(scratch));
  }

  get id(): number {
    return this.#holder.id;
  }

  /**
   * Reads `table` in an open transaction: a shared metadata lock (MySQL) or
   * ACCESS SHARE (PostgreSQL) that TRUNCATE must wait for. `forUpdate` also
   * locks the first row, as a `SELECT … FOR UPDATE` from another service would.
   */
  async hold(table: string, { forUpdate = false } = {}): Promise<void> {
    await this.#holder.query('BEGIN');
    await this.#holder.query(`SELECT id FROM ${table} ORDER BY id LIMIT 1${forUpdate ? ' FOR UPDATE' : ''}`);
  }

  async release(): Promise<void> {
    await this.#holder.query('ROLLBACK');
  }

  async close(): Promise<void> {
    await this.#holder.close();
  }
}

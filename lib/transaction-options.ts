import type { AbortSignalLike } from './signal.js';
import { InvalidArgumentError } from './errors.js';
import { BOOLEAN, readOptions, SIGNAL, type OptionsOwner } from './options.js';

/** Isolation levels both dialects take, as SQL spells them. */
export type Isolation = 'read committed' | 'repeatable read' | 'serializable';

/** Options of `transaction`; `isolation`, `readOnly` and `retries` belong to the outermost level. */
export interface TransactionOptions {
  isolation?: Isolation;
  /** Begins the transaction READ ONLY (true) or READ WRITE (false); left out, the session's default. */
  readOnly?: boolean;
  /**
   * Runs the callback again, up to this many more times, when the server
   * rolled the transaction back over a conflict it says to retry (a deadlock,
   * a serialization failure). The callback must be safe to run more than once.
   * Default 0.
   */
  retries?: number;
  /** Cancels the running statement (on the server) and rolls back when it aborts. */
  signal?: AbortSignalLike;
}

/** How a transaction begins. */
export interface TransactionMode {
  readonly isolation?: Isolation | undefined;
  readonly readOnly?: boolean | undefined;
}

/** `transaction` options after validation. */
export interface TransactionConfig {
  readonly mode: TransactionMode;
  readonly retries: number;
  readonly signal: AbortSignalLike | undefined;
  /** The options given that only the outermost level takes, to refuse at a savepoint. */
  readonly outermostOnly: readonly string[];
}

/** The most retries one call may ask for: past a handful, a conflict is not transient. */
const MOST_RETRIES = 100;

const RULES = {
  isolation: { kind: 'choice', choices: ['read committed', 'repeatable read', 'serializable'] as Isolation[] },
  readOnly: BOOLEAN,
  retries: { kind: 'whole', least: 0, most: MOST_RETRIES },
  signal: SIGNAL,
} as const;

const OWNER: OptionsOwner = { prefix: 'transaction option', fail: (message) => new InvalidArgumentError(message) };

/** A plain transaction: no options. */
export const PLAIN_TRANSACTION: TransactionConfig = { mode: {}, retries: 0, signal: undefined, outermostOnly: [] };

/** Validates `transaction` options before anything is sent. */
export function prepareTransaction(options: unknown): TransactionConfig {
  if (options === undefined) return PLAIN_TRANSACTION;
  const given = readOptions(options, RULES, OWNER);
  return {
    mode: { isolation: given.isolation, readOnly: given.readOnly },
    retries: given.retries ?? 0,
    signal: given.signal,
    outermostOnly: (['isolation', 'readOnly', 'retries'] as const).filter((key) => given[key] !== undefined),
  };
}

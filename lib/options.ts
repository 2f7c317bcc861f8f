import type { AbortSignalLike } from './signal.js';
import { describe } from './identifiers.js';

/** Node fires a timer set for longer than this after 1 ms, which would time out every wait at once. */
export const LONGEST_TIMER_MILLIS = 2_147_483_647;

/** What one option may hold. Values of kind `any` are checked by their caller. */
export type Rule =
  | { readonly kind: 'whole'; readonly least: number; readonly most?: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'choice'; readonly choices: readonly string[] }
  | { readonly kind: 'signal' }
  | { readonly kind: 'any' };

export type Rules = Readonly<Record<string, Rule>>;

type ValueOf<R extends Rule> = R extends { kind: 'whole' }
  ? number
  : R extends { kind: 'boolean' }
    ? boolean
    : R extends { kind: 'choice'; choices: readonly (infer C)[] }
      ? C
      : R extends { kind: 'signal' }
        ? AbortSignalLike
        : unknown;

/** The options as read: each value of its rule's type, or undefined where it was left out. */
export type ReadOptions<R extends Rules> = { readonly [K in keyof R]?: ValueOf<R[K]> | undefined };

/** A millisecond bound that a timer can hold: 0 to about 24.8 days. */
export const MILLIS = { kind: 'whole', least: 0, most: LONGEST_TIMER_MILLIS } as const satisfies Rule;
export const BOOLEAN = { kind: 'boolean' } as const satisfies Rule;
/** An `AbortSignal` that cancels the call. */
export const SIGNAL = { kind: 'signal' } as const satisfies Rule;

/** Where options are read: how messages name them, and the error class they raise. */
export interface OptionsOwner {
  /** e.g. 'truncate option' or 'query option'; '' for createPool's own options. */
  readonly prefix: string;
  fail(message: string): Error;
}

/**
 * The one reader of options objects, for the pool, queries, transactions and
 * truncates: an object whose every key has a rule, and every value given fits
 * it. Left out (or undefined), a value stays undefined for the caller to default.
 */
export function readOptions<R extends Rules>(given: unknown, rules: R, owner: OptionsOwner): ReadOptions<R> {
  if (given === undefined) return {};
  const what = owner.prefix === '' ? 'options' : `${owner.prefix}s`;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw owner.fail(`${what} are an object, not ${describe(given)}`);
  }
  const values = given as Record<string, unknown>;
  const unknown = Object.keys(values).filter((key) => !Object.hasOwn(rules, key));
  if (unknown.length > 0) {
    const name = owner.prefix === '' ? 'option' : owner.prefix;
    throw owner.fail(`unknown ${name} ${unknown.map((key) => JSON.stringify(key)).join(', ')}`);
  }
  for (const [key, rule] of Object.entries(rules)) {
    const value = values[key];
    const problem = value === undefined ? undefined : misfit(value, rule);
    if (problem !== undefined) {
      const name = owner.prefix === '' ? key : `${owner.prefix} ${key}`;
      throw owner.fail(`${name} must be ${problem}, not ${describe(value)}`);
    }
  }
  return values as ReadOptions<R>;
}

/** What the value should have been, or undefined when it fits. */
function misfit(value: unknown, rule: Rule): string | undefined {
  switch (rule.kind) {
    case 'whole': {
      const most = rule.most ?? Number.MAX_SAFE_INTEGER;
      const fits = typeof value === 'number' && Number.isSafeInteger(value) && value >= rule.least && value <= most;
      if (fits) return undefined;
      return most === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${rule.least}` : `a whole number from ${rule.least} to ${most}`;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'choice':
      return rule.choices.includes(value as string) ? undefined : `one of ${rule.choices.map((choice) => `'${choice}'`).join(', ')}`;
    case 'signal':
      return value instanceof AbortSignal ? undefined : 'an AbortSignal';
    case 'any':
      return undefined;
  }
}

/** A whole number from the environment: `fallback` when unset or empty; anything else is refused, naming `name`. */
export function wholeNumber(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`${name} must be a whole number, not ${JSON.stringify(value)}`);
  return parsed;
}

/**
 * How many times a racy case is repeated: `full`, or fewer where SQLPIN_TRIES
 * caps it. CI proves each case `full` times in its first run of the suite and
 * caps the runs that repeat the suite on other Node versions, drivers and
 * PostgreSQL majors, which check the same paths, not the same odds.
 */
export function racyTries(full: number): number {
  const cap = wholeNumber(process.env.SQLPIN_TRIES, full, 'SQLPIN_TRIES');
  if (cap === 0) throw new Error('SQLPIN_TRIES must be at least 1');
  return Math.min(full, cap);
}

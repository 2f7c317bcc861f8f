/**
 * Query values for a session under NO_BACKSLASH_ESCAPES. mysql2 fills values
 * in on the client and escapes a quote as `\'`, which that mode reads as a
 * backslash followed by the end of the string: a value could end its literal
 * and run as SQL. Under the mode a string is written the one way it reads:
 * each quote doubled, every other character as it is (NUL included; the
 * server reads the literal by length). Outside the mode mysql2's escaping is
 * right and is left alone.
 *
 * Why not hex literals or prepared statements: `X'…'` with an introducer takes
 * its charset's default collation, not the connection's, so two of them can
 * meet as an illegal mix of collations; the binary protocol returns other
 * types and cannot run every statement. libmysqlclient does the same as here
 * (mysql_real_escape_string reads the server status flag).
 */

/** SERVER_STATUS_NO_BACKSLASH_ESCAPES (include/mysql_com.h), in the status flags of the handshake and of each OK packet. */
export const SERVER_STATUS_NO_BACKSLASH_ESCAPES = 0x0200;

/**
 * `params` as the driver must format them when the server reads backslashes
 * literally (`noBackslashEscapes`); otherwise the caller's array itself, which
 * mysql2 only reads (no copy on every query).
 */
export function valuesFor(params: readonly unknown[], noBackslashEscapes: boolean): unknown[] {
  return noBackslashEscapes ? params.map(withoutEscapes) : (params as unknown[]);
}

/** One value, its strings as doubled-quote literals; what mysql2 writes without a backslash (numbers, hex, dates) stays. */
function withoutEscapes(value: unknown): unknown {
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'symbol' || typeof value === 'function') return quoted(String(value));
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(withoutEscapes);
  if (value instanceof Set) return [...value].map(withoutEscapes);
  if (value instanceof Uint8Array || value instanceof Date || isTemporal(value) || hasSqlString(value)) return value;
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) {
    // `SET ?` and `(?)` with an object: its values are escaped as values.
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutEscapes(item)]));
  }
  return quoted(String(value));
}

/** Already SQL text of its own (mysql2's `raw`): written as it is in both modes. */
function hasSqlString(value: object): boolean {
  return typeof (value as { toSqlString?: unknown }).toSqlString === 'function';
}

function isTemporal(value: object): boolean {
  return Object.prototype.toString.call(value).startsWith('[object Temporal.');
}

/** A string literal that reads the same with or without backslash escapes, for text without backslashes, and as given under NO_BACKSLASH_ESCAPES. */
function quoted(text: string): { toSqlString(): string } {
  const literal = `'${text.replaceAll("'", "''")}'`;
  return { toSqlString: () => literal };
}

import { InvalidArgumentError } from './errors.js';

/**
 * A portable parameterised query: values never enter the text, and each
 * becomes the dialect's own placeholder (`?` or `$n`) when the query runs.
 */
export class SqlQuery {
  readonly strings: readonly string[];
  readonly values: readonly unknown[];

  /** Throws `InvalidArgumentError` unless given a template's shape: n + 1 strings around n values. */
  constructor(strings: readonly string[], values: readonly unknown[]) {
    // Called as sql('text') or sql(null), the query would run its first character, or fail inside with a TypeError.
    if (
      !Array.isArray(strings) ||
      !Array.isArray(values) ||
      strings.length !== values.length + 1 ||
      !strings.every((part) => typeof part === 'string')
    ) {
      throw new InvalidArgumentError('sql is a tagged template: write sql`...`, not sql(...)');
    }
    this.strings = strings;
    this.values = values;
  }
}

/**
 * Tagged template for portable queries. A value that is itself a `sql`
 * fragment is spliced in with its own values, so queries compose.
 *
 * @example db.query(sql`select * from t where id = ${id}`)
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlQuery {
  return new SqlQuery(strings, values);
}

/** Text and parameters for one dialect; `placeholder(n)` names the n-th (1-based) parameter. */
export function compileSql(query: SqlQuery, placeholder: (index: number) => string): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const text = appendFragment(query, placeholder, params);
  return { text, params };
}

function appendFragment(query: SqlQuery, placeholder: (index: number) => string, params: unknown[]): string {
  let text = query.strings[0] ?? '';
  for (let i = 0; i < query.values.length; i++) {
    const value = query.values[i];
    if (value instanceof SqlQuery) {
      text += appendFragment(value, placeholder, params);
    } else {
      params.push(value);
      text += placeholder(params.length);
    }
    text += query.strings[i + 1] ?? '';
  }
  return text;
}

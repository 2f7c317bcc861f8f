import { InvalidArgumentError } from './errors.js';
import { describe, parseTableRef, type IdentifierRules, type TableRef } from './identifiers.js';

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

/** An identifier for a `sql` query: a table or column name, validated and quoted for the dialect the query runs on. */
export class SqlIdentifier {
  readonly ref: TableRef;

  constructor(ref: TableRef) {
    this.ref = ref;
  }
}

/** What a dialect gives the compiler. */
export interface SqlDialect {
  placeholder(index: number): string;
  quote(part: string): string;
  readonly identifierRules: IdentifierRules;
}

/**
 * Tagged template for portable queries. A value that is itself a `sql`
 * fragment is spliced in with its own values, so queries compose; an array is
 * a list (`IN (${ids})`), an array of arrays a list of rows (`VALUES ${rows}`).
 *
 * @example db.query(sql`select * from ${sql.id('users')} where id in (${ids})`)
 */
export const sql = Object.assign((strings: TemplateStringsArray, ...values: unknown[]): SqlQuery => new SqlQuery(strings, values), {
  /**
   * A validated, quoted identifier: `'name'`, `'schema.name'` or `{ schema?, name }`,
   * checked as table names are (`InvalidIdentifierError` before anything is sent).
   */
  id(ref: TableRef): SqlIdentifier {
    return new SqlIdentifier(ref);
  },
});

/** Text and parameters for one dialect. */
export function compileSql(query: SqlQuery, dialect: SqlDialect): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const text = appendFragment(query, dialect, params);
  return { text, params };
}

function appendFragment(query: SqlQuery, dialect: SqlDialect, params: unknown[]): string {
  let text = query.strings[0] ?? '';
  for (let i = 0; i < query.values.length; i++) {
    text += valueText(query.values[i], dialect, params);
    text += query.strings[i + 1] ?? '';
  }
  return text;
}

/** One value's text: a fragment's own, a quoted identifier, a list of placeholders, or one placeholder. */
function valueText(value: unknown, dialect: SqlDialect, params: unknown[]): string {
  if (value instanceof SqlQuery) return appendFragment(value, dialect, params);
  if (value instanceof SqlIdentifier) return identifierText(value.ref, dialect);
  if (Array.isArray(value)) return listText(value, dialect, params, 'list');
  params.push(value);
  return dialect.placeholder(params.length);
}

function identifierText(ref: TableRef, dialect: SqlDialect): string {
  const { schema, name } = parseTableRef(ref, dialect.identifierRules);
  return schema === undefined ? dialect.quote(name) : `${dialect.quote(schema)}.${dialect.quote(name)}`;
}

/**
 * A list's text: its items, comma separated. Items that are lists are rows,
 * each in parentheses; deeper nesting has no meaning in SQL. An empty list has
 * no SQL form (`IN ()` is an error on both servers), so it is refused.
 */
function listText(list: readonly unknown[], dialect: SqlDialect, params: unknown[], level: 'list' | 'row'): string {
  if (list.length === 0) {
    throw new InvalidArgumentError(
      `an empty ${level} in a sql\`\` query has no SQL form (IN () is an error): test for it before the query, or leave the condition out`,
    );
  }
  return list
    .map((item) => {
      if (!Array.isArray(item)) return valueText(item, dialect, params);
      if (level === 'row') throw new InvalidArgumentError(`a row in a sql\`\` query holds values, not ${describe(item)}`);
      return `(${listText(item, dialect, params, 'row')})`;
    })
    .join(', ');
}

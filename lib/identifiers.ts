import { InvalidIdentifierError } from './errors.js';

/** A table as the caller names it: `'name'`, `'schema.name'` or `{ schema?, name }`. */
export type TableRef = string | { readonly schema?: string; readonly name: string };

/** A validated table name; `schema` absent means "as the server resolves it". */
export interface TableName {
  readonly schema?: string;
  readonly name: string;
}

/** What a dialect accepts as one identifier part. */
export interface IdentifierRules {
  readonly maxLength: number;
  readonly unit: 'characters' | 'bytes';
  /** A dialect's own reason to refuse a part that its server could not hold exactly. */
  refuse?(part: string): string | undefined;
}

/**
 * Validates one table reference before any SQL is sent. A string has at most
 * one dot; names that contain dots use the object form.
 */
export function parseTableRef(ref: TableRef, rules: IdentifierRules): TableName {
  if (typeof ref === 'string') {
    const parts = ref.split('.');
    if (parts.length > 2) {
      throw new InvalidIdentifierError(
        `table name ${JSON.stringify(ref)} has more than one dot; use { schema, name } for names that contain dots`,
      );
    }
    return parts.length === 2 ? { schema: checkPart(parts[0], rules), name: checkPart(parts[1], rules) } : { name: checkPart(ref, rules) };
  }
  if (ref === null || typeof ref !== 'object' || Array.isArray(ref)) {
    throw new InvalidIdentifierError(`a table is a string or { schema?, name }, not ${describe(ref)}`);
  }
  const { schema, name } = ref;
  return schema === undefined ? { name: checkPart(name, rules) } : { schema: checkPart(schema, rules), name: checkPart(name, rules) };
}

/** Validates a list (or one) of table references; duplicates are kept for the caller to fold after resolution. */
export function parseTableRefs(refs: TableRef | readonly TableRef[], rules: IdentifierRules): TableName[] {
  const list: readonly TableRef[] = Array.isArray(refs) ? refs : [refs as TableRef];
  // Array.from visits the holes of a sparse array (as undefined, which is refused); map would skip them.
  return Array.from(list, (ref) => parseTableRef(ref, rules));
}

function checkPart(part: unknown, rules: IdentifierRules): string {
  if (typeof part !== 'string') {
    throw new InvalidIdentifierError(`an identifier is a string, not ${describe(part)}`);
  }
  if (part.length === 0) throw new InvalidIdentifierError('an identifier cannot be empty');
  if (part.includes('\0')) throw new InvalidIdentifierError(`identifier ${JSON.stringify(part)} contains a NUL byte`);
  if (!part.isWellFormed()) throw new InvalidIdentifierError(`identifier ${JSON.stringify(part)} is not well-formed Unicode`);
  const length = rules.unit === 'bytes' ? Buffer.byteLength(part, 'utf8') : [...part].length;
  if (length > rules.maxLength) {
    throw new InvalidIdentifierError(`identifier ${JSON.stringify(part)} is ${length} ${rules.unit} long; the limit is ${rules.maxLength}`);
  }
  const reason = rules.refuse?.(part);
  if (reason !== undefined) throw new InvalidIdentifierError(`identifier ${JSON.stringify(part)} ${reason}`);
  return part;
}

/** How a value reads in an error message, without echoing large or sensitive content. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 40)}`;
}

/** A table name as people read it: `schema.name`, or `name` when the schema is left to the server. */
export function formatTableName(table: TableName): string {
  return table.schema === undefined ? table.name : `${table.schema}.${table.name}`;
}

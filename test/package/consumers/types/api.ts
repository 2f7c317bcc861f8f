// Type-checked, never run: sqlpin's public types as a strict consumer sees them. Nothing here may need
// @types/node, which test/package/types.test.ts leaves out, then adds one major at a time.
import type * as sqlpin from 'sqlpin';
import { createPool, type Pool, SqlpinError, sql, type TableNotFoundError } from 'sqlpin';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type IsUnion<T, All = T> = T extends unknown ? ([All] extends [T] ? false : true) : never;
/** One string literal: not `string`, not a union, not `never`. */
type IsLiteral<T> = [T] extends [never] ? false : string extends T ? false : true extends IsUnion<T> ? false : true;
function expectTrue<_ extends true>(): void {}

// The error classes, found from the module's exports rather than listed here.
type Exports = typeof sqlpin;
type ErrorClass = { [K in keyof Exports]: Exports[K] extends abstract new (...args: never[]) => SqlpinError ? K : never }[keyof Exports];
type Subclass = Exclude<ErrorClass, 'SqlpinError'>;
type CodeOf = { [K in Subclass]: InstanceType<Exports[K]>['code'] };

expectTrue<Equal<'ConfigError' | 'LockTimeoutError' extends Subclass ? true : false, true>>();
// Each class's `code` is its own literal type...
expectTrue<Equal<{ [K in Subclass]: IsLiteral<CodeOf[K]> }[Subclass], true>>();
expectTrue<Equal<TableNotFoundError['code'], 'ERR_TABLE_NOT_FOUND'>>();
// ...and SqlpinError['code'] is exactly their union.
expectTrue<Equal<SqlpinError['code'], CodeOf[Subclass]>>();

export function describe(error: unknown): string {
  if (!(error instanceof SqlpinError)) return 'not sqlpin';
  // @ts-expect-error a misspelt code does not compile
  if (error.code === 'ERR_TABLE_NOT_FUOND') return 'never';
  switch (error.code) {
    case 'ERR_TABLE_NOT_FOUND':
      return 'missing table';
    case 'ERR_FOREIGN_KEY_TRUNCATE':
      return 'referenced';
    default:
      return error.code;
  }
}

// The rest of the surface, typed without @types/node.
export async function use(db: Pool): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql`SELECT ${1} AS n`);
  await db.withConnection((conn) => conn.truncate({ name: 'orders' }, { cascade: true }));
  await db.transaction((tx) => tx.query('SELECT 1', [], { timeoutMillis: 100 }));
  await db.truncateAll({ except: ['schema_migrations'], strategy: 'auto' });
  return rows[0]?.n ?? db.stats().max;
}
export const pool: Pool = createPool({ url: 'postgres://localhost/app', onError: (error) => void describe(error) });

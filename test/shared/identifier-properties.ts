import t from 'tap';
import fc from 'fast-check';
import { createPool, InvalidIdentifierError, TableNotFoundError, type Dialect, type TableRef } from '../../lib/index.js';
import { createScratch, type Scratch } from '../helpers/servers.js';
import { FaultProxy } from '../helpers/proxy.js';

/**
 * Names sent through validation and catalog resolution only. PostgreSQL
 * resolves inside a transaction of its own (three round trips), so it gets
 * fewer names in the same time.
 */
const VALIDATION_RUNS: Readonly<Record<Dialect, number>> = { mysql: 4_000, postgres: 3_000 };
/** Names whose table is created for real before the truncate. */
const CREATE_RUNS: Readonly<Record<Dialect, number>> = { mysql: 400, postgres: 300 };
const ROWS = 3;

/** Tables that must keep their rows whatever name is generated: near misses by case, space, accent, prefix, quote, dot. */
function staticDecoys(dialect: Dialect): string[] {
  const common = [
    'decoy',
    'Decoy',
    'DECOY',
    'décoy',
    'decoy\u0301',
    'pre_decoy',
    'decoy_post',
    'deco',
    ' decoy',
    'de coy',
    'de"coy',
    'de`coy',
    'de.coy',
    "de'coy",
  ];
  // MySQL cannot hold a name that ends with a space.
  return dialect === 'mysql' ? common : [...common, 'decoy '];
}

/** Characters that have broken identifier handling somewhere: quotes, dots, spaces, controls, case folding, combining marks, astral planes. */
const SPECIAL = [
  '"',
  '`',
  "'",
  '.',
  ' ',
  '\\',
  '\0',
  '\n',
  '\t',
  '\r',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u00a0',
  '\u200b',
  '\u0301',
  '\ufeff',
  'é',
  'É',
  'ß',
  'İ',
  'ı',
  'ǅ',
  '中',
  '😀',
  '𝔘',
  '%',
  '_',
  ';',
  '-',
  '/',
  '*',
  '$',
  '?',
  '@',
  'a',
  'A',
  'z',
  '0',
];
const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff'];

const isSurrogate = (code: number) => code >= 0xd800 && code <= 0xdfff;
const bmpChar = fc
  .integer({ min: 1, max: 0xffff })
  .filter((code) => !isSurrogate(code))
  .map((code) => String.fromCodePoint(code));
const astralChar = fc.integer({ min: 0x10000, max: 0x10ffff }).map((code) => String.fromCodePoint(code));
// Astral characters and lone surrogates are rare, so that most names are ones a server can hold.
const oneChar = fc.oneof(
  { arbitrary: fc.constantFrom(...SPECIAL), weight: 8 },
  { arbitrary: bmpChar, weight: 6 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 6 },
  { arbitrary: astralChar, weight: 1 },
  { arbitrary: fc.constantFrom(...LONE_SURROGATES), weight: 1 },
);

/** Names whose length straddles the dialect's limit: 63, 64, 65 characters (MySQL) or 62, 63, 64 UTF-8 bytes (PostgreSQL). */
function atTheLimit(dialect: Dialect): fc.Arbitrary<string> {
  const wide = fc.oneof(fc.constantFrom('a', 'Z', '_', 'é', '中', '😀', '"', '`', ' ', '.'), bmpChar);
  if (dialect === 'mysql') {
    return fc
      .tuple(fc.constantFrom(63, 64, 65), fc.array(wide, { minLength: 65, maxLength: 65 }))
      .map(([length, chars]) => chars.slice(0, length).join(''));
  }
  return fc.tuple(fc.constantFrom(62, 63, 64), fc.array(wide, { minLength: 64, maxLength: 64 })).map(([bytes, chars]) => {
    let name = '';
    for (const ch of chars) {
      if (Buffer.byteLength(name + ch) > bytes) break;
      name += ch;
    }
    return name.padEnd(name.length + bytes - Buffer.byteLength(name), 'x');
  });
}

/** Small edits that turn one name into a near miss. */
const EDITS: Readonly<Record<string, (name: string) => string>> = {
  upper: (name) => name.toUpperCase(),
  lower: (name) => name.toLowerCase(),
  trailingSpace: (name) => name + ' ',
  leadingSpace: (name) => ' ' + name,
  accent: (name) => (name.includes('é') ? name.replace('é', 'e') : name.replace('e', 'é')),
  combining: (name) => name + '\u0301',
  decomposed: (name) => name.normalize('NFD'),
  prefix: (name) => 'x' + name,
  shorter: (name) => name.slice(0, -1),
  longer: (name) => name + 's',
  quoted: (name) => `"${name}"`,
  backticked: (name) => '`' + name + '`',
  swapCase: (name) => [...name].map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase())).join(''),
};
const anEdit = fc.constantFrom(...Object.keys(EDITS));

/** Names one small edit away from a decoy. */
function nearDecoy(decoys: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...decoys), anEdit).map(([name, edit]) => EDITS[edit]!(name));
}

function names(dialect: Dialect, decoys: readonly string[]): fc.Arbitrary<string> {
  return fc
    .oneof(
      { arbitrary: fc.array(oneChar, { maxLength: 16 }).map((chars) => chars.join('')), weight: 5 },
      { arbitrary: atTheLimit(dialect), weight: 2 },
      { arbitrary: nearDecoy(decoys), weight: 2 },
    )
    .filter((name) => !decoys.includes(name));
}

/** How the generated name is passed: every form names a table in the scratch namespace, so no other namespace is at risk. */
type Form = 'bare' | 'qualified string' | 'object' | 'object with schema';

function refFor(form: Form, schema: string, name: string): TableRef {
  switch (form) {
    // A dot in a bare string would name a schema; the qualified form then has two dots and must be refused.
    case 'bare':
      return name.includes('.') ? `${schema}.${name}` : name;
    case 'qualified string':
      return `${schema}.${name}`;
    case 'object':
      return { name };
    case 'object with schema':
      return { schema, name };
  }
}
const FORMS: readonly Form[] = ['bare', 'qualified string', 'object', 'object with schema'];

function quote(dialect: Dialect, part: string): string {
  return dialect === 'mysql' ? '`' + part.replaceAll('`', '``') + '`' : '"' + part.replaceAll('"', '""') + '"';
}

/** Every base table in the scratch namespace, by its exact catalog name. */
async function tablesIn(scratch: Scratch): Promise<string[]> {
  const rows =
    scratch.dialect === 'mysql'
      ? await scratch.admin(
          "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'",
          [scratch.name],
        )
      : await scratch.admin(
          "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
          [scratch.name],
        );
  return rows.map((row) => String(row.name));
}

/** Row counts of the given tables, in one round trip. */
async function rowCounts(scratch: Scratch, tables: readonly string[]): Promise<Map<string, number>> {
  const parts = tables.map(
    (table, i) => `SELECT ${i} AS k, COUNT(*) AS n FROM ${quote(scratch.dialect, scratch.name)}.${quote(scratch.dialect, table)}`,
  );
  const rows = await scratch.admin(parts.join(' UNION ALL '));
  return new Map(rows.map((row) => [tables[Number(row.k)]!, Number(row.n)]));
}

async function createWithRows(scratch: Scratch, name: string): Promise<void> {
  const target = `${quote(scratch.dialect, scratch.name)}.${quote(scratch.dialect, name)}`;
  await scratch.admin(`CREATE TABLE ${target} (id INT)`);
  await scratch.admin(`INSERT INTO ${target} (id) VALUES ${Array.from({ length: ROWS }, (_, i) => `(${i})`).join(', ')}`);
}

/** Names the table whose rows are not all there, if any. */
function touched(counts: Map<string, number>, except: string | undefined): string[] {
  return [...counts.entries()]
    .filter(([table, n]) => table !== except && n !== ROWS)
    .map(([table, n]) => `${JSON.stringify(table)} has ${n} rows`);
}

function tally(labels: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

/**
 * Generated table names against the real server: each call either refuses the
 * name before any SQL is sent, or empties exactly the table of that name and no other.
 */
export function identifierPropertySuite(dialect: Dialect): void {
  t.test(`${dialect}: generated table names`, async (t) => {
    const scratch = await createScratch(dialect, 'identprop');
    t.teardown(() => scratch.drop());
    const decoys = staticDecoys(dialect);
    for (const decoy of decoys) await createWithRows(scratch, decoy);
    t.same(new Set(await tablesIn(scratch)), new Set(decoys), `${decoys.length} decoy tables exist under their exact names`);

    const proxy = await FaultProxy.start(scratch.url);
    const db = createPool({ url: proxy.route(scratch.url), max: 1, idleTimeoutMillis: 0 });
    t.teardown(async () => {
      await db.close();
      await proxy.close();
    });
    await db.query('SELECT 1');

    /** Calls truncate and says how it ended; a refusal must leave the wire silent. */
    const attempt = async (ref: TableRef): Promise<string> => {
      const bytesBefore = proxy.bytesFromClients;
      try {
        await db.truncate(ref);
        return 'truncated';
      } catch (error) {
        if (error instanceof InvalidIdentifierError)
          return proxy.bytesFromClients === bytesBefore ? 'refused' : 'refused after sending SQL';
        if (error instanceof TableNotFoundError) return 'not found';
        return `unexpected: ${error instanceof Error ? `${(error as { code?: unknown }).code} ${error.message}` : String(error)}`;
      }
    };

    t.test('thousands of names through validation and resolution touch no table', async (t) => {
      const outcomes: string[] = [];
      const details = await fc.check(
        fc.asyncProperty(names(dialect, decoys), fc.constantFrom(...FORMS), async (name, form) => {
          const outcome = await attempt(refFor(form, scratch.name, name));
          outcomes.push(outcome);
          // None of these names exists, so the only acceptable ends are a silent refusal and "not found".
          return outcome === 'refused' || outcome === 'not found';
        }),
        { numRuns: VALIDATION_RUNS[dialect] },
      );
      t.notOk(
        details.failed,
        details.failed ? (fc.defaultReportMessage(details) ?? 'failed') : 'every name was refused before any SQL, or not found',
      );
      t.same(touched(await rowCounts(scratch, decoys), undefined), [], 'every decoy keeps its rows');
      t.same(new Set(await tablesIn(scratch)), new Set(decoys), 'no table appeared or disappeared');
      t.comment(`${dialect} validation path: ${outcomes.length} generated names, outcomes ${JSON.stringify(tally(outcomes))}`);
    });

    t.test('hundreds of names created for real: only the table of exactly that name is emptied', async (t) => {
      const outcomes: string[] = [];
      const refusedButCreatable: string[] = [];
      const details = await fc.check(
        fc.asyncProperty(names(dialect, decoys), fc.constantFrom(...FORMS), anEdit, async (name, form, edit) => {
          let created: string[] = [];
          try {
            // The server may refuse a name, or store another (PostgreSQL cuts long names): the catalog says what exists.
            // A second table one edit away from the name must keep its rows.
            const variant = EDITS[edit]!(name);
            for (const table of variant === name || decoys.includes(variant) ? [name] : [name, variant]) {
              await createWithRows(scratch, table).catch(() => undefined);
            }
            created = (await tablesIn(scratch)).filter((table) => !decoys.includes(table));
            const exact = created.includes(name);
            const ref = refFor(form, scratch.name, name);
            const outcome = await attempt(ref);
            const counts = await rowCounts(scratch, [...decoys, ...created]);
            const label = `${exact ? 'created' : 'not created under that name'}, ${outcome}`;
            outcomes.push(label);
            // A dotted name in the string form has two dots and is refused by design.
            const formCarriesName = !(name.includes('.') && typeof ref === 'string');
            if (exact && outcome === 'refused' && formCarriesName) refusedButCreatable.push(name);
            const others = touched(counts, exact && outcome === 'truncated' ? name : undefined);
            if (others.length > 0) throw new Error(`${JSON.stringify(name)} (${form}, ${label}) touched ${others.join(', ')}`);
            if (outcome === 'truncated') return exact && counts.get(name) === 0;
            return outcome === 'refused' || (outcome === 'not found' && !exact);
          } finally {
            for (const table of created) await scratch.admin(`DROP TABLE ${quote(dialect, scratch.name)}.${quote(dialect, table)}`);
          }
        }),
        { numRuns: CREATE_RUNS[dialect] },
      );
      t.notOk(
        details.failed,
        details.failed ? (fc.defaultReportMessage(details) ?? 'failed') : 'every created name was emptied alone, or refused before any SQL',
      );
      t.same(touched(await rowCounts(scratch, decoys), undefined), [], 'every decoy keeps its rows');
      t.same(new Set(await tablesIn(scratch)), new Set(decoys), 'only the decoys remain');
      t.comment(`${dialect} create-and-truncate path: ${outcomes.length} generated names, outcomes ${JSON.stringify(tally(outcomes))}`);
      // Refusing a name the server could hold is safe, but worth seeing.
      if (refusedButCreatable.length > 0)
        t.comment(
          `refused although the server created them: ${refusedButCreatable
            .slice(0, 8)
            .map((name) => JSON.stringify(name))
            .join(', ')}`,
        );
    });
  });
}

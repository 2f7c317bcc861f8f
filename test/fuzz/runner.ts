import { randomBytes } from 'node:crypto';
import { type Connection, createPool, type TableRef } from '../../lib/index.js';
import type { Copies, FuzzDialect, RawOutcome, Snapshot } from './adapter.js';
import { type Case, relations } from './model.js';

type Strategy = 'auto' | 'truncate' | 'delete';
const STRATEGIES: readonly Strategy[] = ['auto', 'truncate', 'delete'];
const TYPED_REFUSALS = new Set(['ERR_TRUNCATE_REFUSED', 'ERR_NOT_A_TABLE']);

/** How sqlpin's call ended on its copy. */
interface SqlpinOutcome {
  readonly error: { code: string; message: string } | undefined;
  /** What the session itself showed wrong after the call (adapter.afterCall). */
  readonly session: string | undefined;
}

/** One case's result: the differences found, each a line, and the counts for the totals. */
export interface CaseResult {
  readonly problems: string[];
  readonly rawError: string | undefined;
  readonly outcomes: Record<string, string>;
}

/**
 * Runs one case: a copy for the raw statements, one per strategy (and a
 * decoy when the session moves away), built alike; the raw statements on
 * theirs, sqlpin on each of the others; then every copy compared.
 */
export async function runCase(fuzz: FuzzDialect, testCase: Case): Promise<CaseResult> {
  const base = `fz_${randomBytes(4).toString('hex')}`;
  const moves = testCase.schema.session.move !== 'none';
  const copies: Copies = {
    raw: `${base}_raw`,
    decoy: moves ? `${base}_decoy` : undefined,
    strategies: { auto: `${base}_auto`, truncate: `${base}_trunc`, delete: `${base}_del` },
  };
  const all = [copies.raw, ...Object.values(copies.strategies), ...(copies.decoy === undefined ? [] : [copies.decoy])];
  const principal = await fuzz.createPrincipal(testCase.schema);
  try {
    for (const ns of all) await fuzz.run(fuzz.ddl(ns, testCase.schema, principal));
    return await compareCopies(fuzz, testCase, copies, principal);
  } finally {
    for (const ns of all) await fuzz.dropCopy(ns);
    if (principal !== undefined) await fuzz.dropPrincipal(principal);
  }
}

async function compareCopies(fuzz: FuzzDialect, testCase: Case, copies: Copies, principal: string | undefined): Promise<CaseResult> {
  const before = await fuzz.snapshot(copies.raw, testCase.schema);
  const raw = await fuzz.raw(copies.raw, testCase, principal);
  const expected = await fuzz.snapshot(copies.raw, testCase.schema);
  const problems: string[] = [];
  const outcomes: Record<string, string> = { raw: raw.ok ? 'ok' : raw.relaxed ? 'relaxed' : 'error' };
  for (const strategy of STRATEGIES) {
    const ns = copies.strategies[strategy];
    const decoyBefore = copies.decoy === undefined ? undefined : await fuzz.snapshot(copies.decoy, testCase.schema);
    const outcome = await callSqlpin(fuzz, testCase, ns, copies.decoy, principal, strategy);
    outcomes[strategy] = outcome.error?.code ?? 'ok';
    const after = await fuzz.snapshot(ns, testCase.schema);
    const found = judge(fuzz, testCase, raw, outcome, { before, expected, after });
    if (copies.decoy !== undefined && decoyBefore !== undefined) {
      const decoy = diff(decoyBefore, await fuzz.snapshot(copies.decoy, testCase.schema));
      if (decoy.length > 0) found.push(`the decoy database/schema the session had moved to changed: ${decoy.join('; ')}`);
    }
    problems.push(...found.map((line) => `${strategy}: ${line}`));
  }
  return { problems, rawError: raw.error, outcomes };
}

/** The verdict on one strategy's copy; see test/fuzz/README.md for the rules. */
function judge(
  fuzz: FuzzDialect,
  testCase: Case,
  raw: RawOutcome,
  outcome: SqlpinOutcome,
  states: { before: Snapshot; expected: Snapshot; after: Snapshot },
): string[] {
  const problems: string[] = outcome.session === undefined ? [] : [outcome.session];
  const refusal = fuzz.mustRefuse(testCase);
  const error = outcome.error;
  if (error === undefined) {
    if (refusal !== undefined) problems.push(`succeeded, where the contract says refuse (${refusal})`);
    else if (!raw.ok && !raw.relaxed) problems.push(`succeeded where the raw statements fail (${raw.error})`);
    else problems.push(...diff(states.expected, states.after).map((d) => `differs from raw: ${d}`));
    return problems;
  }
  const changed = diff(states.before, states.after);
  if (changed.length > 0) problems.push(`failed (${error.code}: ${error.message}) after changing: ${changed.join('; ')}`);
  const typed = TYPED_REFUSALS.has(error.code);
  if (refusal !== undefined) {
    if (!typed) problems.push(`expected a typed refusal (${refusal}), got ${error.code}: ${error.message}`);
  } else if (raw.ok) problems.push(`${typed ? 'refused' : 'failed'} where the raw statements succeed: ${error.code}: ${error.message}`);
  else if (raw.relaxed && !typed)
    problems.push(`failed (${error.code}: ${error.message}) where the contract empties the empty referencing tables too`);
  return problems;
}

function diff(expected: Snapshot, actual: Snapshot): string[] {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return keys
    .filter((k) => expected[k] !== actual[k])
    .map((k) => `${k}: expected ${expected[k] ?? '(none)'}, got ${actual[k] ?? '(none)'}`);
}

/** sqlpin's call on its copy, through a pool of one session so that a previous borrower's state is the caller's. */
async function callSqlpin(
  fuzz: FuzzDialect,
  testCase: Case,
  ns: string,
  decoy: string | undefined,
  principal: string | undefined,
  strategy: Strategy,
): Promise<SqlpinOutcome> {
  const move = testCase.schema.session.move;
  const pool = createPool({ url: fuzz.url(ns, principal), min: 0, max: 1, resetOnRelease: move === 'previous' });
  try {
    if (move === 'previous' && decoy !== undefined) await pool.withConnection((conn) => fuzz.move(conn, decoy, testCase));
    return await pool.withConnection(async (conn) => {
      await fuzz.prepare(conn, ns, testCase);
      if (move === 'pinned' && decoy !== undefined) await fuzz.move(conn, decoy, testCase);
      const error = await makeCall(conn, testCase, ns, strategy);
      return { error, session: await fuzz.afterCall(conn, ns, testCase) };
    });
  } finally {
    await pool.close();
  }
}

async function makeCall(conn: Connection, testCase: Case, ns: string, strategy: Strategy): Promise<SqlpinOutcome['error']> {
  const names = relations(testCase.schema, conn.dialect);
  const ref = (i: number): TableRef => ({ schema: ns, name: names[i]!.name });
  const { call, options } = testCase;
  try {
    if (call.kind === 'truncate') await conn.truncate(call.targets.map(ref), { ...options, strategy });
    else {
      const where = testCase.schema.session.implicit ? {} : { schema: ns };
      await conn.truncateAll({ ...options, ...where, except: call.except.map(ref), strategy });
    }
    return undefined;
  } catch (error) {
    const e = error as { code?: unknown; message?: string };
    return { code: typeof e.code === 'string' ? e.code : String(e.code), message: e.message ?? String(error) };
  }
}

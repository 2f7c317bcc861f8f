import type { Dialect } from '../../lib/index.js';

/**
 * The fenced code blocks of a Markdown file, with what each says about itself in
 * its info string (the words after the opening fence). The grammar is documented
 * in the README's "Developing" section:
 *
 *   ts|js  mysql|postgres|both  [fragment] [cjs]   compiled under strict TypeScript and run on that dialect
 *   sql    mysql|postgres|both  [schema]           run on that dialect; `schema`: the example tables
 *   any    norun: <reason>                         not run, for the reason given (sh, and anything else)
 *   text                                           not code: a layout, a sample of output
 */
export type Block = CodeBlock | SqlBlock | NotRun | Invalid;

interface Located {
  /** The file and the line of the opening fence, as `README.md:42`. */
  readonly where: string;
  /** The block's text, without its fences. */
  readonly source: string;
  /** The line in the file of the block's first line of text. */
  readonly firstLine: number;
}

export interface CodeBlock extends Located {
  readonly kind: 'code';
  readonly language: 'ts' | 'js';
  readonly dialects: readonly Dialect[];
  /** Wrapped before it is compiled: given `db`, a pool on the block's scratch database, closed after it. */
  readonly fragment: boolean;
  /** Compiled and run as CommonJS (.cts / .cjs) instead of an ES module. */
  readonly commonjs: boolean;
}

export interface SqlBlock extends Located {
  readonly kind: 'sql';
  readonly dialects: readonly Dialect[];
  /** The example tables: created in every block's scratch database before the block runs. */
  readonly schema: boolean;
}

/** A block whose info string breaks the grammar: the test reports it, and runs the others. */
export interface Invalid extends Located {
  readonly kind: 'invalid';
  readonly why: string;
}

export interface NotRun extends Located {
  readonly kind: 'not run';
  readonly language: string;
  /** Why it is not run; empty for `text`, which is not code. */
  readonly reason: string;
}

const DIALECTS: Readonly<Record<string, readonly Dialect[]>> = { mysql: ['mysql'], postgres: ['postgres'], both: ['mysql', 'postgres'] };

/** Every fenced block of `markdown`; throws, naming the line, on a fence it cannot pair (nothing after it can be read). */
export function codeBlocks(file: string, markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    if (open[1] !== '') throw new Error(`${file}:${i + 1}: an indented fence; start code blocks at column 0`);
    const end = lines.findIndex((line, j) => j > i && line === '```');
    if (end === -1) throw new Error(`${file}:${i + 1}: a fence that is never closed`);
    const located = { where: `${file}:${i + 1}`, source: lines.slice(i + 1, end).join('\n'), firstLine: i + 2 };
    blocks.push(describe(located, open[2]?.trim() ?? ''));
    i = end;
  }
  return blocks;
}

function describe(located: Located, info: string): Block {
  const notRun = /^(\S+)\s+norun:\s*(\S.*)$/.exec(info);
  if (notRun) return { ...located, kind: 'not run', language: notRun[1]!, reason: notRun[2]! };
  const [language = '', ...words] = info.split(/\s+/);
  if (language === 'text' && words.length === 0) return { ...located, kind: 'not run', language, reason: '' };
  const invalid = (why: string): Invalid => ({ ...located, kind: 'invalid', why: `\`\`\`${info}: ${why}` });
  const flagsOf: Readonly<Record<string, readonly string[]>> = { ts: ['fragment', 'cjs'], js: ['fragment', 'cjs'], sql: ['schema'] };
  const known = flagsOf[language];
  if (known === undefined) return invalid(`a ${language || 'plain'} block is not run here: say \`${language || 'text'} norun: <reason>\``);
  const dialects = words.flatMap((word) => DIALECTS[word] ?? []);
  const flags = words.filter((word) => DIALECTS[word] === undefined);
  const unknown = flags.filter((flag) => !known.includes(flag));
  if (words.filter((word) => DIALECTS[word] !== undefined).length !== 1) return invalid('name one dialect: mysql, postgres or both');
  if (unknown.length > 0) return invalid(`unknown word ${unknown.join(', ')}`);
  if (language === 'sql') return { ...located, kind: 'sql', dialects, schema: flags.includes('schema') };
  if (flags.includes('fragment') && flags.includes('cjs')) return invalid('a fragment is wrapped as an ES module, never cjs');
  return {
    ...located,
    kind: 'code',
    language: language as 'ts' | 'js',
    dialects,
    fragment: flags.includes('fragment'),
    commonjs: flags.includes('cjs'),
  };
}

/** SQL text split into statements at semicolons that end a line. */
export function statements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '' && !/^(--[^\n]*\n?)+$/.test(statement));
}

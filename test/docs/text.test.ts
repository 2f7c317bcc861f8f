import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import t from 'tap';
import { ROOT } from './project.js';

/** The prose of the user-facing docs: no tracker references, and every relative link leads somewhere. */
const DOCS = [
  'README.md',
  'CHANGELOG.md',
  ...(await readdir(join(ROOT, 'docs'))).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`),
];
const text = new Map(await Promise.all(DOCS.map(async (file) => [file, await readFile(join(ROOT, file), 'utf8')] as const)));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- ]/gu, '')
    .replace(/ /g, '-');
}

function anchorsIn(markdown: string): Set<string> {
  const outsideCode = markdown.replace(/^```[\s\S]*?^```$/gm, '');
  return new Set([...outsideCode.matchAll(/^#+ (.*)$/gm)].map((match) => anchorOf(match[1]!)));
}

t.test('no tracker references ("issue N") in README.md, CHANGELOG.md or docs/', async (t) => {
  for (const [file, markdown] of text) {
    const found = markdown.split('\n').flatMap((line, i) => (/\bissues?\s+#?\d+/i.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
    t.same(found, [], file);
  }
});

t.test('every relative link names a file that exists, and a heading that exists in it', async (t) => {
  for (const [file, markdown] of text) {
    const broken: string[] = [];
    for (const [, target] of markdown.replace(/^```[\s\S]*?^```$/gm, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue;
      const [path = '', anchor] = target!.split('#');
      const resolved = path === '' ? join(ROOT, file) : join(ROOT, dirname(file), path);
      const exists = await stat(resolved).then(
        () => true,
        () => false,
      );
      if (!exists) broken.push(`${target}: no file ${relative(ROOT, resolved)}`);
      else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsIn(await readFile(resolved, 'utf8')).has(anchor)) {
        broken.push(`${target}: no heading #${anchor} in ${relative(ROOT, resolved)}`);
      }
    }
    t.same(broken, [], file);
  }
});

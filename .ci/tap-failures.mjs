// Prints each failed assertion of a TAP log with the subtests around it and its YAML
// diagnostic, so the end of a CI log names what failed even when only its tail is kept.
// A log with no failed assertion (lint, a crash before any test) gets its last lines instead.
import { readFileSync } from 'node:fs';

const lines = readFileSync(process.argv[2], 'utf8').split('\n');
const indentOf = (line) => line.length - line.trimStart().length;
const subtests = []; // [indent, name], outermost first
let failures = 0;

for (let i = 0; i < lines.length; i++) {
  const line = lines[i];
  const indent = indentOf(line);
  const text = line.trim();
  const subtest = /^# Subtest: (.*)$/.exec(text);
  if (subtest) {
    while (subtests.length > 0 && subtests.at(-1)[0] >= indent) subtests.pop();
    subtests.push([indent, subtest[1]]);
    continue;
  }
  if (!text.startsWith('not ok ')) continue;
  failures++;
  const path = subtests.filter(([at]) => at < indent).map(([, name]) => name);
  console.log(`✗ ${[...path, text].join(' › ')}`);
  if (lines[i + 1]?.trim() !== '---') continue;
  for (i++; i < lines.length; i++) {
    console.log(`    ${lines[i].trim() === '...' ? '...' : lines[i].slice(indent)}`);
    if (lines[i].trim() === '...') break;
  }
}

if (failures === 0) console.log(lines.slice(-20).join('\n'));

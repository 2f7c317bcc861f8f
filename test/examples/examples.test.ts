import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';

/** The runnable examples are part of the product: each must run green against both servers. */
const run = promisify(execFile);

for (const example of ['examples/demo.ts', 'examples/purge-and-reseed.ts']) {
  t.test(example, async (t) => {
    const { stdout } = await run(process.execPath, ['--import=tsx', example], { timeout: 60_000 });
    t.notMatch(stdout, /✗/, 'no expectation failed');
    t.match(stdout, /expectations met/, 'it reached its summary');
  });
}

// The test-suite examples report through their runner: a failed test makes the process exit non-zero.
// Node 20 reports in TAP when the output is not a terminal, Node 22+ in its spec format: TAP is asked for.
t.test('examples/test-reset.ts (node:test)', async (t) => {
  const { stdout } = await run(process.execPath, ['--import=tsx', '--test-reporter=tap', 'examples/test-reset.ts'], { timeout: 60_000 });
  t.match(stdout, /# pass 10\n# fail 0/, 'all ten tests passed');
  t.match(stdout, /MySQL: the reset cost [\d.]+ ms per test/, 'it says what the reset costs on MySQL');
  t.match(stdout, /PostgreSQL: the reset cost [\d.]+ ms per test/, 'and on PostgreSQL');
});

t.test('examples/test-reset.tap.ts (tap)', async (t) => {
  const { stdout } = await run(process.execPath, ['--import=tsx', 'examples/test-reset.tap.ts'], { timeout: 60_000 });
  t.notMatch(stdout, /^not ok/m, 'no test failed');
  t.match(stdout, /the reset cost [\d.]+ ms per test/, 'it says what the reset costs');
});

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

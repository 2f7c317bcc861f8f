import { describeFailure, failureOf, formatCode, serverCode } from '../server-errors.js';
import { withPool } from '../sessions.js';
import { countChain, type DemoContext } from './context.js';
import { NAIVE_TRUNCATE } from './dialects.js';

/** Part 1: the server refuses to truncate a table that a foreign key references. */
export async function showTheBug({ dialect, scratch, list }: DemoContext): Promise<void> {
  list.section(`1. The bug exists: a plain ${NAIVE_TRUNCATE}`);
  await withPool(scratch.url, { max: 1 }, async (db) => {
    const { child } = await countChain(db);
    const failure = await failureOf(db.query(NAIVE_TRUNCATE));
    list.check(
      serverCode(failure) === dialect.truncateRefused,
      `${NAIVE_TRUNCATE} is refused with ${formatCode(dialect.truncateRefused)}, though child holds ${child} rows`,
    );
    list.note(`server: ${describeFailure(failure)}`);
  });
}

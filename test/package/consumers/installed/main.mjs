// An ES module application that installed sqlpin from git or from a local path, with pg. It prints what it
// saw as one JSON line; test/package/install.test.ts judges it.
import { ConfigError, createPool, sql } from 'sqlpin';

const db = createPool({ url: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 1 });
let answer;
try {
  answer = (await db.query(sql`SELECT ${41}::int + 1 AS answer`)).rows[0].answer;
} finally {
  await db.close();
}
let configError;
try {
  createPool({ url: 'nosuchscheme://x' });
} catch (error) {
  configError = error instanceof ConfigError ? error.code : String(error);
}
console.log(JSON.stringify({ loadedBy: 'import', answer, configError }));

// The same application in CommonJS: require() of the ES module package (Node >= 20.19). It prints one JSON line.
const { ConfigError, createPool, sql } = require('sqlpin');

async function main() {
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
  return { loadedBy: typeof require === 'function' ? 'require' : 'unknown', answer, configError };
}

main().then(
  (report) => console.log(JSON.stringify(report)),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);

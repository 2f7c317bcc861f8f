// A CommonJS application that installed sqlpin and mysql2 only: require() of the ESM package
// (Node >= 20.19). It prints what it saw as one JSON line; test/package/pack.test.ts judges it.
const { ConfigError, createPool, sql } = require('sqlpin');

async function main() {
  const base = new URL(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test');
  const database = `sqlpin_pack_cjs_${process.pid}`;
  const admin = createPool({ url: base.href, max: 1 });
  await admin.query(`CREATE DATABASE ${database}`);
  const report = {};
  try {
    const url = new URL(base);
    url.pathname = `/${database}`;
    // One session, so the orphan insert below runs on the very session truncate used.
    const db = createPool({ url: url.href, max: 1 });
    try {
      await db.query('CREATE TABLE parent (id int PRIMARY KEY) ENGINE=InnoDB');
      await db.query(
        'CREATE TABLE child (id int PRIMARY KEY, parent_id int, FOREIGN KEY (parent_id) REFERENCES parent (id)) ENGINE=InnoDB',
      );
      await db.query('INSERT INTO parent (id) VALUES (1), (2), (3)');
      await db.query('INSERT INTO child (id, parent_id) VALUES (10, 1)');

      const { rows } = await db.query(sql`SELECT ${41} + 1 AS answer`);
      report.answer = Number(rows[0].answer);

      // A user variable is session state: it is seen again only on the same session.
      report.pinned = await db.withConnection(async (conn) => {
        await conn.query("SET @sqlpin_pack = 'pinned'");
        const seen = await conn.query('SELECT @sqlpin_pack AS value, CONNECTION_ID() AS id');
        return { sessionId: conn.sessionId, id: Number(seen.rows[0].id), value: seen.rows[0].value };
      });

      // child has a row referencing parent: MySQL refuses this TRUNCATE (1701) unless FK checks are off on its session.
      await db.truncate('parent');
      const parent = await db.query('SELECT count(*) AS n FROM parent');
      const child = await db.query('SELECT count(*) AS n FROM child');
      report.parentRowsAfterTruncate = Number(parent.rows[0].n);
      report.childRowsAfterTruncate = Number(child.rows[0].n);

      // FK checks must be back on for the session truncate used.
      try {
        await db.query('INSERT INTO child (id, parent_id) VALUES (11, 99)');
        report.orphanInsert = { errno: null };
      } catch (error) {
        report.orphanInsert = { errno: error.errno };
      }
    } finally {
      await db.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.close();
  }

  // pg is not installed: the PostgreSQL dialect must say so, as a ConfigError.
  try {
    const other = createPool({ url: 'postgres://postgres@127.0.0.1:5432/test' });
    try {
      await other.query('SELECT 1');
      report.missingDriver = { error: null };
    } finally {
      await other.close();
    }
  } catch (error) {
    report.missingDriver = { isConfigError: error instanceof ConfigError, code: error.code, message: error.message };
  }
  return report;
}

main().then(
  (report) => console.log(JSON.stringify(report)),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);

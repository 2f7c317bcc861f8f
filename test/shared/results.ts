import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { sql, type Dialect } from '../../lib/index.js';
import { scratchPool } from '../helpers/pools.js';
import { createScratch, dialectSql } from '../helpers/servers.js';

const SCRIPT = fileURLToPath(new URL('../scripts/exit-on-idle.ts', import.meta.url));

/**
 * Runs the exit-on-idle script; resolves with its exit code, or 'running' if it
 * is still alive `graceMillis` after it printed that its work was done (then it is killed).
 */
function runScript(url: string, allow: 'on' | 'off', graceMillis: number): Promise<{ code: number | 'running'; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, url, allow], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    let timer: NodeJS.Timeout | undefined;
    const giveUp = () => {
      child.kill('SIGKILL');
      resolve({ code: 'running', output });
    };
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      timer ??= setTimeout(giveUp, graceMillis);
    });
    const limit = setTimeout(giveUp, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      clearTimeout(limit);
      resolve({ code: code ?? -1, output });
    });
  });
}

/** What query results carry, and the process exiting once idle. */
export function resultsSuite(dialect: Dialect): void {
  const q = dialectSql[dialect];

  t.test(`${dialect}: results and types users reach for first`, async (t) => {
    const scratch = await createScratch(dialect, 'results');
    t.teardown(() => scratch.drop());
    await scratch.admin(`CREATE TABLE items (id ${q.serialKey}, big BIGINT, label VARCHAR(40))`);
    const db = scratchPool(t, scratch, { max: 2 });

    if (dialect === 'mysql') {
      t.test('MySQL: insertId and affectedRows beside rowCount, on the statement that made them', async (t) => {
        const first = await db.query(sql`INSERT INTO items (label) VALUES (${'a'}), (${'b'})`);
        t.match(
          first,
          { rows: [], rowCount: 2, affectedRows: 2, insertId: 1 },
          'the first id of a multi-row insert, as LAST_INSERT_ID() has it',
        );
        const second = await db.query(sql`INSERT INTO items (label) VALUES (${'c'})`);
        t.equal(second.insertId, 3);
        const updated = await db.query("UPDATE items SET label = 'x' WHERE id < 3");
        t.match(updated, { rowCount: 2, affectedRows: 2, insertId: 0 });
        const selected = await db.query('SELECT id FROM items');
        t.equal(selected.insertId, undefined, 'a result set has none');
        await scratch.admin('DELETE FROM items');
      });
    } else {
      t.test('PostgreSQL: no insertId; RETURNING is the way', async (t) => {
        const inserted = await db.query<{ id: number }>(sql`INSERT INTO items (label) VALUES (${'a'}) RETURNING id`);
        t.equal(inserted.insertId, undefined);
        t.equal(typeof inserted.rows[0]!.id, 'number');
        await scratch.admin('DELETE FROM items');
      });
    }

    t.test('BIGINT values never lose precision: strings on both dialects', async (t) => {
      const big = '9007199254740993';
      await db.query(sql`INSERT INTO items (big, label) VALUES (${big}, ${'big'})`);
      const { rows } = await db.query<{ big: unknown; total: unknown }>('SELECT big, big + 2 AS total FROM items');
      t.same(rows, [{ big, total: '9007199254740995' }]);
      await scratch.admin('DELETE FROM items');
    });

    t.test('allowExitOnIdle: a script that never closes its pool exits once its work is done', async (t) => {
      const on = await runScript(scratch.url, 'on', 10_000);
      t.same(on, { code: 0, output: 'queried 1\n' }, 'with the option, it exits by itself');
      const off = await runScript(scratch.url, 'off', 2_000);
      t.same(off, { code: 'running', output: 'queried 1\n' }, 'without it, idle sessions keep the process alive');
    });
  });
}

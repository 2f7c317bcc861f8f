import t from 'tap';
import { ForeignKeyTruncateError, TableNotFoundError, type Dialect, type TruncateStrategy } from '../../lib/index.js';
import { FIXTURE_TABLES } from '../../fixtures/tables.js';
import { seedFixture, type FixtureName } from '../../fixtures/load.js';
import { MYSQL_AUTO } from '../../dialects/mysql/probe.js';
import { POSTGRES_AUTO } from '../../dialects/postgres/plan.js';
import { createScratch, dialectSql, type Scratch } from '../helpers/servers.js';
import { checkHolderNamed, namesLockHolders } from '../helpers/blockers.js';
import { openHolder } from '../helpers/holder.js';
import { scratchPool } from '../helpers/pools.js';
import { adminTarget, loadFixtures, nextId, quoteFor, rowCounts, storageId } from '../helpers/tables.js';

const FIXTURES: readonly FixtureName[] = ['chain', 'self-reference', 'cycle', 'odd-names', 'usage-events'];
const STRATEGIES: readonly TruncateStrategy[] = ['truncate', 'delete', 'auto'];

/** Row count and next counter value of every table: what a user can see of a reset. */
async function snapshot(scratch: Scratch, tables: readonly string[]): Promise<Record<string, { rows: number; next: number }>> {
  const quoted = tables.map((table) => quoteFor(scratch.dialect, table));
  const counts = await rowCounts(scratch, quoted);
  const result: Record<string, { rows: number; next: number }> = {};
  for (const [i, table] of tables.entries()) result[table] = { rows: counts[quoted[i]!]!, next: await nextId(scratch, table) };
  return result;
}

/** `truncateAll`: the reset between tests, with every strategy, on the fixtures and beyond. */
/** The base tables of a scratch database / schema, by name. */
async function tablesIn(scratch: Scratch): Promise<string[]> {
  const rows = await scratch.admin(
    scratch.dialect === 'mysql'
      ? "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
      : 'SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()',
  );
  return rows.map((row) => String(row.name));
}

export function truncateAllSuite(dialect: Dialect): void {
  const mysql = dialect === 'mysql';
  const auto = mysql ? MYSQL_AUTO : POSTGRES_AUTO;

  t.test(`${dialect}: truncateAll`, async (t) => {
    const scratch = await createScratch(dialect, 'truncate_all');
    t.teardown(() => scratch.drop());
    await loadFixtures(scratch, FIXTURES);
    const serial = mysql ? 'INT AUTO_INCREMENT PRIMARY KEY' : 'SERIAL PRIMARY KEY';
    await scratch.admin(`CREATE TABLE schema_migrations (id ${serial}, version VARCHAR(40) NOT NULL UNIQUE, note VARCHAR(40))`);
    const fixtureTables = FIXTURES.flatMap((name) => FIXTURE_TABLES[name]);
    /** Empties the fixtures by hand, then seeds them: the same rows every time. */
    const seedAll = async () => {
      const quoted = fixtureTables.map((table) => quoteFor(dialect, table));
      if (mysql) {
        await scratch.admin('SET FOREIGN_KEY_CHECKS = 0');
        for (const table of quoted) await scratch.admin(`TRUNCATE TABLE ${table}`);
        await scratch.admin('SET FOREIGN_KEY_CHECKS = 1');
      } else {
        await scratch.admin(`TRUNCATE ${quoted.join(', ')} RESTART IDENTITY CASCADE`);
      }
      for (const name of FIXTURES) await seedFixture(adminTarget(scratch), name);
    };
    const db = scratchPool(t, scratch, { max: 3 });
    const migrations = async () => ({
      rows: await scratch.admin('SELECT id, version, note FROM schema_migrations ORDER BY id'),
      next: await nextId(scratch, 'schema_migrations'),
      storage: await storageId(scratch, 'schema_migrations'),
    });
    await scratch.admin(
      "INSERT INTO schema_migrations (version, note) VALUES ('20260101', 'init'), ('20260102', 'it''s \"quoted\"'), ('20260103', NULL)",
    );
    await scratch.admin("DELETE FROM schema_migrations WHERE version = '20260103'");

    for (const restartIdentity of [true, false]) {
      t.test(`every strategy leaves what TRUNCATE leaves on every fixture (restartIdentity: ${restartIdentity})`, async (t) => {
        const results: Record<string, unknown> = {};
        for (const strategy of STRATEGIES) {
          await seedAll();
          // One table emptied by hand: no rows, but a counter that moved.
          await scratch.admin(mysql ? 'SET FOREIGN_KEY_CHECKS = 0' : 'SELECT 1');
          await scratch.admin(`DELETE FROM ${quoteFor(dialect, 'MixedCase')}`);
          await scratch.admin(mysql ? 'SET FOREIGN_KEY_CHECKS = 1' : 'SELECT 1');
          const before = await snapshot(scratch, fixtureTables);
          const kept = await migrations();
          const storages = { parent: await storageId(scratch, 'parent'), apps: await storageId(scratch, 'apps') };
          await db.truncateAll({ except: ['schema_migrations'], strategy, restartIdentity });
          const after = await snapshot(scratch, fixtureTables);
          const expected = Object.fromEntries(
            fixtureTables.map((table) => [table, { rows: 0, next: restartIdentity ? 1 : before[table]!.next }]),
          );
          t.same(after, expected, `${strategy}: every table empty, counters ${restartIdentity ? 'restarted' : 'kept'}`);
          t.same(await migrations(), kept, `${strategy}: the excepted table is untouched`);
          results[strategy] = after;
          if (strategy === 'delete' && (!mysql || !restartIdentity)) {
            // Proof that DELETE was used where it may be: the storage stayed.
            t.equal(
              await storageId(scratch, 'apps'),
              storages.apps,
              'delete: a table with no reference and no trigger was deleted from, not truncated',
            );
          }
          if (strategy === 'truncate') t.not(await storageId(scratch, 'parent'), storages.parent, 'truncate: new storage');
        }
        t.same(results.delete, results.truncate, "'delete' and 'truncate' leave identical tables");
        t.same(results.auto, results.truncate, "'auto' and 'truncate' leave identical tables");
      });
    }

    t.test('a table with a DELETE trigger is truncated: the trigger never fires', async (t) => {
      await scratch.admin('CREATE TABLE trigger_log (what VARCHAR(40))');
      await scratch.admin(`CREATE TABLE audited (id ${serial}, v INT)`);
      if (mysql) {
        await scratch.admin(
          "CREATE TRIGGER audited_delete AFTER DELETE ON audited FOR EACH ROW INSERT INTO trigger_log VALUES ('row deleted')",
        );
      } else {
        await scratch.admin(
          "CREATE FUNCTION log_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO trigger_log VALUES ('deleted: ' || TG_LEVEL); RETURN NULL; END $$",
        );
        await scratch.admin('CREATE TRIGGER audited_row AFTER DELETE ON audited FOR EACH ROW EXECUTE FUNCTION log_delete()');
        await scratch.admin('CREATE TABLE audited_statement (id SERIAL PRIMARY KEY, v INT)');
        await scratch.admin(
          'CREATE TRIGGER audited_statement AFTER DELETE ON audited_statement FOR EACH STATEMENT EXECUTE FUNCTION log_delete()',
        );
      }
      t.teardown(async () => {
        for (const table of ['trigger_log', 'audited', ...(mysql ? [] : ['audited_statement'])]) await scratch.admin(`DROP TABLE ${table}`);
        if (!mysql) await scratch.admin('DROP FUNCTION log_delete()');
      });
      const audited = mysql ? ['audited'] : ['audited', 'audited_statement'];
      for (const strategy of STRATEGIES) {
        for (const table of audited) await scratch.admin(`INSERT INTO ${table} (v) VALUES (1), (2), (3)`);
        await db.truncateAll({ except: ['schema_migrations', 'trigger_log'], strategy, restartIdentity: false });
        t.same(
          await rowCounts(scratch, [...audited, 'trigger_log']),
          Object.fromEntries([...audited.map((a) => [a, 0]), ['trigger_log', 0]]),
          strategy,
        );
      }
      // The test can fail: the same DELETE by hand fires the trigger.
      await scratch.admin('INSERT INTO audited (v) VALUES (1)');
      await scratch.admin('DELETE FROM audited');
      t.same(await rowCounts(scratch, ['trigger_log']), { trigger_log: 1 }, 'a DELETE would have fired it');
    });

    if (!mysql) {
      t.test('PostgreSQL: an ON TRUNCATE trigger fires exactly as TRUNCATE fires it, whatever the strategy', async (t) => {
        await scratch.admin('CREATE TABLE truncate_log (what TEXT)');
        await scratch.admin('CREATE TABLE watched (id SERIAL PRIMARY KEY, v INT)');
        await scratch.admin(
          'CREATE FUNCTION log_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO truncate_log VALUES (TG_OP); RETURN NULL; END $$',
        );
        await scratch.admin('CREATE TRIGGER watched_truncate AFTER TRUNCATE ON watched FOR EACH STATEMENT EXECUTE FUNCTION log_truncate()');
        t.teardown(async () => {
          await scratch.admin('DROP TABLE truncate_log, watched');
          await scratch.admin('DROP FUNCTION log_truncate()');
        });
        for (const strategy of STRATEGIES) {
          await scratch.admin('TRUNCATE truncate_log');
          await scratch.admin('INSERT INTO watched (v) VALUES (1)');
          await db.truncateAll({ except: ['schema_migrations', 'truncate_log'], strategy });
          t.same(await scratch.admin('SELECT what FROM truncate_log'), [{ what: 'TRUNCATE' }], strategy);
        }
      });
    }

    t.test('except keeps its table byte for byte, with every strategy', async (t) => {
      for (const strategy of STRATEGIES) {
        await seedAll();
        const kept = await migrations();
        await db.truncateAll({ except: ['schema_migrations', `${scratch.name}.schema_migrations`], strategy });
        t.same(await migrations(), kept, `${strategy}: rows, counter and storage as they were`);
        t.same(await rowCounts(scratch, ['parent', 'apps']), { parent: 0, apps: 0 }, `${strategy}: the rest is emptied`);
      }
      t.equal((await migrations()).rows.length, 2, 'the rows are really there');
    });

    t.test('a missing except name, a bad name or a bad option fails before anything changes', async (t) => {
      await seedAll();
      const before = await snapshot(scratch, fixtureTables);
      const kept = await migrations();
      const error = await db.truncateAll({ except: ['schema_migrationz'] }).catch((e: unknown) => e);
      t.ok(error instanceof TableNotFoundError, 'a typo is TableNotFoundError');
      t.equal((error as TableNotFoundError).table, 'schema_migrationz');
      const cases: [unknown, string][] = [
        [{ except: ['schema_migrations', 'no_such_schema.schema_migrations'] }, 'ERR_TABLE_NOT_FOUND'],
        [{ except: ['SCHEMA_MIGRATIONS'] }, 'ERR_TABLE_NOT_FOUND'],
        [{ schema: scratch.name, except: ['schema_migrationz'] }, 'ERR_TABLE_NOT_FOUND'],
        [{ except: ['a.b.c'] }, 'ERR_INVALID_IDENTIFIER'],
        [{ except: [''] }, 'ERR_INVALID_IDENTIFIER'],
        [{ except: [null] }, 'ERR_INVALID_IDENTIFIER'],
        [{ except: 'schema_migrations' }, 'ERR_INVALID_ARGUMENT'],
        [{ schema: '' }, 'ERR_INVALID_IDENTIFIER'],
        [{ schema: 42 }, 'ERR_INVALID_ARGUMENT'],
        [{ schema: 'no_such_schema' }, 'ERR_INVALID_ARGUMENT'],
        [{ strategy: 'fast' }, 'ERR_INVALID_ARGUMENT'],
        [{ cascade: 'yes' }, 'ERR_INVALID_ARGUMENT'],
        [{ restartIdentity: 1 }, 'ERR_INVALID_ARGUMENT'],
        [{ force: true }, 'ERR_INVALID_ARGUMENT'],
        ['everything', 'ERR_INVALID_ARGUMENT'],
      ];
      for (const [options, code] of cases) {
        await t.rejects(db.truncateAll(options as never), { code }, JSON.stringify(options));
      }
      await t.rejects(
        db.truncate('parent', { strategy: 'fast' } as never),
        { code: 'ERR_INVALID_ARGUMENT' },
        'truncate checks strategy too',
      );
      t.same(await snapshot(scratch, fixtureTables), before, 'every row and counter is still there');
      t.same(await migrations(), kept);
    });

    t.test('an excepted table with rows that references an emptied one', async (t) => {
      await scratch.admin(`CREATE TABLE kept_child (id ${serial}, parent_id INT NOT NULL REFERENCES parent (id))`);
      t.teardown(() => scratch.admin('DROP TABLE kept_child'));
      await seedAll();
      await scratch.admin('INSERT INTO kept_child (parent_id) SELECT id FROM parent');
      const except = ['schema_migrations', 'kept_child'];
      if (mysql) {
        await db.truncateAll({ except });
        t.same(await rowCounts(scratch, ['parent', 'kept_child']), { parent: 0, kept_child: 3 }, 'MySQL: its rows stay, as with truncate');
      } else {
        const before = await snapshot(scratch, fixtureTables);
        for (const strategy of STRATEGIES) {
          const error = await db.truncateAll({ except, strategy }).catch((e: unknown) => e);
          t.ok(error instanceof ForeignKeyTruncateError, `${strategy}: ForeignKeyTruncateError`);
          t.same((error as ForeignKeyTruncateError).referencingTables, [`${scratch.name}.kept_child`]);
        }
        t.same(await snapshot(scratch, fixtureTables), before, 'nothing changed');
        await scratch.admin('DELETE FROM kept_child');
        await db.truncateAll({ except, strategy: 'auto' });
        t.same(
          await rowCounts(scratch, ['parent', 'kept_child']),
          { parent: 0, kept_child: 0 },
          'once it is empty, the reset goes through',
        );
        t.equal(await nextId(scratch, 'kept_child'), 4, 'and the excepted table keeps its counter');
        await seedAll();
        await scratch.admin('INSERT INTO kept_child (parent_id) SELECT id FROM parent');
        await db.truncateAll({ except, cascade: true });
        t.same(
          await rowCounts(scratch, ['parent', 'kept_child']),
          { parent: 0, kept_child: 0 },
          'cascade empties it, as TRUNCATE ... CASCADE would',
        );
      }
    });

    t.test('lockTimeoutMillis works as for truncate, with every strategy', async (t) => {
      const lockSetting = mysql ? 'SELECT @@lock_wait_timeout AS value' : "SELECT current_setting('lock_timeout') AS value";
      const one = scratchPool(t, scratch, { max: 1 });
      const settingBefore = (await one.query(lockSetting)).rows[0]!.value;
      for (const strategy of STRATEGIES) {
        await seedAll();
        const holder = await openHolder(scratch);
        await holder.query('BEGIN');
        await holder.query("INSERT INTO apps (name, state, instances, memory_mb) VALUES ('held', 'STARTED', 1, 1)");
        // After the holder's insert: its counter step is not given back by the rollback.
        const before = await snapshot(scratch, fixtureTables);
        const error = await one.truncateAll({ except: ['schema_migrations'], strategy, lockTimeoutMillis: 300 }).catch((e: unknown) => e);
        t.equal((error as { code?: string } | undefined)?.code, 'ERR_LOCK_TIMEOUT', `${strategy}: LockTimeoutError`);
        checkHolderNamed(t, error, holder.id, await namesLockHolders(scratch), strategy);
        await holder.query('ROLLBACK');
        await holder.close();
        t.same(await snapshot(scratch, fixtureTables), before, `${strategy}: nothing emptied, no counter moved`);
        const after = await one.withConnection(async (conn) => ({
          checks: String((await conn.query(dialectSql[dialect].foreignKeyChecks)).rows[0]!.value),
          setting: (await conn.query(lockSetting)).rows[0]!.value,
        }));
        t.same(
          after,
          { checks: mysql ? '1' : 'origin', setting: settingBefore },
          `${strategy}: FK checks and the lock wait setting restored`,
        );
        await one.truncateAll({ except: ['schema_migrations'], strategy, lockTimeoutMillis: 300 });
        t.same(
          await snapshot(scratch, fixtureTables),
          Object.fromEntries(fixtureTables.map((table) => [table, { rows: 0, next: 1 }])),
          `${strategy}: with the locks in time, the reset goes through`,
        );
      }
      await t.rejects(one.truncateAll({ lockTimeoutMillis: -1 }), { code: 'ERR_INVALID_ARGUMENT' });
      await t.rejects(one.truncateAll({ lockTimeoutMillis: 1.5 }), { code: 'ERR_INVALID_ARGUMENT' });
    });

    t.test("'auto' deletes from small tables and truncates large ones", async (t) => {
      const small = 'apps';
      const large = 'services';
      await db.truncateAll({ except: ['schema_migrations'] });
      await scratch.admin(`INSERT INTO ${small} (name, state, instances, memory_mb) VALUES ('web', 'STARTED', 1, 1)`);
      const rows = auto.counterKept + 1;
      await scratch.admin(
        mysql
          ? `INSERT INTO ${large} (name, plan) SELECT CONCAT('s', seq), 'small' FROM seq_1_to_${rows}`
          : `INSERT INTO ${large} (name, plan) SELECT 's' || g, 'small' FROM generate_series(1, ${rows}) g`,
      );
      const before = { small: await storageId(scratch, small), large: await storageId(scratch, large) };
      await db.truncateAll({ except: ['schema_migrations'], strategy: 'auto', restartIdentity: false });
      t.same(await rowCounts(scratch, [small, large]), { [small]: 0, [large]: 0 });
      t.equal(await storageId(scratch, small), before.small, `${small} (1 row) was deleted from`);
      t.not(await storageId(scratch, large), before.large, `${large} (${rows} rows) was truncated`);
    });

    t.test('names holding a placeholder character are emptied like any other', async (t) => {
      const odd = ['what?', "it's ? too", '?'];
      for (const name of odd) {
        await scratch.admin(`CREATE TABLE ${quoteFor(dialect, name)} (id ${serial}, v INT)`);
        await scratch.admin(`INSERT INTO ${quoteFor(dialect, name)} (v) VALUES (1), (2)`);
      }
      t.teardown(async () => {
        for (const name of odd) await scratch.admin(`DROP TABLE ${quoteFor(dialect, name)}`);
      });
      for (const strategy of STRATEGIES) {
        await db.truncateAll({ except: ['schema_migrations'], strategy });
        t.same(await snapshot(scratch, odd), Object.fromEntries(odd.map((name) => [name, { rows: 0, next: 1 }])), strategy);
        for (const name of odd) await scratch.admin(`INSERT INTO ${quoteFor(dialect, name)} (v) VALUES (1)`);
      }
    });

    t.test('views, sequences and partitions are handled as TRUNCATE handles them', async (t) => {
      await seedAll();
      await scratch.admin('CREATE VIEW migration_view AS SELECT version FROM schema_migrations');
      t.teardown(() => scratch.admin('DROP VIEW migration_view'));
      if (!mysql) {
        await scratch.admin('CREATE SEQUENCE free_sequence');
        await scratch.admin("SELECT nextval('free_sequence'), nextval('free_sequence')");
        await scratch.admin('CREATE TABLE measurements (id SERIAL, day INT NOT NULL) PARTITION BY RANGE (day)');
        await scratch.admin('CREATE TABLE measurements_low PARTITION OF measurements FOR VALUES FROM (0) TO (100)');
        await scratch.admin('CREATE TABLE measurements_high PARTITION OF measurements FOR VALUES FROM (100) TO (200)');
        await scratch.admin('INSERT INTO measurements (day) VALUES (1), (150)');
        t.teardown(() => scratch.admin('DROP TABLE measurements; DROP SEQUENCE free_sequence'));
      }
      await db.truncateAll({ except: ['schema_migrations'], strategy: 'delete' });
      t.same(
        await scratch.admin('SELECT COUNT(*) AS n FROM migration_view').then((r) => Number(r[0]!.n)),
        2,
        'the view is not a table to empty',
      );
      if (!mysql) {
        t.same(await rowCounts(scratch, ['measurements', 'measurements_low', 'measurements_high']), {
          measurements: 0,
          measurements_low: 0,
          measurements_high: 0,
        });
        t.equal(await nextId(scratch, 'measurements'), 1, 'the partitioned table restarts its counter');
        t.same(
          await scratch.admin('SELECT last_value FROM free_sequence').then((r) => Number(r[0]!.last_value)),
          2,
          'a sequence no table owns is left alone',
        );
      }
    });

    if (mysql) {
      t.test('MySQL: truncateAll inside a transaction is refused and commits nothing; FOREIGN_KEY_CHECKS come back', async (t) => {
        await seedAll();
        await t.rejects(
          db.transaction(async (tx) => {
            await tx.query("INSERT INTO schema_migrations (version) VALUES ('uncommitted')");
            await tx.truncateAll({ except: ['schema_migrations'] });
          }),
          { code: 'ERR_TRUNCATE_IN_TRANSACTION' },
        );
        t.equal((await migrations()).rows.length, 2);
        t.same(await rowCounts(scratch, ['parent']), { parent: 3 }, 'nothing emptied');
        for (const strategy of STRATEGIES) {
          const checks = await db.withConnection(async (conn) => {
            await conn.truncateAll({ except: ['schema_migrations'], strategy });
            return (await conn.query<{ v: number }>('SELECT @@foreign_key_checks AS v')).rows[0]!.v;
          });
          t.equal(Number(checks), 1, `${strategy}: checks are on again`);
        }
      });

      t.test('MySQL: a statement failing part-way restores FOREIGN_KEY_CHECKS and lets the next truncate take its turn', async (t) => {
        await seedAll();
        const holder = await createScratch(dialect, 'truncate_all_holder');
        t.teardown(() => holder.drop());
        // An open transaction that read parent holds a metadata lock TRUNCATE must wait for.
        await holder.admin('BEGIN');
        await holder.admin(`SELECT COUNT(*) FROM ${scratch.name}.parent`);
        const outcome = await db.withConnection(async (conn) => {
          await conn.query('SET SESSION lock_wait_timeout = 1');
          const error = await conn.truncateAll({ except: ['schema_migrations'], strategy: 'truncate' }).catch((e: unknown) => e);
          const checks = (await conn.query<{ v: number }>('SELECT @@foreign_key_checks AS v')).rows[0]!.v;
          await conn.query('SET SESSION lock_wait_timeout = DEFAULT');
          return { error, checks: Number(checks) };
        });
        await holder.admin('COMMIT');
        // Typed since every table is locked before any is emptied: the server's 1205 is its cause.
        t.match(outcome.error, { code: 'ERR_LOCK_TIMEOUT', cause: { errno: 1205 } }, 'the lock wait timeout reaches the caller');
        t.equal(outcome.checks, 1, 'checks are on again');
        const other = scratchPool(t, scratch, { max: 1 });
        await other.truncateAll({ except: ['schema_migrations'] });
        t.same(await rowCounts(scratch, ['parent', 'apps']), { parent: 0, apps: 0 }, 'another pool took its turn: the lock was released');
      });
    } else {
      t.test('PostgreSQL: truncateAll rolls back with its transaction', async (t) => {
        await seedAll();
        const before = await snapshot(scratch, fixtureTables);
        for (const strategy of STRATEGIES) {
          await db
            .transaction(async (tx) => {
              await tx.truncateAll({ except: ['schema_migrations'], strategy });
              throw new Error('change of mind');
            })
            .catch(() => undefined);
          t.same(await snapshot(scratch, fixtureTables), before, `${strategy}: rows and counters rolled back`);
        }
      });

      t.test('PostgreSQL: in a REPEATABLE READ transaction, rows committed after the snapshot are still emptied', async (t) => {
        await db.truncateAll({ except: ['schema_migrations'] });
        await db.transaction(async (tx) => {
          await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
          await tx.query('SELECT 1');
          await scratch.admin("INSERT INTO apps (name, state, instances, memory_mb) VALUES ('late', 'STARTED', 1, 1)");
          await tx.truncateAll({ except: ['schema_migrations'], strategy: 'delete' });
        });
        t.same(await rowCounts(scratch, ['apps']), { apps: 0 }, 'a DELETE would have missed the row it could not see');
      });
    }

    t.test('an empty database is a reset with nothing to do', async (t) => {
      const empty = await createScratch(dialect, 'truncate_all_empty');
      t.teardown(() => empty.drop());
      await t.resolves(db.truncateAll({ schema: empty.name }), 'with the schema named');
      const own = scratchPool(t, empty, { max: 1 });
      await t.resolves(own.truncateAll(), 'as the current one');
      t.same(await tablesIn(empty), [], 'and it is still a database with no tables');
    });
  });

  t.test(`${dialect}: truncateAll across 200 tables, and from two pools at once`, async (t) => {
    const scratch = await createScratch(dialect, 'truncate_all_200');
    t.teardown(() => scratch.drop());
    const serial = mysql ? 'INT AUTO_INCREMENT PRIMARY KEY' : 'SERIAL PRIMARY KEY';
    const names = Array.from({ length: 100 }, (_, i) => String(i).padStart(3, '0'));
    for (const n of names) {
      await scratch.admin(`CREATE TABLE p${n} (id ${serial}, v INT)`);
      await scratch.admin(`CREATE TABLE c${n} (id ${serial}, p_id INT NOT NULL, FOREIGN KEY (p_id) REFERENCES p${n} (id))`);
    }
    const tables = names.flatMap((n) => [`p${n}`, `c${n}`]);
    const fill = async (every: number) => {
      for (const [i, n] of names.entries()) {
        if (i % every !== 0) continue;
        await scratch.admin(`INSERT INTO p${n} (v) VALUES (1), (2)`);
        await scratch.admin(`INSERT INTO c${n} (p_id) SELECT id FROM p${n}`);
      }
    };
    // The pool points elsewhere: the schema is named.
    const elsewhere = await createScratch(dialect, 'truncate_all_elsewhere');
    t.teardown(() => elsewhere.drop());
    const db = scratchPool(t, elsewhere, { max: 2 });

    for (const strategy of STRATEGIES) {
      await fill(1);
      await db.truncateAll({ schema: scratch.name, strategy });
      const counts = await rowCounts(scratch, tables);
      t.same(
        Object.values(counts).filter((n) => n !== 0),
        [],
        `${strategy}: all 200 tables empty`,
      );
      t.same([await nextId(scratch, 'p000'), await nextId(scratch, 'c099')], [1, 1], `${strategy}: counters restarted`);
    }

    const other = scratchPool(t, scratch, { max: 2 });
    const same = scratchPool(t, scratch, { max: 2 });
    for (let round = 0; round < 3; round++) {
      await fill(7);
      const outcomes = await Promise.allSettled([
        other.truncateAll({ strategy: 'auto' }),
        same.truncateAll({ strategy: 'delete' }),
        other.truncateAll({ strategy: 'truncate' }),
        same.truncateAll(),
      ]);
      t.same(
        outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason),
        [],
        `round ${round + 1}: every call succeeded`,
      );
    }
    const counts = await rowCounts(scratch, tables);
    t.same(
      Object.values(counts).filter((n) => n !== 0),
      [],
      'all empty',
    );
  });
}

import { createScratch, type Scratch } from '../test/helpers/servers.js';
import type { Driver } from './drivers/driver.js';
import type { Resources } from './resources.js';
import { createPairsSql } from './tables.js';

/** W7's crowd: this many parent/child pairs, none of them touched by the workload. */
export const UNRELATED_PAIRS = 2_000;

/** Pairs per batch: one PostgreSQL transaction takes a lock per relation made, and the lock table is finite. */
const PAIRS_PER_BATCH = 100;

/** Dropping 4,000 tables took 15–20 s on MariaDB, and a PostgreSQL database holding them more than 15 s, on a loaded machine. */
export const DROP_LIMIT_MILLIS = 300_000;

/** The schema W7's crowd goes in on PostgreSQL, inside W7's own database (PostgreSQL's catalogs are per database). */
const POSTGRES_SCHEMA = 'w7_unrelated';

/**
 * The label of W7's scratch namespaces. The process id in the name lets a later
 * run tell the leftovers of a run that died (and never dropped them) from
 * those of a run still going.
 */
export function scaleLabel(part: string): string {
  return `bench_w7_${process.pid}_${part}`;
}

const LEFTOVER = /^sqlpin_bench_w7_(\d+)_/;

/**
 * Drops what W7 runs that died left behind: databases named by `scaleLabel`
 * whose process is gone. On MariaDB a forgotten crowd of 4,000 tables would slow
 * every later run's catalog reads, and every other user of the server.
 */
export async function reapLeftovers(admin: Scratch): Promise<string[]> {
  const list =
    admin.dialect === 'mysql'
      ? "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'sqlpin\\_bench\\_w7\\_%'"
      : "SELECT datname AS name FROM pg_database WHERE datname LIKE 'sqlpin\\_bench\\_w7\\_%'";
  const dead = (await admin.admin(list))
    .map((row) => String(row.name))
    .filter((name) => {
      const pid = Number(LEFTOVER.exec(name)?.[1]);
      return Number.isSafeInteger(pid) && pid !== process.pid && !isRunning(pid);
    });
  for (const name of dead) {
    await admin.admin(admin.dialect === 'mysql' ? `DROP DATABASE IF EXISTS \`${name}\`` : `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
  return dead;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes `UNRELATED_PAIRS` parent/child pairs shaped like W3's, with foreign
 * keys, in another database (MySQL) or another schema of W7's database
 * (PostgreSQL), so that only sqlpin's catalog reads can meet them. Returns
 * where they are. MySQL's database is registered with `resources` to be
 * dropped; PostgreSQL's schema goes with W7's database (dropping its 12,000
 * relations in one transaction would overflow the lock table).
 */
export async function createUnrelated(driver: Driver, scratch: Scratch, resources: Resources): Promise<string> {
  if (driver.dialect === 'mysql') {
    const crowd = resources.add(
      'W7 unrelated tables',
      await createScratch('mysql', scaleLabel('unrelated')),
      (s) => s.drop(),
      DROP_LIMIT_MILLIS,
    );
    await fill(driver, crowd.url);
    return `database ${crowd.name}`;
  }
  await scratch.admin(`CREATE SCHEMA ${POSTGRES_SCHEMA}`);
  const url = new URL(scratch.url);
  url.searchParams.set('options', `-c search_path=${POSTGRES_SCHEMA}`);
  await fill(driver, url.toString());
  return `schema ${POSTGRES_SCHEMA} of ${scratch.name}`;
}

async function fill(driver: Driver, url: string): Promise<void> {
  const loader = await driver.connect(url, true);
  try {
    for (let start = 0; start < UNRELATED_PAIRS; start += PAIRS_PER_BATCH) {
      const pairs = Array.from({ length: Math.min(PAIRS_PER_BATCH, UNRELATED_PAIRS - start) }, (_, i) => {
        const suffix = String(start + i).padStart(4, '0');
        return { parent: `u_p${suffix}`, child: `u_c${suffix}` };
      });
      await loader.query(createPairsSql(driver.dialect, pairs));
    }
  } finally {
    await loader.close();
  }
}

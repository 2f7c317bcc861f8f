/**
 * A single throwaway MariaDB with the METADATA_LOCK_INFO plugin loaded: the
 * only MariaDB that can say which sessions hold a table's metadata locks. The
 * machine's main server has no such plugin, and is never reconfigured for one.
 */
import { startEngine, type Engine, type StartOptions } from './engine.js';
import { freePort } from './host.js';
import { installDataDir, mariadbUrl, mysqlUser, queryMariadb, startMariadbd } from './mariadb.js';

/** A running server; `root` is a root URL into `test`. */
export type MariadbLockInfo = Engine<{ root: string }>;

/** Starts the server and resolves once it answers and the plugin is active. */
export async function startMariadbLockInfo(options: StartOptions = {}): Promise<MariadbLockInfo> {
  return startEngine('mariadb-lock-info', await mysqlUser(), options, async (context) => {
    const port = await freePort();
    await installDataDir(context, 'server');
    await startMariadbd(context, 'server', port, ['--plugin-load-add=metadata_lock_info']);
    const plugin = await queryMariadb(
      mariadbUrl(port, { database: '' }),
      'CREATE DATABASE test',
      "SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO'",
    );
    if (plugin[0]?.PLUGIN_STATUS !== 'ACTIVE') throw new Error(`METADATA_LOCK_INFO is not active: ${JSON.stringify(plugin)}`);
    return { root: mariadbUrl(port) };
  });
}

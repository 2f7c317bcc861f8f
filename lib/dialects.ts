import type { PoolConfig } from './config.js';
import type { Adapter, AdapterSettings, Dialect } from './driver.js';
import { ConfigError } from './errors.js';

type AdapterFactory = (settings: AdapterSettings) => Adapter;

/**
 * The one composition point: the only core module that names an adapter. Each
 * is imported on first use, so a service loads, and installs, only the driver
 * of its own dialect.
 */
const ADAPTERS: Readonly<Record<Dialect, { readonly driver: string; load(): Promise<AdapterFactory> }>> = {
  mysql: { driver: 'mysql2', load: async () => (await import('../adapters/mysql.js')).createMysqlAdapter },
  postgres: { driver: 'pg', load: async () => (await import('../adapters/postgres.js')).createPostgresAdapter },
};

/** Loads the adapter of the pool's dialect; a driver that is not installed is a `ConfigError` naming the package. */
export async function loadAdapter(config: PoolConfig): Promise<Adapter> {
  const { driver, load } = ADAPTERS[config.dialect];
  let factory: AdapterFactory;
  try {
    factory = await load();
  } catch (error) {
    if (!isMissingPackage(error, driver)) throw error;
    throw new ConfigError(
      `the ${config.dialect} dialect needs the ${driver} package, which is not installed: npm install ${driver}`,
      error,
    );
  }
  return factory({
    ...(config.url === undefined ? { connection: config.connection ?? {} } : { url: config.url }),
    connectTimeoutMillis: config.acquireTimeoutMillis,
    ...(config.pooler === undefined ? {} : { pooler: config.pooler }),
    queryTimeoutMillis: config.queryTimeoutMillis,
    report: config.report,
  });
}

/** Node's "cannot find package" from import() (ESM) or require (CommonJS), for that package. */
function isMissingPackage(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes(`'${name}'`);
}

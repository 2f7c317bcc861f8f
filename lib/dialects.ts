import { mysqlDialect } from '../dialects/mysql/dialect.js';
import { postgresDialect } from '../dialects/postgres/dialect.js';
import type { Dialect, DialectInfo, Driver, DriverSettings } from './driver.js';
import { ConfigError } from './errors.js';

/**
 * The one composition point: the only core module that names a dialect. Each
 * dialect's facts load with the core (they import no driver); its driver part
 * is imported on first use, so a service loads, and installs, only the driver
 * of its own dialect.
 */
export const DIALECTS: Readonly<Record<Dialect, DialectInfo>> = { mysql: mysqlDialect, postgres: postgresDialect };

/** The dialect a URL scheme (with its colon) selects, if any. */
export function dialectOfScheme(protocol: string): DialectInfo | undefined {
  return Object.values(DIALECTS).find((dialect) => dialect.schemes.includes(protocol));
}

/** Every URL scheme sqlpin accepts, as messages list them. */
export const SCHEMES: readonly string[] = Object.values(DIALECTS).flatMap((dialect) => dialect.schemes);

/** Loads a dialect's driver; one that is not installed is a `ConfigError` naming the package. */
export async function loadDriver(dialect: DialectInfo, settings: DriverSettings): Promise<Driver> {
  let factory: Awaited<ReturnType<DialectInfo['loadDriver']>>;
  try {
    factory = await dialect.loadDriver();
  } catch (error) {
    if (!isMissingPackage(error, dialect.driverPackage)) throw error;
    const name = dialect.driverPackage;
    throw new ConfigError(`the ${dialect.name} dialect needs the ${name} package, which is not installed: npm install ${name}`, error);
  }
  return factory(settings);
}

/** Node's "cannot find package" from import() (ESM) or require (CommonJS), for that package. */
function isMissingPackage(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes(`'${name}'`);
}

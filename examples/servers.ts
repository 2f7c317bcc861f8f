import type { Dialect } from '../lib/index.js';

/**
 * Where the examples connect: MYSQL_URL and PG_URL override the local
 * defaults. SQLPIN_DEFAULT_PG_URL moves the PostgreSQL default, so a test can
 * point it at a closed port without setting PG_URL.
 */
export const SERVER_URLS: Readonly<Record<Dialect, string>> = {
  mysql: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
  postgres: process.env.PG_URL ?? process.env.SQLPIN_DEFAULT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};

/** Whether the user chose the server (MYSQL_URL / PG_URL set) rather than taking the default. */
export function chosenByUser(dialect: Dialect): boolean {
  return process.env[URL_VARIABLES[dialect]] !== undefined;
}

export const SERVER_NAMES: Readonly<Record<Dialect, string>> = { mysql: 'MySQL', postgres: 'PostgreSQL' };

const URL_VARIABLES: Readonly<Record<Dialect, string>> = { mysql: 'MYSQL_URL', postgres: 'PG_URL' };

const START_COMMANDS: Readonly<Record<Dialect, string>> = {
  mysql: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
  postgres: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
};

/** A URL fit to print: the password, if any, is masked. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a valid URL)';
  }
}

/** Why a server could not be used, and how to fix it, without echoing a password. */
export function unreachable(dialect: Dialect, error: unknown, url = SERVER_URLS[dialect]): string {
  const reason = error instanceof Error ? error.message : String(error);
  const problem = `cannot use ${SERVER_NAMES[dialect]} at ${redact(url)}: ${reason}`;
  if (!isNetworkFailure(error)) return problem;
  return `${problem}\nstart it with: ${START_COMMANDS[dialect]}\nor point ${URL_VARIABLES[dialect]} at a running server`;
}

/**
 * A socket-level failure (ECONNREFUSED, ETIMEDOUT, ...) somewhere in the cause
 * chain: the server is not there. A refused login is not, and starting a
 * server would not help with it.
 */
export function isNetworkFailure(error: unknown): boolean {
  for (let current = error; typeof current === 'object' && current !== null; current = (current as { cause?: unknown }).cause) {
    if (/^E[A-Z]+$/.test(String((current as { code?: unknown }).code))) return true;
  }
  return false;
}

/**
 * The examples' PostgreSQL when none is running: if PG_URL is not set and
 * nothing answers at the default URL, an embedded PostgreSQL 18 (the
 * throwaway server of test/engines) serves the run, and is stopped and its
 * directory removed when the work is done, or on Ctrl-C.
 */
import { createPool, type Dialect } from '../lib/index.js';
import { startPostgresCluster } from '../test/engines/postgres-cluster.js';
import { SERVER_URLS, chosenByUser, isNetworkFailure, redact } from './servers.js';

const EMBEDDED_MAJOR = 18;

/**
 * Runs `work` with the URL of the server to use for `dialect`: the one the
 * user chose or the default, or else, for PostgreSQL only, an embedded one.
 * Rejects only if the embedded server cannot be started or stopped.
 */
export async function withServer(dialect: Dialect, work: (url: string) => Promise<void>): Promise<void> {
  const url = SERVER_URLS[dialect];
  if (dialect !== 'postgres' || chosenByUser(dialect) || !(await nothingAnswers(url))) return work(url);
  const cluster = await startPostgresCluster(EMBEDDED_MAJOR);
  console.log(
    `no PostgreSQL at ${redact(url)} and PG_URL not set: using an embedded PostgreSQL ${EMBEDDED_MAJOR} at ${cluster.urls.url} (in ${cluster.dir}, removed at exit)`,
  );
  // Ctrl-C is covered too: the engine stops itself when its process is interrupted.
  try {
    await work(cluster.urls.url);
  } finally {
    await cluster.stop();
  }
}

/** True when connecting fails at the socket: no server there. A refused login is an answer. */
async function nothingAnswers(url: string): Promise<boolean> {
  const probe = createPool({ url, max: 1, acquireTimeoutMillis: 3_000 });
  try {
    await probe.query('SELECT 1');
    return false;
  } catch (error) {
    return isNetworkFailure(error);
  } finally {
    await probe.close();
  }
}

import type { DriverConnection, Session } from '../../lib/driver.js';
import type { ClusterFacts } from './galera.js';

/** What a MySQL connection knows of how it was configured, and of its login. */
export interface ConfiguredFacts {
  /** The database the pool was configured with; undefined when none. `truncateAll()` without a schema empties it. */
  readonly database?: string | undefined;
  /** The user's server-wide privileges, as sqlpin's first truncate on the session read them; see `globalPrivileges`. */
  globalPrivileges?: ReadonlySet<string> | undefined;
}

/** A core session on a MySQL-family connection, as the truncate sees it: with what the connection knows of its server. */
export type MysqlSession = Session<DriverConnection & ClusterFacts & ConfiguredFacts>;

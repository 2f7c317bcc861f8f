import type { DriverConnection, Session } from '../../lib/driver.js';
import type { ClusterFacts } from './galera.js';

/** A core session on a MySQL-family connection, as the truncate sees it: with what the connection knows of its server. */
export type MysqlSession = Session<DriverConnection & ClusterFacts>;

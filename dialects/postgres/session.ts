import type { DriverConnection, Session } from '../../lib/driver.js';
import type { PreparedStatements } from './prepared-statements.js';
import type { ServerParameters } from './read-only.js';

/** What a PostgreSQL connection knows of its server, for the truncate. */
export interface ServerFacts extends DriverConnection {
  /** What the server reported at login and since (ParameterStatus). */
  readonly parameters: ServerParameters;
  /** The backend that answered sqlpin's first truncate; the pool's first answer says whether a pooler stands between. */
  answeredBy(backendPid: number): void;
  /** Whether messages on this connection reach one server backend, no pooler between; undefined until the pool's first answer. */
  reachesServer(): boolean | undefined;
  /** sqlpin's statements prepared on the server session (see `runCatalogStatement`). */
  readonly prepared: PreparedStatements;
}

/** A core session on a PostgreSQL connection, as the truncate sees it. */
export type PostgresSession = Session<ServerFacts>;

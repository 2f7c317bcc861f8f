/**
 * Driver-native connection options, typed structurally so that the published
 * declarations need neither `mysql2` nor `@types/pg` in a consumer: the common
 * options are typed, and every other option of the driver passes through as it is.
 */

/** TLS settings, passed to the driver untouched (`true`, or node:tls options). */
export type TlsOptions = boolean | Readonly<Record<string, unknown>>;

/** mysql2 `ConnectionOptions`, accepted as `connection` when the dialect is 'mysql'. */
export interface MysqlConnectionOptions {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  socketPath?: string;
  charset?: string;
  timezone?: string;
  connectTimeout?: number;
  ssl?: string | TlsOptions;
  [option: string]: unknown;
}

/** pg `ClientConfig`, accepted as `connection` when the dialect is 'postgres'. */
export interface PostgresConnectionOptions {
  host?: string;
  port?: number;
  user?: string;
  password?: string | (() => string | Promise<string>);
  database?: string;
  connectionString?: string;
  application_name?: string;
  options?: string;
  statement_timeout?: number;
  connectionTimeoutMillis?: number;
  ssl?: TlsOptions;
  [option: string]: unknown;
}

import type { Duplex } from 'node:stream';
import mysql from 'mysql2';
import {
  AS_IS,
  type AsideQuery,
  type Driver,
  type DriverConnection,
  type DriverSettings,
  type Reply,
  type TransactionStatus,
} from '../../lib/driver.js';
import { socketOf } from './internals.js';
import { quoteMysql } from './names.js';
import { sessionSetup } from './setup.js';
import { truncateMysql } from './truncate.js';
import { SERVER_STATUS_NO_BACKSLASH_ESCAPES, valuesFor } from './values.js';

// Server status flags from the OK packet (include/mysql_com.h).
const SERVER_STATUS_IN_TRANS = 0x0001;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;

/** What the handshake says of the server and of the session it opened. */
interface Handshake {
  readonly serverVersion?: string;
  readonly statusFlags?: number;
}

/** One mysql2 connection; the driver object never leaves this class. */
export class MysqlConnection implements DriverConnection {
  readonly id: number;
  readonly mariadb: boolean;
  /** The database the pool was configured with (URL path or `database`); undefined when none. */
  readonly database: string | undefined;
  /** Whether the server is a Galera node with replication on; undefined until sqlpin's first read reported it. */
  galera: boolean | undefined;
  /** The login's server-wide privileges; undefined until sqlpin's first truncate read them. */
  globalPrivileges: ReadonlySet<string> | undefined;
  readonly #connection: mysql.Connection;
  /** Run after login and after every reset; see `sessionSetup`. */
  readonly #setup: string | undefined;
  /** The status flags of the last OK packet; undefined after an error packet, which carries none. */
  #status: number | undefined = SERVER_STATUS_AUTOCOMMIT;
  /**
   * Whether the session reads backslashes in literals as plain characters
   * (sql_mode NO_BACKSLASH_ESCAPES), from the last status flags seen: only a
   * statement that answers with an OK packet can change sql_mode for the session.
   */
  #noBackslashEscapes: boolean;
  /** Whether the link has died, and the faults it raised before anyone listened. */
  #lost = false;
  #unheard: unknown[] = [];
  #onLost: ((error: unknown) => void) | undefined;

  constructor(connection: mysql.Connection, handshake: Handshake | undefined) {
    const serverVersion = handshake?.serverVersion ?? '';
    this.#connection = connection;
    this.mariadb = /mariadb/i.test(serverVersion);
    this.database = connection.config.database || undefined;
    this.#setup = sessionSetup(serverVersion);
    this.#noBackslashEscapes = ((handshake?.statusFlags ?? 0) & SERVER_STATUS_NO_BACKSLASH_ESCAPES) !== 0;
    this.id = connection.threadId ?? 0;
    // The driver emits 'error' only for faults no pending command took (an idle
    // session killed by the server); without a listener the process would crash.
    connection.on('error', (error) => this.#lose(error));
    connection.on('end', () => this.#lose(undefined));
  }

  send<T>(text: string, params: readonly unknown[] | undefined, reply: Reply<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      try {
        const values = params === undefined ? undefined : valuesFor(params, this.#noBackslashEscapes);
        this.#connection.query(text, values as mysql.QueryValues, (error, result, fields) => {
          if (error) {
            this.#status = undefined;
            reject(reply.failed(error));
          } else if (Array.isArray(result)) {
            // A result set carries no status flags; a SELECT cannot change them
            // (with autocommit off it may open a transaction, which `status` counts already).
            // Several results (a CALL): the OK packets among them say what the statements set. The rows of
            // one result set are never read as such, whatever their columns are named (`serverStatus`).
            if (severalResults(fields)) for (const part of result) if (isHeader(part)) this.#noteFlags(part.serverStatus);
            resolve(reply.ended({ rows: result, rowCount: result.length }));
          } else {
            const header = result as mysql.ResultSetHeader;
            this.#status = header.serverStatus;
            this.#noteFlags(header.serverStatus);
            const { affectedRows, insertId } = header;
            resolve(reply.ended({ rows: [], rowCount: affectedRows, affectedRows, insertId }));
          }
        });
      } catch (error) {
        // mysql2 throws at once on a connection it has closed.
        reject(reply.failed(error));
      }
    });
  }

  #noteFlags(flags: number): void {
    this.#noBackslashEscapes = (flags & SERVER_STATUS_NO_BACKSLASH_ESCAPES) !== 0;
  }

  status(): TransactionStatus | undefined {
    const flags = this.#status;
    if (flags === undefined) return undefined;
    return (flags & SERVER_STATUS_IN_TRANS) !== 0 || (flags & SERVER_STATUS_AUTOCOMMIT) === 0 ? 'open' : 'idle';
  }

  isFatal(error: unknown): boolean {
    return (error as { fatal?: unknown }).fatal === true || this.#lost;
  }

  async reset(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#connection.reset((error: unknown) => (error ? reject(error) : resolve()));
    });
    this.#status = SERVER_STATUS_AUTOCOMMIT;
    // COM_RESET_CONNECTION keeps the current database, and its reply (not passed on by mysql2)
    // holds the sql_mode flags the reset brought back: this statement's OK packet has them.
    await this.send(this.database === undefined ? 'DO 0' : `USE ${quoteMysql(this.database)}`, undefined, AS_IS);
    await this.prepare();
  }

  /** Applies the session setup this server needs, if any. */
  async prepare(): Promise<void> {
    if (this.#setup !== undefined) await this.send(this.#setup, undefined, AS_IS);
  }

  end(): Promise<void> {
    return new Promise((resolve) => {
      socketOf(this.#connection).once('close', resolve);
      this.#connection.end();
    });
  }

  destroy(): void {
    this.#connection.destroy();
    socketOf(this.#connection).destroy();
  }

  holdProcess(hold: boolean): void {
    const socket = socketOf(this.#connection) as Duplex & { ref(): void; unref(): void };
    if (hold) socket.ref();
    else socket.unref();
  }

  onLost(listener: (error: unknown) => void): void {
    this.#onLost = listener;
    for (const error of this.#unheard.splice(0)) listener(error);
  }

  /** The link died (an error event, or its end): each is passed on; the core reports the first fault once. */
  #lose(error: unknown): void {
    this.#lost = true;
    if (this.#onLost === undefined) this.#unheard.push(error);
    else this.#onLost(error);
  }
}

/** Whether a reply holds the results of several statements (a CALL): `fields` then has an entry per result, an array for each result set. */
function severalResults(fields: unknown): boolean {
  return Array.isArray(fields) && fields.some((entry) => Array.isArray(entry));
}

/** An OK packet among the results of several statements. */
function isHeader(part: unknown): part is mysql.ResultSetHeader {
  return (
    typeof part === 'object' &&
    part !== null &&
    !Array.isArray(part) &&
    typeof (part as { serverStatus?: unknown }).serverStatus === 'number'
  );
}

/** Runs `work` on a connection of its own, closed right after: cancels and lock look-ups come from outside the session. */
async function runAside<T>(options: mysql.ConnectionOptions, work: (query: AsideQuery) => Promise<T>): Promise<T> {
  const connection = mysql.createConnection({ ...options });
  // An error after the work (the server closing first) changes nothing for the caller.
  connection.on('error', () => connection.destroy());
  try {
    // Values are filled in once the handshake has said how the session reads backslashes.
    const handshake = await new Promise<Handshake | undefined>((resolve, reject) => {
      connection.connect((error, opened?: Handshake) => (error ? reject(error) : resolve(opened)));
    });
    const noBackslashEscapes = ((handshake?.statusFlags ?? 0) & SERVER_STATUS_NO_BACKSLASH_ESCAPES) !== 0;
    const query: AsideQuery = (text, params) =>
      new Promise((resolve, reject) => {
        const values = params === undefined ? undefined : valuesFor(params, noBackslashEscapes);
        connection.query(text, values as mysql.QueryValues, (error, rows) => {
          if (error) reject(error);
          else resolve(Array.isArray(rows) ? (rows as Record<string, unknown>[]) : []);
        });
      });
    return await work(query);
  } finally {
    connection.end();
  }
}

/** Opens one connection and applies the session setup; a connection whose setup fails is destroyed. */
function connect(options: mysql.ConnectionOptions): Promise<MysqlConnection> {
  return new Promise((resolve, reject) => {
    const connection = mysql.createConnection({ ...options });
    connection.connect((error, handshake?: Handshake) => {
      if (error) {
        connection.destroy();
        reject(error);
        return;
      }
      const opened = new MysqlConnection(connection, handshake);
      opened.prepare().then(
        () => resolve(opened),
        (setupError: unknown) => {
          opened.destroy();
          reject(setupError);
        },
      );
    });
  });
}

/** The MySQL / MariaDB driver, on mysql2. */
export function createMysqlDriver(settings: DriverSettings): Driver<MysqlConnection> {
  const options: mysql.ConnectionOptions = {
    connectTimeout: settings.connectTimeoutMillis,
    // BIGINT and DECIMAL values as strings, never rounded, as pg gives int8 and numeric.
    supportBigNumbers: true,
    bigNumberStrings: true,
    ...(settings.url === undefined ? settings.connection : { uri: settings.url }),
  };
  return {
    connect: () => connect(options),
    aside: (work) => runAside(options, work),
    cancel: (id) => ({ text: `KILL QUERY ${id}`, params: [] }),
    statusProbe: 'DO 0',
    truncate: truncateMysql,
  };
}

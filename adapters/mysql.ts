import type { Duplex } from 'node:stream';
import mysql from 'mysql2';
import type { Adapter, AdapterSettings, QueryResult, TransactionState } from '../lib/driver.js';
import type { IdentifierRules } from '../lib/identifiers.js';
import { bounded } from '../lib/timeout.js';
import { queryChannel, traceQuery } from '../lib/tracing.js';
import { truncateMysql } from './mysql-truncate.js';
import type { ClusterSession } from './galera.js';
import { findBlockers, type AsideQuery, type BlockerSource, type LockedTable } from './mysql-blockers.js';
import type { LockBlocker } from '../lib/errors.js';
import { closeWithin } from './close.js';

// Server status flags from the OK packet (include/mysql_com.h).
const SERVER_STATUS_IN_TRANS = 0x0001;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;

/** What a session needs from the adapter that opened it. */
interface SessionContext {
  readonly report: AdapterSettings['report'];
  readonly queryTimeoutMillis: number;
  /** Runs `work` on a short-lived side connection (KILL QUERY, a look at who holds locks). */
  aside<T>(work: (query: AsideQuery) => Promise<T>): Promise<T>;
}

/** One mysql2 connection; the driver object never leaves this class. */
class MysqlSession implements ClusterSession, BlockerSource {
  readonly id: number;
  readonly mariadb: boolean;
  galera: boolean | undefined;
  readonly #connection: mysql.Connection;
  readonly #context: SessionContext;
  #status = SERVER_STATUS_AUTOCOMMIT;
  #reusable = true;
  /** The last reply was an error: error packets carry no status flags, so `#status` may be out of date. */
  #stale = false;
  #lastError: unknown;
  /** The error after which the server was found to have ended the transaction (a deadlock rolls it all back). */
  #endedBy: unknown;
  /** A statement timed out inside the open transaction: it must not commit. */
  #abortedBy: unknown;
  #settling: Promise<void> | undefined;

  /** Run after login and after every reset; see `sessionSetup`. */
  readonly #setup: string | undefined;

  constructor(connection: mysql.Connection, context: SessionContext, serverVersion: string) {
    this.#connection = connection;
    this.#context = context;
    this.mariadb = /mariadb/i.test(serverVersion);
    this.#setup = sessionSetup(serverVersion);
    this.id = connection.threadId ?? 0;
    const { report } = context;
    // The driver emits 'error' only for faults no pending command took (an idle
    // session killed by the server): the session is dead, and the fault is reported.
    connection.on('error', (error) => {
      this.#reusable = false;
      report(error);
    });
    connection.on('end', () => {
      this.#reusable = false;
    });
  }

  query<Row>(text: string, params?: readonly unknown[], timeoutMillis = this.#context.queryTimeoutMillis): Promise<QueryResult<Row>> {
    if (queryChannel.hasSubscribers) return traceQuery('mysql', text, this.id, () => this.#bounded<Row>(text, params, timeoutMillis));
    return this.#bounded<Row>(text, params, timeoutMillis);
  }

  #bounded<Row>(text: string, params: readonly unknown[] | undefined, timeoutMillis: number): Promise<QueryResult<Row>> {
    const running = this.#query<Row>(text, params);
    if (timeoutMillis === 0) return running;
    return bounded(running, timeoutMillis, this.#overdue, (timeout, settled) => {
      if (this.inTransaction()) this.#abortedBy ??= timeout;
      this.#settling = settled.finally(() => (this.#settling = undefined));
    });
  }

  settling(): Promise<void> | undefined {
    return this.#settling;
  }

  lockBlockers(tables: readonly LockedTable[]): Promise<LockBlocker[]> {
    return this.#context.aside((query) => findBlockers(query, this.id, tables));
  }

  readonly #overdue = {
    cancel: async () => {
      await this.#context.aside((query) => query(`KILL QUERY ${this.id}`));
    },
    abandon: () => {
      this.#reusable = false;
      this.#destroy();
    },
    report: (error: unknown) => this.#context.report(error),
  };

  #query<Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return new Promise((resolve, reject) => {
      this.#connection.query(text, params as mysql.QueryValues, (error, result) => {
        if (error) {
          if (error.fatal) this.#reusable = false;
          this.#stale = true;
          this.#lastError = error;
          reject(error);
        } else if (Array.isArray(result)) {
          resolve({ rows: result as Row[], rowCount: result.length });
        } else {
          // Only OK packets carry the status flags; a SELECT cannot change them
          // (with autocommit off it may open a transaction, which inTransaction counts already).
          const header = result as mysql.ResultSetHeader;
          this.#status = header.serverStatus;
          this.#stale = false;
          if (this.inTransaction()) this.#endedBy = undefined;
          else this.#abortedBy = undefined;
          resolve({ rows: [], rowCount: header.affectedRows });
        }
      });
    });
  }

  inTransaction(): boolean {
    return (this.#status & SERVER_STATUS_IN_TRANS) !== 0 || (this.#status & SERVER_STATUS_AUTOCOMMIT) === 0;
  }

  async transactionState(): Promise<TransactionState> {
    if (this.#stale && this.#reusable) {
      const wasOpen = this.inTransaction();
      // DO answers with an OK packet, whose status flags say whether the server ended the transaction.
      await this.query('DO 0');
      if (wasOpen && !this.inTransaction()) this.#endedBy = this.#lastError;
    }
    if (!this.inTransaction()) return { status: 'idle', failure: this.#endedBy };
    return this.#abortedBy === undefined ? { status: 'open' } : { status: 'failed', failure: this.#abortedBy };
  }

  async reset(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#connection.reset((error: unknown) => {
        if (error) return reject(error);
        this.#status = SERVER_STATUS_AUTOCOMMIT;
        this.#stale = false;
        this.#endedBy = undefined;
        this.#abortedBy = undefined;
        resolve();
      });
    });
    await this.prepare();
  }

  /** Applies the session setup this server needs, if any. */
  async prepare(): Promise<void> {
    if (this.#setup !== undefined) await this.query(this.#setup);
  }

  isReusable(): boolean {
    return this.#reusable;
  }

  condemn(): void {
    this.#reusable = false;
  }

  close(): Promise<void> {
    if (!this.#reusable) {
      this.#destroy();
      return Promise.resolve();
    }
    return closeWithin(
      (done) => {
        this.#socket().once('close', done);
        this.#connection.end();
      },
      () => this.#destroy(),
    );
  }

  // mysql2's destroy() marks the connection as closing but only half-closes the socket, and
  // end() calls back before COM_QUIT is even sent: so the socket itself is watched, and destroyed.
  #socket(): Duplex {
    return (this.#connection as unknown as { stream: Duplex }).stream;
  }

  #destroy(): void {
    this.#connection.destroy();
    this.#socket().destroy();
  }
}

/** Runs `work` on a connection of its own, closed right after: cancels and lock look-ups come from outside the session. */
async function runAside<T>(options: mysql.ConnectionOptions, work: (query: AsideQuery) => Promise<T>): Promise<T> {
  const connection = mysql.createConnection({ ...options });
  // An error after the work (the server closing first) changes nothing for the caller.
  connection.on('error', () => connection.destroy());
  const query: AsideQuery = (text, params) =>
    new Promise((resolve, reject) => {
      connection.query(text, params as mysql.QueryValues, (error, rows) => {
        if (error) reject(error);
        else resolve(Array.isArray(rows) ? (rows as Record<string, unknown>[]) : []);
      });
    });
  try {
    return await work(query);
  } finally {
    connection.end();
  }
}

/** Quotes one validated identifier part; the quote character is doubled inside it. */
function quoteMysql(part: string): string {
  return '`' + part.replaceAll('`', '``') + '`';
}

/**
 * MySQL 8 caches information_schema table statistics, AUTO_INCREMENT included,
 * for a day by default; truncate reads the counters there, so the cache is
 * turned off for the session. MariaDB does not cache and needs nothing.
 */
export function sessionSetup(serverVersion: string): string | undefined {
  const major = Number.parseInt(serverVersion, 10);
  return /mariadb/i.test(serverVersion) || !(major >= 8) ? undefined : 'SET SESSION information_schema_stats_expiry = 0';
}

const identifierRules: IdentifierRules = {
  maxLength: 64,
  unit: 'characters',
  refuse(part) {
    // The server strips or rejects these, so the name it would act on is not the one given.
    if (part.endsWith(' ')) return 'ends with a space, which MySQL does not allow in names';
    if ([...part].some((ch) => ch.codePointAt(0)! > 0xffff))
      return 'contains a character outside the Basic Multilingual Plane, which MySQL names cannot hold';
    return undefined;
  },
};

/** The MySQL / MariaDB adapter on mysql2. */
export function createMysqlAdapter(settings: AdapterSettings): Adapter {
  let retriedReads = 0;
  const options: mysql.ConnectionOptions = {
    connectTimeout: settings.connectTimeoutMillis,
    ...(settings.url === undefined ? settings.connection : { uri: settings.url }),
  };
  return {
    dialect: 'mysql',
    identifierRules,
    truncateCommitsImplicitly: true,
    placeholder: () => '?',
    quote: quoteMysql,
    connect() {
      return new Promise((resolve, reject) => {
        const connection = mysql.createConnection({ ...options });
        connection.connect((error, handshake?: { serverVersion?: string }) => {
          if (error) {
            connection.destroy();
            reject(error);
            return;
          }
          const session = new MysqlSession(
            connection,
            { report: settings.report, queryTimeoutMillis: settings.queryTimeoutMillis, aside: (work) => runAside(options, work) },
            handshake?.serverVersion ?? '',
          );
          session.prepare().then(
            () => resolve(session),
            (setupError: unknown) => {
              connection.destroy();
              reject(setupError);
            },
          );
        });
      });
    },
    get retriedReads() {
      return retriedReads;
    },
    // The adapter only ever receives sessions it opened itself.
    truncate: (session, what, truncateOptions) =>
      truncateMysql(session as MysqlSession, what, truncateOptions, quoteMysql, () => retriedReads++),
  };
}

import pg from 'pg';
import {
  AS_IS,
  type AsideQuery,
  type Driver,
  type DriverConnection,
  type DriverSettings,
  type Reply,
  type TransactionStatus,
} from '../../lib/driver.js';
import { announcedPid, destroySocket, holdProcess, readyForQuery, recordParameters } from './internals.js';
import { PIN_BY_TRANSACTION, PoolerCheck, proxyWarning } from './pooler.js';
import { PreparedStatements } from './prepared-statements.js';
import { refuseReadOnlyPostgres } from './read-only.js';
import { truncatePostgres } from './truncate.js';

const STATUSES: Readonly<Record<string, TransactionStatus>> = { I: 'idle', T: 'open', E: 'failed' };

/** Text that may drop prepared statements: DEALLOCATE or DISCARD ALL, as a statement or inside one (a DO block). */
const DROPS_PREPARED = /\b(DEALLOCATE|DISCARD)\b/i;

/** One pg client; the driver object never leaves this class. */
export class PostgresConnection implements DriverConnection {
  readonly id: number;
  /** What the server reported at login and since (ParameterStatus). */
  readonly parameters: ReadonlyMap<string, string>;
  readonly prepared = new PreparedStatements();
  readonly #client: pg.Client;
  /** Whether sessions reach the server itself, not a pooler: said by the options or found once per pool. */
  readonly #pooler: PoolerCheck;
  /** Whether the link has died, and the faults it raised before anyone listened. */
  #lost = false;
  #unheard: unknown[] = [];
  #onLost: ((error: unknown) => void) | undefined;

  constructor(client: pg.Client, parameters: ReadonlyMap<string, string>, pooler: PoolerCheck) {
    this.#client = client;
    this.parameters = parameters;
    this.#pooler = pooler;
    this.id = announcedPid(client);
    // pg emits 'error' for faults outside a query (an idle backend terminated): without a
    // listener the process would crash. A terminated backend raises two (the server's FATAL,
    // then the closed socket): one fault, reported once.
    client.on('error', (error) => this.#lose(error));
    client.on('end', () => this.#lose(undefined));
  }

  send<T>(text: string, params: readonly unknown[] | undefined, reply: Reply<T>): Promise<T> {
    // Whether it runs or fails part-way, it may have dropped sqlpin's prepared statements.
    if (DROPS_PREPARED.test(text)) this.prepared.mayBeDropped();
    return new Promise((resolve, reject) => {
      this.#client.query(text, params as unknown[], (error: Error | null, answer: pg.QueryResult | pg.QueryResult[]) => {
        if (error) {
          // The server's ErrorResponse comes before the ReadyForQuery with the new transaction status:
          // the caller hears of it once that has arrived, so that `status()` is current. A fault of the
          // link, or a FATAL one, is followed by no ReadyForQuery.
          if (this.isFatal(error)) reject(reply.failed(error));
          else void readyForQuery(this.#client).then(() => reject(reply.failed(error)));
          return;
        }
        // Several statements in one text answer one result each: the last one is the answer.
        const result = Array.isArray(answer) ? answer[answer.length - 1]! : answer;
        resolve(reply.ended({ rows: result.rows ?? [], rowCount: result.rowCount ?? 0 }));
      });
    });
  }

  status(): TransactionStatus {
    return STATUSES[this.#client.getTransactionStatus() ?? 'I'] ?? 'idle';
  }

  isFatal(error: unknown): boolean {
    if (this.#lost || !(error instanceof pg.DatabaseError)) return true;
    return error.severity === 'FATAL' || error.severity === 'PANIC';
  }

  /** DISCARD ALL drops sqlpin's prepared statements with the rest; pg keeps none of its own (sqlpin sends no named query). */
  async reset(): Promise<void> {
    await this.send('DISCARD ALL', undefined, AS_IS);
    this.prepared.dropped();
  }

  reachesServer(): boolean | undefined {
    return this.#pooler.direct;
  }

  async end(): Promise<void> {
    await this.#client.end();
  }

  destroy(): void {
    destroySocket(this.#client);
  }

  holdProcess(hold: boolean): void {
    holdProcess(this.#client, hold);
  }

  onLost(listener: (error: unknown) => void): void {
    this.#onLost = listener;
    for (const error of this.#unheard.splice(0)) listener(error);
  }

  /** The backend that answered sqlpin's first truncate; the pool's first answer says whether a pooler stands between. */
  answeredBy(backendPid: number): void {
    this.#pooler.note(this.id, backendPid);
  }

  /** The link died (an error event, or its end): each is passed on; the core reports the first fault once. */
  #lose(error: unknown): void {
    this.#lost = true;
    if (this.#onLost === undefined) this.#unheard.push(error);
    else this.#onLost(error);
  }
}

/** Runs `work` on a connection of its own, closed right after: cancels and lock look-ups come from outside the session. */
async function runAside<T>(options: pg.ClientConfig, work: (query: AsideQuery) => Promise<T>): Promise<T> {
  const client = new pg.Client(options);
  // An error after the work (the server closing first) changes nothing for the caller.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(async (text, params) => (await client.query(text, params as unknown[])).rows);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Opens one client, recording what the server reports at login; a client that fails to connect is ended. */
async function connect(options: pg.ClientConfig, pooler: PoolerCheck, report: DriverSettings['report']): Promise<PostgresConnection> {
  const client = new pg.Client(options);
  const parameters = new Map<string, string>();
  recordParameters(client, parameters);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(report);
    throw error;
  }
  return new PostgresConnection(client, parameters, pooler);
}

/** The PostgreSQL driver, on pg. */
export function createPostgresDriver(settings: DriverSettings): Driver<PostgresConnection> {
  const options: pg.ClientConfig = {
    connectionTimeoutMillis: settings.connectTimeoutMillis,
    ...(settings.url === undefined ? settings.connection : { connectionString: settings.url }),
  };
  const pooler = new PoolerCheck(settings.pooler === undefined ? undefined : false, () => settings.report(proxyWarning()));
  return {
    connect: () => connect(options, pooler, settings.report),
    aside: (work) => runAside(options, work),
    cancel: (id) => ({ text: 'SELECT pg_catalog.pg_cancel_backend($1)', params: [id] }),
    // Never needed: every reply (ReadyForQuery) carries the status.
    statusProbe: 'SELECT 1',
    ...(settings.pooler === undefined ? {} : { transactionPin: PIN_BY_TRANSACTION }),
    truncate: (session, target, options, frame) =>
      refuseReadOnlyPostgres(session.connection.parameters, () => truncatePostgres(session, target, options, frame)),
  };
}

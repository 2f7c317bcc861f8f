import pg from 'pg';
import type { Adapter, AdapterSession, AdapterSettings, QueryResult, TransactionState } from '../lib/driver.js';
import type { IdentifierRules } from '../lib/identifiers.js';
import { bounded, type OverdueHandling } from '../lib/timeout.js';
import { queryChannel, traceQuery } from '../lib/tracing.js';
import { toBlockers, type LockBlocker, type QueryTimeoutError } from '../lib/errors.js';
import { truncatePostgres } from './postgres-truncate.js';
import { refuseReadOnlyPostgres } from './read-only.js';
import { PoolerCheck, PIN_BY_TRANSACTION, announcedPid, proxyWarning } from './postgres-pooler.js';
import { BLOCKERS_SQL, type BlockerSource } from './postgres-blockers.js';
import { closeWithin } from './close.js';

/** A driver error after which the session cannot be trusted: socket faults, FATAL / PANIC from the server. */
function isFatal(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return true;
  return error.severity === 'FATAL' || error.severity === 'PANIC';
}

/** The parts of a pg client sqlpin reaches that are not in its typed API. */
interface ClientInternals {
  connection: {
    stream: { destroy(): void };
    once(event: 'readyForQuery', listener: () => void): void;
    off(event: 'readyForQuery', listener: () => void): void;
  };
  /** False from sending a query until the server's ReadyForQuery, which carries the transaction status. */
  readyForQuery: boolean;
}

/** A query waiting for the session. */
interface PendingQuery {
  readonly query: string | pg.QueryConfig;
  readonly params: readonly unknown[] | undefined;
  /** Bound of the statement from the moment it is sent; 0 for none. */
  readonly timeoutMillis: number;
  readonly resolve: (result: QueryResult<unknown>) => void;
  readonly reject: (error: unknown) => void;
}

/** What a session needs from the adapter that opened it. */
interface SessionContext {
  readonly report: AdapterSettings['report'];
  readonly queryTimeoutMillis: number;
  /** Runs one statement on a short-lived side connection (pg_cancel_backend, a look at pg_locks). */
  side(text: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
}

/** One pg client; the driver object never leaves this class. */
export class PostgresSession implements AdapterSession, BlockerSource {
  readonly id: number;
  readonly #client: pg.Client;
  readonly #context: SessionContext;
  /** Queries given while one is on the wire, in order. */
  readonly #waiting: PendingQuery[] = [];
  #busy = false;
  #reusable = true;
  /** Whether sessions reach the server itself, not a pooler: said by the options or found once. */
  readonly #pooler: PoolerCheck;
  /** What the server reported at login and since (ParameterStatus). */
  readonly parameters: ReadonlyMap<string, string>;
  /** The first error since the last successful reply: what aborted a failed transaction. */
  #failure: unknown;
  /** A statement timed out inside the open transaction: it must not commit. */
  #abortedBy: QueryTimeoutError | undefined;
  #settling: Promise<void> | undefined;

  constructor(client: pg.Client, context: SessionContext, parameters: ReadonlyMap<string, string>, pooler: PoolerCheck) {
    this.#client = client;
    this.#context = context;
    const { report } = context;
    this.parameters = parameters;
    this.#pooler = pooler;
    this.id = announcedPid(client);
    // pg emits 'error' for faults outside a query (an idle backend terminated):
    // without a listener the process would crash; with one, the session is dropped and the fault reported.
    // A terminated backend raises two (the server's FATAL, then the closed socket): one fault, reported once.
    let faulted = false;
    client.on('error', (error) => {
      this.#reusable = false;
      if (!faulted) report(error);
      faulted = true;
    });
    client.on('end', () => {
      this.#reusable = false;
    });
  }

  query<Row>(text: string, params?: readonly unknown[], timeoutMillis = this.#context.queryTimeoutMillis): Promise<QueryResult<Row>> {
    return this.#run<Row>(text, params, timeoutMillis);
  }

  settling(): Promise<void> | undefined {
    return this.#settling;
  }

  async lockBlockers(oids: readonly string[]): Promise<LockBlocker[]> {
    return toBlockers(await this.#context.side(BLOCKERS_SQL, [oids, this.id]));
  }

  readonly #overdue: OverdueHandling = {
    cancel: async () => {
      await this.#context.side('SELECT pg_cancel_backend($1)', [this.id]);
    },
    abandon: () => {
      this.#reusable = false;
      (this.#client as unknown as ClientInternals).connection.stream.destroy();
    },
    report: (error) => this.#context.report(error),
  };

  /** The backend that answered sqlpin's catalog query; the pool's first answer says whether a pooler stands between. */
  answeredBy(backendPid: number): void {
    this.#pooler.note(this.id, backendPid);
  }

  /** Every statement this session sends, sqlpin's own included, passes here. */
  #run<Row>(query: string | pg.QueryConfig, params: readonly unknown[] | undefined, timeoutMillis: number): Promise<QueryResult<Row>> {
    if (!queryChannel.hasSubscribers) return this.#enqueue<Row>(query, params, timeoutMillis);
    const text = typeof query === 'string' ? query : query.text;
    return traceQuery('postgres', text, this.id, () => this.#enqueue<Row>(query, params, timeoutMillis));
  }

  #enqueue<Row>(query: string | pg.QueryConfig, params: readonly unknown[] | undefined, timeoutMillis: number): Promise<QueryResult<Row>> {
    return new Promise((resolve, reject) => {
      const call: PendingQuery = { query, params, timeoutMillis, resolve: resolve as PendingQuery['resolve'], reject };
      if (this.#busy) this.#waiting.push(call);
      else this.#send(call);
    });
  }

  /**
   * Sends one query and, when it settles, the next one waiting. pg deprecates
   * queueing a query while another runs (gone in pg 9), and a pinned handle may
   * well be given several at once, so the session keeps its own queue.
   */
  #send(call: PendingQuery): void {
    this.#busy = true;
    const settle = call.timeoutMillis === 0 ? call : this.#bound(call);
    this.#client.query(call.query as string, call.params as unknown[], (error: Error | null, answer: pg.QueryResult | pg.QueryResult[]) => {
      const next = this.#waiting.shift();
      if (next === undefined) this.#busy = false;
      else this.#send(next);
      if (error) {
        if (isFatal(error)) this.#reusable = false;
        this.#failure ??= error;
        settle.reject(error);
      } else {
        // A success ends any failed transaction block (a ROLLBACK) or shows there was none.
        if (this.#failure !== undefined && this.#client.getTransactionStatus() !== 'E') this.#failure = undefined;
        if (this.#abortedBy !== undefined && this.#client.getTransactionStatus() === 'I') this.#abortedBy = undefined;
        // Several statements in one text answer one result each: the last one is the answer.
        const result = Array.isArray(answer) ? answer[answer.length - 1]! : answer;
        settle.resolve({ rows: result.rows ?? [], rowCount: result.rowCount ?? 0 });
      }
    });
  }

  /** The statement's outcome, bounded by its timeout: what settles it is handed to the driver's callback. */
  #bound(call: PendingQuery): Pick<PendingQuery, 'resolve' | 'reject'> {
    let settle!: Pick<PendingQuery, 'resolve' | 'reject'>;
    const running = new Promise<QueryResult<unknown>>((resolve, reject) => (settle = { resolve, reject }));
    bounded(running, call.timeoutMillis, this.#overdue, (timeout, settled) => {
      if (this.inTransaction()) this.#abortedBy ??= timeout;
      this.#settling = settled.finally(() => (this.#settling = undefined));
    }).then(call.resolve, call.reject);
    return settle;
  }

  inTransaction(): boolean {
    const status = this.#client.getTransactionStatus();
    return status === 'T' || status === 'E';
  }

  /**
   * pg reports a failed statement on the server's ErrorResponse, before the
   * ReadyForQuery that carries the new transaction status: the status is read
   * once that has arrived.
   */
  async transactionState(): Promise<TransactionState> {
    await this.#ready();
    const status = this.#client.getTransactionStatus();
    if (status === 'I') return { status: 'idle' };
    if (status === 'E' || this.#abortedBy !== undefined) return { status: 'failed', failure: this.#abortedBy ?? this.#failure };
    return { status: 'open' };
  }

  #ready(): Promise<void> {
    const record = this.#client as unknown as ClientInternals;
    if (record.readyForQuery || !this.#reusable) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        record.connection.off('readyForQuery', done);
        this.#client.off('end', done);
        resolve();
      };
      record.connection.once('readyForQuery', done);
      this.#client.once('end', done);
    });
  }

  /** sqlpin names no statements, so pg keeps no record that DISCARD ALL would make stale. */
  async reset(): Promise<void> {
    await this.query('DISCARD ALL');
    this.#failure = undefined;
    this.#abortedBy = undefined;
  }

  isReusable(): boolean {
    return this.#reusable;
  }

  condemn(): void {
    this.#reusable = false;
  }

  close(): Promise<void> {
    const client = this.#client;
    return closeWithin(
      (done) => client.end().then(done, done),
      () => (client as unknown as ClientInternals).connection.stream.destroy(),
    );
  }
}

/** Runs one statement on a connection of its own, closed right after: cancels come from outside the session. */
async function runAside(options: pg.ClientConfig, text: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
  const client = new pg.Client(options);
  // An error after the statement (the server closing first) changes nothing for the caller.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query(text, params as unknown[])).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Quotes one validated identifier part; the quote character is doubled inside it. */
function quotePostgres(part: string): string {
  return '"' + part.replaceAll('"', '""') + '"';
}

const identifierRules: IdentifierRules = { maxLength: 63, unit: 'bytes' };

/** The PostgreSQL adapter on pg. */
export function createPostgresAdapter(settings: AdapterSettings): Adapter {
  const options: pg.ClientConfig = {
    connectionTimeoutMillis: settings.connectTimeoutMillis,
    ...(settings.url === undefined ? settings.connection : { connectionString: settings.url }),
  };
  const pooler = new PoolerCheck(settings.pooler === undefined ? undefined : false, () => settings.report(proxyWarning()));
  return {
    dialect: 'postgres',
    identifierRules,
    truncateCommitsImplicitly: false,
    placeholder: (index) => '$' + index,
    quote: quotePostgres,
    ...(settings.pooler === undefined ? {} : { transactionPin: PIN_BY_TRANSACTION }),
    async connect() {
      const client = new pg.Client(options);
      const parameters = new Map<string, string>();
      // pg keeps no record of ParameterStatus; the connection emits each one, from login on.
      (client as unknown as { connection: NodeJS.EventEmitter }).connection.on(
        'parameterStatus',
        (message: { parameterName: string; parameterValue: string }) => parameters.set(message.parameterName, message.parameterValue),
      );
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(settings.report);
        throw error;
      }
      const context = {
        report: settings.report,
        queryTimeoutMillis: settings.queryTimeoutMillis,
        side: (text: string, params: readonly unknown[]) => runAside(options, text, params),
      };
      return new PostgresSession(client, context, parameters, pooler);
    },
    // The adapter only ever receives sessions it opened itself.
    truncate: (session, what, truncateOptions, begins) =>
      refuseReadOnlyPostgres((session as PostgresSession).parameters, () =>
        truncatePostgres(session as PostgresSession, what, truncateOptions, quotePostgres, begins),
      ),
  };
}

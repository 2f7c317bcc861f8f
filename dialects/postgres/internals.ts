/**
 * The parts of a pg client sqlpin reaches that are not in its typed API, in
 * one place; test/unit/internals.test.ts fails when an upgrade removes them.
 */
import type { EventEmitter } from 'node:events';

interface ClientInternals {
  readonly connection: EventEmitter & { readonly stream: { destroy(): void } };
  /** False from sending a query until the server's ReadyForQuery, which carries the transaction status. */
  readonly readyForQuery: boolean;
  /** The process id the server (or a proxy) announced at login (BackendKeyData). */
  readonly processID: number;
}

const internals = (client: object) => client as ClientInternals;

/** Whether the client's socket keeps the process alive: pg's own ref() / unref(), which pg-pool's allowExitOnIdle uses and its types omit. */
export function holdProcess(client: object, hold: boolean): void {
  const socket = client as { ref(): void; unref(): void };
  if (hold) socket.ref();
  else socket.unref();
}

/** The process id announced at login. */
export function announcedPid(client: object): number {
  return internals(client).processID;
}

/** Closes the client's socket at once. */
export function destroySocket(client: object): void {
  internals(client).connection.stream.destroy();
}

/**
 * Records every ParameterStatus the server sends, from login on: pg keeps no
 * record of them. Call before `connect()`.
 */
export function recordParameters(client: object, parameters: Map<string, string>): void {
  internals(client).connection.on('parameterStatus', (message: { parameterName: string; parameterValue: string }) =>
    parameters.set(message.parameterName, message.parameterValue),
  );
}

/**
 * Resolves once the server's ReadyForQuery has arrived (or the client ended):
 * pg reports a failed statement on the ErrorResponse, before the
 * ReadyForQuery that carries the new transaction status.
 */
export function readyForQuery(client: EventEmitter): Promise<void> {
  const record = internals(client);
  if (record.readyForQuery) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      record.connection.off('readyForQuery', done);
      client.off('end', done);
      resolve();
    };
    record.connection.once('readyForQuery', done);
    client.once('end', done);
  });
}

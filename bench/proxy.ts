import net from 'node:net';
import type { Dialect } from '../lib/index.js';
import { Tally, wireCounter } from './wire.js';

const DEFAULT_PORTS: Readonly<Record<Dialect, number>> = { mysql: 3306, postgres: 5432 };

/**
 * A TCP proxy on 127.0.0.1 in front of a database server that reads what
 * clients send and tallies their messages: round trips measured on the wire,
 * the same way for both dialects and for every client (sqlpin or a raw driver).
 */
export class CountingProxy {
  readonly tally = new Tally();
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();

  private constructor(server: net.Server, dialect: Dialect, target: { host: string; port: number }) {
    this.#server = server;
    server.on('connection', (client) => this.#forward(client, dialect, target));
  }

  /** Starts a proxy to the server `serverUrl` names, on an ephemeral port. */
  static async start(dialect: Dialect, serverUrl: string): Promise<CountingProxy> {
    const parsed = new URL(serverUrl);
    const server = net.createServer();
    const proxy = new CountingProxy(server, dialect, { host: parsed.hostname, port: Number(parsed.port || DEFAULT_PORTS[dialect]) });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** `url` with its host and port pointed at this proxy, everything else unchanged. */
  route(url: string): string {
    const routed = new URL(url);
    routed.hostname = '127.0.0.1';
    routed.port = String((this.#server.address() as net.AddressInfo).port);
    return routed.toString();
  }

  /** Stops accepting and cuts every open link. */
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())));
  }

  #forward(client: net.Socket, dialect: Dialect, target: { host: string; port: number }): void {
    const upstream = net.connect(target);
    const feed = wireCounter(dialect, this.tally);
    // Either side ending or failing ends the link: the client sees a dropped connection, as it would without the proxy.
    for (const [socket, peer] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.#sockets.add(socket);
      socket.on('error', () => peer.destroy());
      socket.on('close', () => {
        this.#sockets.delete(socket);
        peer.destroy();
      });
    }
    client.on('data', feed);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

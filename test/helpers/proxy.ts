import net from 'node:net';

/** The link state a test sets: forwarding, cut (every socket destroyed, new ones refused) or stalled (nothing forwarded). */
type LinkState = 'up' | 'cut' | 'stalled';

/** One client socket, its upstream socket (opened late when the link is stalled), and the bytes a stall holds back. */
interface Pair {
  readonly client: net.Socket;
  upstream?: net.Socket;
  readonly toUpstream: Buffer[];
  readonly toClient: Buffer[];
  /** Accepted while new connections were held: not connected upstream until `releaseHeld`. */
  held: boolean;
  /** This link alone forwards nothing, whatever the proxy's state. */
  stalled: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 between a pool and a database server, which a
 * test can cut, stall and restore to inject network faults. It counts what
 * it sees, so tests can bound connect attempts and prove no bytes were sent.
 */
export class FaultProxy {
  readonly #server: net.Server;
  readonly #target: { host: string; port: number };
  readonly #pairs = new Set<Pair>();
  #state: LinkState = 'up';
  #holdingNew = false;
  /** TCP connections accepted from clients, refused ones included. */
  accepted = 0;
  /** Bytes received from clients, whether forwarded yet or not. */
  bytesFromClients = 0;

  private constructor(server: net.Server, target: { host: string; port: number }) {
    this.#server = server;
    this.#target = target;
    server.on('connection', (socket) => this.#accept(socket));
  }

  /** Starts a proxy to the host and port of `serverUrl`, on an ephemeral port. */
  static async start(serverUrl: string): Promise<FaultProxy> {
    const parsed = new URL(serverUrl);
    const port = Number(parsed.port || (parsed.protocol.startsWith('postgres') ? 5432 : 3306));
    const server = net.createServer();
    const proxy = new FaultProxy(server, { host: parsed.hostname, port });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Client connections currently open through the proxy. */
  get open(): number {
    return this.#pairs.size;
  }

  /** `url` with its host and port pointed at this proxy; user, password, path and query unchanged. */
  route(url: string): string {
    const routed = new URL(url);
    routed.hostname = '127.0.0.1';
    routed.port = String(this.port);
    return routed.toString();
  }

  /** Destroys every piped socket, both sides; until `restore`, new connections are reset at once. */
  cut(): void {
    this.#state = 'cut';
    for (const pair of this.#pairs) this.#destroy(pair);
  }

  /**
   * Keeps every socket open but forwards nothing either way; new connections
   * are accepted and left waiting. Sockets keep being read, so a peer that
   * gives up and closes is still seen.
   */
  stall(): void {
    this.#state = 'stalled';
  }

  /** Forwards again: held bytes flow, and connections accepted while stalled or held reach the server. */
  restore(): void {
    this.#state = 'up';
    this.#holdingNew = false;
    for (const pair of this.#pairs) {
      pair.held = false;
      pair.stalled = false;
      if (pair.upstream === undefined) this.#connect(pair);
      else {
        flush(pair.toUpstream, pair.upstream);
        flush(pair.toClient, pair.client);
      }
    }
  }

  /**
   * Links already open keep forwarding; a new connection is accepted and
   * left waiting before it reaches the server, until `releaseHeld`. A driver's
   * side connection (a cancel, a KILL QUERY) is held this way while the
   * session it aims at goes on.
   */
  holdNew(): void {
    this.#holdingNew = true;
  }

  /** Connections accepted by `holdNew` and not yet released, still open. */
  get held(): number {
    return [...this.#pairs].filter((pair) => pair.held).length;
  }

  /** Lets the held connections reach the server, and new ones go straight through again. */
  releaseHeld(): void {
    this.#holdingNew = false;
    for (const pair of this.#pairs) {
      if (!pair.held) continue;
      pair.held = false;
      if (this.#state === 'up') this.#connect(pair);
    }
  }

  /**
   * The link whose upstream socket has this local port (the client port the
   * server lists for the session: PROCESSLIST.HOST, pg_stat_activity.client_port).
   */
  #link(serverSidePort: number): Pair | undefined {
    return [...this.#pairs].find((pair) => pair.upstream?.localPort === serverSidePort);
  }

  /** Destroys one link, both sides; returns whether the proxy held it. */
  cutLink(serverSidePort: number): boolean {
    const pair = this.#link(serverSidePort);
    if (pair !== undefined) this.#destroy(pair);
    return pair !== undefined;
  }

  /** Stops forwarding on one link, both ways, until `restore`; returns whether the proxy held it. */
  stallLink(serverSidePort: number): boolean {
    const pair = this.#link(serverSidePort);
    if (pair !== undefined) pair.stalled = true;
    return pair !== undefined;
  }

  /** Destroys every socket and stops listening. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    this.accepted += 1;
    // A reset socket raises 'error' on both ends; the proxy's job is only to pass the fault on.
    client.on('error', () => client.destroy());
    if (this.#state === 'cut') {
      client.resetAndDestroy();
      return;
    }
    // Without this, Nagle's algorithm meets the peer's delayed ACK and adds 40 ms to many round trips.
    client.setNoDelay(true);
    const pair: Pair = { client, toUpstream: [], toClient: [], held: this.#holdingNew, stalled: false };
    this.#pairs.add(pair);
    client.on('close', () => this.#destroy(pair));
    client.on('data', (chunk: Buffer) => {
      this.bytesFromClients += chunk.length;
      this.#pass(pair, chunk, client, pair.upstream, pair.toUpstream);
    });
    if (this.#state === 'up' && !pair.held) this.#connect(pair);
  }

  #connect(pair: Pair): void {
    const upstream = net.connect({ ...this.#target, noDelay: true });
    pair.upstream = upstream;
    upstream.on('error', () => this.#destroy(pair));
    upstream.on('close', () => this.#destroy(pair));
    upstream.on('data', (chunk: Buffer) => this.#pass(pair, chunk, upstream, pair.client, pair.toClient));
    upstream.on('drain', () => pair.client.resume());
    pair.client.on('drain', () => upstream.resume());
    flush(pair.toUpstream, upstream);
  }

  /** Forwards one chunk, or holds it while the link is stalled; a slow reader pauses the writer's source. */
  #pass(pair: Pair, chunk: Buffer, from: net.Socket, to: net.Socket | undefined, held: Buffer[]): void {
    if (this.#state !== 'up' || pair.stalled || to === undefined) held.push(chunk);
    else if (!to.write(chunk)) from.pause();
  }

  #destroy(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}

function flush(held: Buffer[], to: net.Socket): void {
  for (const chunk of held.splice(0)) to.write(chunk);
}

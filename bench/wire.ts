import type { Dialect } from '../lib/index.js';

/** Client-to-server messages seen on the wire, by type, and how many of them wait for a reply. */
export class Tally {
  readonly messages = new Map<string, number>();
  roundTrips = 0;

  add(type: string, awaitsReply: boolean): void {
    this.messages.set(type, (this.messages.get(type) ?? 0) + 1);
    if (awaitsReply) this.roundTrips++;
  }

  clear(): void {
    this.messages.clear();
    this.roundTrips = 0;
  }
}

/** Feeds the bytes one client sends, in order, chunk by chunk. */
export type WireFeed = (chunk: Buffer) => void;

/** A reader of one client connection's byte stream for the dialect's protocol. */
export function wireCounter(dialect: Dialect, tally: Tally): WireFeed {
  return dialect === 'mysql' ? mysqlCounter(tally) : postgresCounter(tally);
}

// Command bytes (include/my_command.h); QUIT and STMT_CLOSE get no reply.
const MYSQL_COMMANDS: Readonly<Record<number, string>> = {
  0x01: 'COM_QUIT',
  0x02: 'COM_INIT_DB',
  0x03: 'COM_QUERY',
  0x0e: 'COM_PING',
  0x11: 'COM_CHANGE_USER',
  0x16: 'COM_STMT_PREPARE',
  0x17: 'COM_STMT_EXECUTE',
  0x19: 'COM_STMT_CLOSE',
  0x1a: 'COM_STMT_RESET',
  0x1b: 'COM_SET_OPTION',
  0x1f: 'COM_RESET_CONNECTION',
};
const MYSQL_NO_REPLY = new Set([0x01, 0x19]);

/**
 * MySQL packets are a 3-byte length, a sequence number and the payload. A
 * command always starts a new sequence (number 0); the login exchange and
 * continuation packets never do, so counting sequence-0 packets counts commands.
 */
function mysqlCounter(tally: Tally): WireFeed {
  const stream = new ByteStream();
  return (chunk) => {
    stream.push(chunk);
    for (;;) {
      const header = stream.peek(4);
      if (header === undefined) return;
      const packet = stream.take(4 + header.readUIntLE(0, 3));
      if (packet === undefined) return;
      if (header[3] !== 0) continue;
      const command = packet[4]!;
      tally.add(MYSQL_COMMANDS[command] ?? `COM_0x${command.toString(16)}`, !MYSQL_NO_REPLY.has(command));
    }
  };
}

// Request codes a client may send before its StartupMessage; the server answers and the client goes on untyped.
const PG_PRELUDE_CODES = new Set([80877103, 80877104]);
// Messages that make the server answer: a simple Query, the Sync that closes an extended-protocol batch, a FunctionCall.
const PG_AWAITS_REPLY = new Set(['Q', 'S', 'F']);

/**
 * PostgreSQL frontend messages are a type byte and a 4-byte length, except
 * the untyped startup (and SSL / GSS requests before it). An extended-protocol
 * query (Parse, Bind, Describe, Execute, Sync) is one round trip, ended by its Sync.
 */
function postgresCounter(tally: Tally): WireFeed {
  const stream = new ByteStream();
  let started = false;
  return (chunk) => {
    stream.push(chunk);
    for (;;) {
      if (!started) {
        const length = stream.peek(8);
        if (length === undefined) return;
        const message = stream.take(length.readInt32BE(0));
        if (message === undefined) return;
        started = !PG_PRELUDE_CODES.has(message.readInt32BE(4));
        continue;
      }
      const header = stream.peek(5);
      if (header === undefined) return;
      if (stream.take(1 + header.readInt32BE(1)) === undefined) return;
      const type = String.fromCharCode(header[0]!);
      tally.add(type, PG_AWAITS_REPLY.has(type));
    }
  };
}

/** Bytes received but not yet parsed. */
class ByteStream {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
  }

  /** The first `count` bytes, left in place; undefined until that many arrived. */
  peek(count: number): Buffer | undefined {
    return this.#buffer.length < count ? undefined : this.#buffer.subarray(0, count);
  }

  /** Removes and returns the first `count` bytes; undefined (and nothing removed) until that many arrived. */
  take(count: number): Buffer | undefined {
    if (this.#buffer.length < count) return undefined;
    const taken = this.#buffer.subarray(0, count);
    this.#buffer = this.#buffer.subarray(count);
    return taken;
  }
}

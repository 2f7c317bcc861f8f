/**
 * The parts of a mysql2 connection sqlpin reaches that are not in its typed
 * API, in one place; test/unit/internals.test.ts fails when an upgrade removes them.
 */
import type { Duplex } from 'node:stream';

/**
 * The connection's socket. mysql2's `destroy()` marks the connection as closing
 * but only half-closes the socket, and `end()` calls back before COM_QUIT is
 * even sent: so the socket itself is watched, and destroyed.
 */
export function socketOf(connection: object): Duplex {
  return (connection as { stream: Duplex }).stream;
}

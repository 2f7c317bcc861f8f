/**
 * What sqlpin touches of pg and mysql2 beyond their typed APIs (the two
 * internals.ts files), checked on the installed versions with no server:
 * an upgrade that renames or drops one fails here, not in a session.
 * `.ci/oldest-drivers` runs it on the oldest versions the peer ranges allow.
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import mysql from 'mysql2';
import pg from 'pg';
import t from 'tap';
import { socketOf } from '../../dialects/mysql/internals.js';
import { announcedPid, destroySocket, holdProcess, readyForQuery, recordParameters } from '../../dialects/postgres/internals.js';

t.test("pg: the client's protocol connection and its socket, ref and unref", async (t) => {
  const client = new pg.Client();
  const { connection } = client as unknown as { connection: unknown };
  t.type(connection, EventEmitter, 'client.connection: the protocol connection, an EventEmitter');
  t.type((connection as { stream?: unknown }).stream, Socket, 'client.connection.stream: the socket');

  const stream = (connection as { stream: Socket }).stream;
  const refs: string[] = [];
  stream.ref = () => {
    refs.push('ref');
    return stream;
  };
  stream.unref = () => {
    refs.push('unref');
    return stream;
  };
  holdProcess(client, false);
  holdProcess(client, true);
  t.same(refs, ['unref', 'ref'], "client.ref() / unref() reach the socket's");

  destroySocket(client);
  t.ok(stream.destroyed, 'destroySocket destroys client.connection.stream');
});

/** Backend messages as the server sends them: type byte, int32 length (itself included), body. */
function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

t.test("pg: what the server announces reaches sqlpin through pg's own parser", async (t) => {
  // Port 1 refuses; the bytes below are fed to pg's socket before that, as a server's would be.
  const client = new pg.Client({ host: '127.0.0.1', port: 1 });
  client.on('error', () => undefined);
  const parameters = new Map<string, string>();
  recordParameters(client, parameters);
  // Refused sooner or later (the order against the bytes below differs between Node versions); only the bytes matter.
  client.connect().catch(() => undefined);
  const stream = (client as unknown as { connection: { stream: Socket } }).connection.stream;
  const keyData = Buffer.alloc(8);
  keyData.writeInt32BE(4242, 0);
  keyData.writeInt32BE(7, 4);
  stream.emit('data', Buffer.concat([message('K', keyData), message('S', Buffer.from('server_version\x0017.2\x00', 'latin1'))]));
  t.equal(announcedPid(client), 4242, 'BackendKeyData sets client.processID');
  t.same([...parameters], [['server_version', '17.2']], "ParameterStatus is the connection's parameterStatus event");

  let ready = false;
  const waiting = readyForQuery(client).then(() => (ready = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(ready, false, 'waits while client.readyForQuery is false');
  stream.emit('data', message('Z', Buffer.from('I', 'latin1')));
  await waiting;
  t.equal((client as unknown as { readyForQuery: unknown }).readyForQuery, true, 'ReadyForQuery sets client.readyForQuery');
  destroySocket(client);
  t.ok(stream.destroyed, 'destroySocket destroys client.connection.stream');
});

t.test("mysql2: the connection's stream is its socket from the moment it is made", async (t) => {
  // Port 1 refuses at once: the object is all this test needs, and it never reaches a server.
  const connection = mysql.createConnection({ host: '127.0.0.1', port: 1, connectTimeout: 1_000 });
  const refused = new Promise<unknown>((resolve) => connection.once('error', resolve));
  t.type(socketOf(connection), Socket, 'connection.stream: the socket');
  t.match(await refused, { code: 'ECONNREFUSED' }, "an error on the socket is the connection's error");
  connection.destroy();
});

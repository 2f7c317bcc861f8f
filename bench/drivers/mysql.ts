import mysql from 'mysql2';
import { reportIdleFault, type Driver, type DriverPool, type RawSession } from './driver.js';

interface Queryable {
  query(text: string, callback: (error: mysql.QueryError | null) => void): unknown;
}

/** The callback API wrapped in one promise: the cheapest way to await mysql2, the same shape sqlpin's adapter uses. */
function run(target: Queryable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    target.query(text, (error) => (error ? reject(error) : resolve()));
  });
}

function connect(url: string, batches = false): Promise<RawSession> {
  return new Promise((resolve, reject) => {
    const connection = mysql.createConnection({ uri: url, multipleStatements: batches });
    connection.connect((error) => {
      if (error) {
        connection.destroy();
        reject(error);
        return;
      }
      connection.on('error', reportIdleFault);
      resolve({
        query: (text) => run(connection, text),
        close: () => new Promise((done) => connection.end(() => done())),
      });
    });
  });
}

function getConnection(pool: mysql.Pool): Promise<mysql.PoolConnection> {
  return new Promise((resolve, reject) => {
    pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection)));
  });
}

function pool(url: string, max: number): DriverPool {
  const driverPool = mysql.createPool({ uri: url, connectionLimit: max });
  driverPool.on('connection', (connection) => connection.on('error', reportIdleFault));
  return {
    query: (text) => run(driverPool, text),
    async pinned(texts) {
      const connection = await getConnection(driverPool);
      try {
        for (const text of texts) await run(connection, text);
      } finally {
        connection.release();
      }
    },
    close: () => new Promise((resolve, reject) => driverPool.end((error) => (error ? reject(error) : resolve()))),
  };
}

/** mysql2, through its callback API. */
export const mysqlDriver: Driver = { dialect: 'mysql', name: 'mysql2', knexClient: 'mysql2', connect, pool };

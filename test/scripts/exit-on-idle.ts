/**
 * A script that queries and never calls close(): with `allowExitOnIdle` it
 * exits by itself once its work is done. Run by test/shared/exit-on-idle.ts:
 * argv[2] is the URL, argv[3] 'on' or 'off'.
 */
import { createPool } from '../../lib/index.js';

const db = createPool({ url: process.argv[2]!, min: 1, idleTimeoutMillis: 0, allowExitOnIdle: process.argv[3] === 'on' });
const { rows } = await db.query('SELECT 1 AS one');
await db.withConnection((conn) => conn.query('SELECT 2 AS two'));
console.log(`queried ${Number(rows[0]!.one)}`);

// Type-checked, never run: a Pool comes from createPool and a Connection from a callback, never from `new`.
import { Connection, Pool } from 'sqlpin';

// @ts-expect-error Pool has no public constructor
new Pool();
// @ts-expect-error not with options either: that is createPool's job
new Pool({ url: 'postgres://localhost/app' });
// @ts-expect-error Connection has no public constructor
new Connection();

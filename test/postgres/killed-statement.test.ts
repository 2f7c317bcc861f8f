import { killedStatementSuite } from '../shared/killed-statement.js';

killedStatementSuite('postgres');

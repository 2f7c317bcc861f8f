import { timedOutTransactionSuite } from '../shared/timed-out-transaction.js';

timedOutTransactionSuite('mysql');

import { timedOutTruncateSuite } from '../shared/timed-out-truncate.js';

timedOutTruncateSuite('mysql');

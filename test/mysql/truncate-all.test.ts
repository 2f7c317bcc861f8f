import { truncateAllSuite } from '../shared/truncate-all.js';

truncateAllSuite('mysql');

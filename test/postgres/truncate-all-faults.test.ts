import { truncateAllFaultsSuite } from '../shared/truncate-all-faults.js';

truncateAllFaultsSuite('postgres');

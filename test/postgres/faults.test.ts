import { faultSuite } from '../shared/faults.js';

faultSuite('postgres');

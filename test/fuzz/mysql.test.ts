import { fuzzSuite } from './suite.js';

fuzzSuite('mysql');

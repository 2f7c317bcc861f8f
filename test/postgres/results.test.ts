import { resultsSuite } from '../shared/results.js';

resultsSuite('postgres');

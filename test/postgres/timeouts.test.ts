import { timeoutsSuite } from '../shared/timeouts.js';

timeoutsSuite('postgres');

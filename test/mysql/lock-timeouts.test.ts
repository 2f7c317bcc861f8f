import { lockTimeoutsSuite } from '../shared/lock-timeouts.js';

lockTimeoutsSuite('mysql');

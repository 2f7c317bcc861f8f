import { soakSuite } from '../shared/soak.js';

soakSuite('mysql');

import { chaosSuite } from './suite.js';

chaosSuite('mysql');

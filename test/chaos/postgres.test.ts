import { chaosSuite } from './suite.js';

chaosSuite('postgres');

import { retriesSuite } from '../shared/retries.js';

retriesSuite('postgres');

import { unitsSuite } from '../shared/units.js';

unitsSuite('mysql');

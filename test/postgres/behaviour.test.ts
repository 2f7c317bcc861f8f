import { behaviourSuite } from '../shared/behaviour.js';

behaviourSuite('postgres');

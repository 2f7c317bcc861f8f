import { abortMomentsSuite } from '../shared/abort-moments.js';

abortMomentsSuite('mysql');

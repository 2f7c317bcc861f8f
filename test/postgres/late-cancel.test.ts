import { lateCancelSuite } from '../shared/late-cancel.js';

lateCancelSuite('postgres');

import { truncateSuite } from '../shared/truncate.js';

truncateSuite('postgres');

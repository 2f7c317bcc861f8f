import { killedTruncateSuite } from '../shared/killed-truncate.js';

killedTruncateSuite('postgres');

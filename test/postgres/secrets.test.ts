import { secretsSuite } from '../shared/secrets.js';

secretsSuite('postgres');

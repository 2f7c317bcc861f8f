import { secretsSuite } from '../shared/secrets.js';

secretsSuite('mysql');

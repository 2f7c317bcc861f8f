import { identifierPropertySuite } from '../shared/identifier-properties.js';

identifierPropertySuite('postgres');

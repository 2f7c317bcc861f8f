import { cancelSuite } from '../shared/cancel.js';

cancelSuite('postgres');

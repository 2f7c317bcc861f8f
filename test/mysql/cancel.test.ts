import { cancelSuite } from '../shared/cancel.js';

cancelSuite('mysql');

import { tracingSuite } from '../shared/tracing.js';

tracingSuite('mysql');

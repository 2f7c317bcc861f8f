import { tracingSuite } from '../shared/tracing.js';

tracingSuite('postgres');

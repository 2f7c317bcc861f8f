import { lifetimeSuite } from '../shared/lifetime.js';

lifetimeSuite('postgres');

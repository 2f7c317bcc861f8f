import { lifetimeSuite } from '../shared/lifetime.js';

lifetimeSuite('mysql');

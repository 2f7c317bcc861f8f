import { stalledLinkSuite } from '../shared/stalled-link.js';

stalledLinkSuite('postgres');

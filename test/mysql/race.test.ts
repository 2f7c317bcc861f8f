import { mysqlRaceSuite } from '../shared/race.js';

mysqlRaceSuite();

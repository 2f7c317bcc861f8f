import t from 'tap';
import { sessionSetup } from '../../dialects/mysql/setup.js';

t.test('MySQL 8 sessions turn off the information_schema statistics cache; MariaDB and 5.7 need nothing', async (t) => {
  t.equal(sessionSetup('8.0.36'), 'SET SESSION information_schema_stats_expiry = 0');
  t.equal(sessionSetup('8.4.2-commercial'), 'SET SESSION information_schema_stats_expiry = 0');
  t.equal(sessionSetup('5.7.44-log'), undefined);
  t.equal(sessionSetup('10.11.19-MariaDB-0+deb12u1'), undefined);
  t.equal(sessionSetup('5.5.5-10.11.19-MariaDB'), undefined);
  t.equal(sessionSetup(''), undefined);
});

import type { Dialect } from '../../lib/index.js';

/** A statement that would run for five seconds, and how the server lists it while it runs. */
export const SLOW: Readonly<Record<Dialect, { statement: string; running: string }>> = {
  mysql: {
    statement: 'SELECT SLEEP(5) AS slept',
    running: "SELECT 1 FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(5) AS slept'",
  },
  postgres: {
    statement: 'SELECT pg_sleep(5) AS slept',
    running: "SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5) AS slept' AND state = 'active'",
  },
};

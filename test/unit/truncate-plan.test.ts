import t from 'tap';
import { truncateConfig } from '../../lib/truncate.js';
import type { TruncateConfig } from '../../lib/driver.js';
import { isClean, mayDelete, methodFor, onCycle, referencingFirst, type AutoThresholds, type TableState } from '../../lib/truncate-plan.js';

const thresholds: AutoThresholds = { counterKept: 300, counterReset: -1 };
const config = (strategy: TruncateConfig['strategy'], restartIdentity = true) => truncateConfig({ restartIdentity }, strategy);
const state = (rows: number, counterAtStart: boolean, mustTruncate = false): TableState => ({
  hasRows: rows > 0,
  rows,
  counterAtStart,
  mustTruncate,
});

t.test('methodFor: the strategy, the trigger rule and the thresholds', async (t) => {
  t.equal(methodFor(state(1, true), config('truncate'), thresholds), 'truncate', "'truncate' always truncates");
  t.equal(methodFor(state(1_000_000, false), config('delete'), thresholds), 'delete', "'delete' deletes whatever the size");
  t.equal(
    methodFor(state(1, true, true), config('delete'), thresholds),
    'truncate',
    'a table whose DELETE would differ is truncated, whatever the strategy',
  );
  t.equal(methodFor(state(300, true), config('auto'), thresholds), 'delete', 'auto: up to the threshold, DELETE');
  t.equal(methodFor(state(301, true), config('auto'), thresholds), 'truncate', 'auto: past it, TRUNCATE');
  t.equal(
    methodFor(state(1, false), config('auto'), thresholds),
    'truncate',
    'auto: a counter to reset uses its own threshold (here: never)',
  );
  t.equal(methodFor(state(1, false), config('auto', false), thresholds), 'delete', 'auto: with restartIdentity false the counter stays');
});

t.test('mayDelete: only where the strategy and the counter allow a DELETE', async (t) => {
  t.notOk(mayDelete(true, config('truncate'), thresholds));
  t.ok(mayDelete(false, config('delete'), thresholds));
  t.ok(mayDelete(true, config('auto'), thresholds));
  t.notOk(mayDelete(false, config('auto'), thresholds), 'a moved counter that must be reset: never here');
  t.ok(mayDelete(undefined, config('auto'), thresholds), 'unknown counter: may');
});

t.test('isClean: no rows, and a counter where the call would leave it', async (t) => {
  t.ok(isClean(state(0, true), true));
  t.notOk(isClean(state(0, false), true), 'no rows but a moved counter is not clean when restartIdentity is true');
  t.ok(isClean(state(0, false), false));
  t.notOk(isClean(state(1, true), false));
});

t.test('onCycle and referencingFirst', async (t) => {
  // a <- b <- c, d <-> e, f references itself.
  const referencedBy: Record<string, string[]> = { a: ['b'], b: ['c'], c: [], d: ['e'], e: ['d'], f: ['f'] };
  const by = (key: string) => referencedBy[key] ?? [];
  t.same([...onCycle(['a', 'b', 'c', 'd', 'e', 'f'], by)].sort(), ['d', 'e', 'f']);
  t.same(referencingFirst(['a', 'b', 'c'], by), ['c', 'b', 'a'], 'children before parents');
  t.same(referencingFirst(['a', 'c'], by), ['a', 'c'], 'only references among the given tables order them');
});

import t from 'tap';

/**
 * Gives the running test file `millis` instead of tap's default timeout. Two
 * timers watch a file: the child's own root test, and the runner's, which
 * hears of a new bound only through a `# timeout=N` comment on the output
 * (its IPC message is not delivered when the child's stdio is inherited).
 */
export function allowFileMillis(millis: number): void {
  t.setTimeout(millis);
  t.comment(`timeout=${millis}`);
}

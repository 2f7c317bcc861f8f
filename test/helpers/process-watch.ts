import type { Test } from 'tap';

/**
 * Watches for unhandled rejections while a test runs. A listener of our own
 * stops tap from failing the file by itself, so the watch fails it instead:
 * each `check` asserts that none arrived since the last one, and teardown
 * throws (a failure in tap) for any that arrived after the last check.
 */
export interface ProcessWatch {
  /** Every unhandled rejection so far, in order. */
  readonly rejections: readonly unknown[];
  /** The unhandled rejections that arrived since the previous check or take, now counted as checked. */
  take(): unknown[];
  /** Asserts that no unhandled rejection arrived since the previous check; returns those that did. */
  check(t: Test, what: string): unknown[];
}

export function watchProcess(t: Test): ProcessWatch {
  const rejections: unknown[] = [];
  let checked = 0;
  const onRejection = (reason: unknown) => {
    rejections.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  t.teardown(() => {
    process.off('unhandledRejection', onRejection);
    const late = rejections.slice(checked);
    if (late.length > 0) throw new Error(`unhandled rejection after the last check: ${late.map(describeReason).join('; ')}`);
  });
  const take = () => {
    const fresh = rejections.slice(checked);
    checked = rejections.length;
    return fresh;
  };
  return {
    rejections,
    take,
    check(t, what) {
      const fresh = take();
      t.same(fresh.map(describeReason), [], `${what}: no unhandled rejection`);
      return fresh;
    },
  };
}

/** A rejection as one line: class, code and message. */
export function describeReason(reason: unknown): string {
  if (!(reason instanceof Error)) return `non-error ${String(reason)}`;
  const code = (reason as { code?: unknown }).code;
  return `${reason.name}${code === undefined ? '' : ` ${String(code)}`}: ${reason.message}`;
}

/** How long a polite close (COM_QUIT / Terminate) may take before the socket is destroyed. */
const CLOSE_GRACE_MILLIS = 1_000;

/**
 * Runs a polite close and falls back to destroying the socket when the server
 * does not answer in time: a stalled link must not hold `close()` forever.
 */
export function closeWithin(politeClose: (done: () => void) => void, destroy: () => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      destroy();
      resolve();
    }, CLOSE_GRACE_MILLIS);
    politeClose(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

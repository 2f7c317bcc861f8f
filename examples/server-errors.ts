/** The server's own code for a failure: MySQL errno (a number) or PostgreSQL SQLSTATE (five characters). */
export type ServerCode = number | string;

interface DriverError {
  errno?: unknown;
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  cause?: unknown;
}

/** The driver error behind `error`: the error itself, or the `cause` of a sqlpin error that wraps one. */
function driverError(error: unknown): DriverError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as DriverError;
  if (typeof candidate.errno === 'number' || /^[0-9A-Z]{5}$/.test(String(candidate.code))) return candidate;
  return driverError(candidate.cause);
}

/** errno on MySQL, SQLSTATE on PostgreSQL; undefined when the failure did not come from the server. */
export function serverCode(error: unknown): ServerCode | undefined {
  const found = driverError(error);
  if (found === undefined) return undefined;
  return typeof found.errno === 'number' ? found.errno : String(found.code);
}

/** A code as the server's manual names it. */
export function formatCode(code: ServerCode | undefined): string {
  if (code === undefined) return 'no server error';
  return typeof code === 'number' ? `errno ${code}` : `SQLSTATE ${code}`;
}

/** The server's words for a failure, with PostgreSQL's detail line when it gives one. */
export function describeFailure(error: unknown): string {
  if (error === undefined) return 'it succeeded';
  const found = driverError(error);
  if (found === undefined) return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const symbol = typeof found.errno === 'number' ? ` ${String(found.code)}` : '';
  const detail = typeof found.detail === 'string' ? ` (${found.detail})` : '';
  return `${formatCode(serverCode(found))}${symbol}: ${String(found.message)}${detail}`;
}

/** Settles `work` and returns its error, or undefined if it succeeded: for steps that are expected to fail. */
export async function failureOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return error;
  }
}

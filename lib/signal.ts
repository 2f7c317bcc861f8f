/**
 * An `AbortSignal`, as sqlpin's declarations name it: typed by what sqlpin
 * uses of it, so that the published types need neither the DOM library nor
 * `@types/node`. At run time it must be a real `AbortSignal`.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

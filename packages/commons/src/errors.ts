/**
 * Package errors and warnings. Every error a lambda-lifetime package raises names the package in its
 * message and carries `{ cause: { package } }`, so a catch-all handler can tell where it came from.
 */

/** What `error.cause` holds on errors raised by a lambda-lifetime package. */
export interface PackageErrorCause {
  readonly package: string
  /** The option at fault, for option errors (`levels.invocation.end`, `functions[0].codeDir`). */
  readonly option?: string
}

/**
 * A `TypeError` for a bad option or argument, in the one shape every package uses.
 *
 * @example
 * ```ts
 * throw optionError('@lambda-lifetime/pool', 'option "name" must be a non-empty string, got 3', 'name')
 * // TypeError: @lambda-lifetime/pool: option "name" must be a non-empty string, got 3
 * ```
 */
export const optionError = (packageName: string, message: string, option?: string): TypeError => {
  const cause: PackageErrorCause =
    option === undefined ? { package: packageName } : { package: packageName, option }
  return new TypeError(`${packageName}: ${message}`, { cause })
}

/** The `process.emitWarning` type of every lambda-lifetime warning, for `process.on('warning')` filters. */
export const WARNING_TYPE = 'LambdaLifetimeWarning'

/**
 * Emits a process warning (`LambdaLifetimeWarning`) with a stable code, so it can be filtered or
 * turned into an error with `--throw-deprecation`-style tooling.
 *
 * @example
 * ```ts
 * emitPackageWarning('@lambda-lifetime/pool', 'dispose of "db" timed out', 'LAMBDA_LIFETIME_POOL_DISPOSE')
 * ```
 */
export const emitPackageWarning = (packageName: string, message: string, code: string): void => {
  process.emitWarning(`${packageName}: ${message}`, { type: WARNING_TYPE, code })
}

const WARNED = Symbol.for('lambda-lifetime.commons.warned')
type WarnedHolder = { [WARNED]?: Set<string> }

/**
 * Like `emitPackageWarning`, once per process for a given code: misuse warnings that would otherwise
 * repeat on every invocation. The memory is process-wide (shared by duplicate copies of a package).
 *
 * @returns true when the warning was emitted now, false when it had been before.
 * @example
 * ```ts
 * warnOnce('@lambda-lifetime/logger', 'containerLifetime() is not in the chain', 'LAMBDA_LIFETIME_NO_CONTAINER')
 * ```
 */
export const warnOnce = (packageName: string, message: string, code: string): boolean => {
  const holder = globalThis as WarnedHolder
  holder[WARNED] ??= new Set()
  if (holder[WARNED].has(code)) return false
  holder[WARNED].add(code)
  emitPackageWarning(packageName, message, code)
  return true
}

/**
 * Forgets which once-only warnings were given, so a test (or a process hosting several handlers) can
 * see them again.
 *
 * @example
 * ```ts
 * afterEach(() => resetWarnings())
 * ```
 */
export const resetWarnings = (): void => {
  ;(globalThis as WarnedHolder)[WARNED]?.clear()
}

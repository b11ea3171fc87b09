/** The package's name, as every error and warning of it says it. */
export const PACKAGE = '@lambda-lifetime/pool'

/**
 * The rejection of an invocation whose resource was not ready in time: its `create` outlasted
 * `createTimeoutMs` (or the invocation's remaining time), or the invocation ran out of time waiting for
 * a create or a validation that another invocation started. The next invocation tries again.
 *
 * @example
 * ```ts
 * .onError(async (request) => {
 *   if (request.error instanceof PoolTimeoutError) request.response = { statusCode: 503, body: 'database not reachable' }
 * })
 * ```
 */
export class PoolTimeoutError extends Error {
  /** The resource's name (`warmPool({ name })`). */
  readonly resource: string
  /** How long it was waited for, in ms. */
  readonly timeoutMs: number

  constructor(resource: string, timeoutMs: number, message: string) {
    super(`${PACKAGE}: ${message}`, { cause: { package: PACKAGE } })
    this.name = 'PoolTimeoutError'
    this.resource = resource
    this.timeoutMs = timeoutMs
  }
}

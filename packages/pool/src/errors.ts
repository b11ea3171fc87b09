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

/**
 * The rejection of an invocation that arrives while its resource backs off: the server recently refused
 * a new connection because it was full (`isBusy`, e.g. PostgreSQL "sorry, too many clients already"), and
 * asking again at once would only add to the load of a server that has no room. The invocation fails
 * at once, without touching the server; the first one after `retryInMs` tries again.
 *
 * @example
 * ```ts
 * .onError(async (request) => {
 *   if (request.error instanceof PoolBusyError) request.response = { statusCode: 503, headers: { 'retry-after': '1' } }
 * })
 * ```
 */
export class PoolBusyError extends Error {
  /** The resource's name (`warmPool({ name })`). */
  readonly resource: string
  /** How long until the next invocation may try the server again, in ms. */
  readonly retryInMs: number
  /** Refusals in a row so far (the back-off doubles with each one, up to `maxBackoffMs`). */
  readonly refusals: number
  /** What the server said when it last refused (the driver's message, and its code when it had one). */
  readonly reason: string

  constructor(resource: string, retryInMs: number, refusals: number, reason: string) {
    super(
      `${PACKAGE}: "${resource}" is backing off for ${retryInMs} ms: the server refused a new connection ` +
        `${refusals === 1 ? 'once' : `${refusals} times in a row`} (${reason}); every container keeps its ` +
        'own connections, so a fleet can fill the server (see "Connections at fleet scale" in the README)',
      { cause: { package: PACKAGE } },
    )
    this.name = 'PoolBusyError'
    this.resource = resource
    this.retryInMs = retryInMs
    this.refusals = refusals
    this.reason = reason
  }
}

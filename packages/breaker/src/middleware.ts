import type { MiddlewareLike, MiddyRequestLike } from '@lambda-lifetime/container'
import { registerBreaker } from './breaker.js'
import { type CircuitOpenError, invalidOption, isCircuitOpenError } from './errors.js'
import type { Breaker, BreakerContext, CircuitBreakerOptions } from './types.js'

const OPTION_NAMES: ReadonlySet<string> = new Set(['name', 'action', 'options', 'fallback', 'store'])
/** opossum options the breaker sets itself: it drives the window and the reset from the wall clock. */
const OWNED_OPOSSUM_OPTIONS: ReadonlySet<string> = new Set([
  'rotateBucketController',
  'status',
  'state',
  'name',
  'group',
])
const STORE_METHODS = ['get', 'compareAndSet', 'electProbe'] as const

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isDuration = (value: unknown): boolean =>
  typeof value === 'number' && value >= 0 && Number.isFinite(value)

const checkOpossumOptions = (options: unknown): void => {
  if (options === undefined) return
  if (!isPlainObject(options)) throw invalidOption('option "options" must be an object of opossum options')
  for (const name of Object.keys(options)) {
    if (OWNED_OPOSSUM_OPTIONS.has(name))
      throw invalidOption(`option "options.${name}" is set by the breaker itself and cannot be given`)
  }
  const { resetTimeout, timeout, rollingCountTimeout, rollingCountBuckets } = options
  if (resetTimeout !== undefined && !isDuration(resetTimeout))
    throw invalidOption(
      `option "options.resetTimeout" must be a finite number >= 0, got ${String(resetTimeout)}`,
    )
  if (timeout !== undefined && timeout !== false && !isDuration(timeout))
    throw invalidOption(
      `option "options.timeout" must be false or a finite number >= 0, got ${String(timeout)}`,
    )
  if (
    rollingCountTimeout !== undefined &&
    !(isDuration(rollingCountTimeout) && Number(rollingCountTimeout) > 0)
  )
    throw invalidOption(
      `option "options.rollingCountTimeout" must be a positive number, got ${String(rollingCountTimeout)}`,
    )
  if (
    rollingCountBuckets !== undefined &&
    !(Number.isInteger(rollingCountBuckets) && Number(rollingCountBuckets) > 0)
  )
    throw invalidOption(
      `option "options.rollingCountBuckets" must be a positive integer, got ${String(rollingCountBuckets)}`,
    )
}

/**
 * Checks `circuitBreaker` options; throws a `TypeError` that names the package and the bad option.
 *
 * @example
 * ```ts
 * circuitBreakerValidateOptions({ name: 'payments', action: charge })           // passes
 * circuitBreakerValidateOptions({ name: 'payments', action: charge, retries: 3 }) // throws TypeError
 * ```
 */
export const circuitBreakerValidateOptions = (options: unknown): void => {
  if (!isPlainObject(options))
    throw invalidOption(`options must be an object, got ${options === null ? 'null' : typeof options}`)
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name))
      throw invalidOption(`unknown option "${name}" (known: ${[...OPTION_NAMES].join(', ')})`)
  }
  const { name, action, fallback, store } = options
  if (typeof name !== 'string' || name.length === 0)
    throw invalidOption(`option "name" must be a non-empty string, got ${JSON.stringify(name)}`)
  if (typeof action !== 'function')
    throw invalidOption(`option "action" must be a function, got ${typeof action}`)
  if (fallback !== undefined && typeof fallback !== 'function')
    throw invalidOption(`option "fallback" must be a function, got ${typeof fallback}`)
  if (store !== undefined) {
    const missing = STORE_METHODS.filter(
      (method) => !isPlainObject(store) || typeof store[method] !== 'function',
    )
    if (missing.length > 0)
      throw invalidOption(`option "store" must implement BreakerStore (missing: ${missing.join(', ')})`)
  }
  checkOpossumOptions(options.options)
}

/** API Gateway (REST, HTTP, WebSocket), function URLs, ALB, and what Middy's http middlewares accept. */
const isHttpEvent = (event: unknown): boolean =>
  isPlainObject(event) && ('requestContext' in event || 'httpMethod' in event || 'rawPath' in event)

const serviceUnavailable = (error: CircuitOpenError) => {
  const retryAfterSeconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000))
  return {
    statusCode: 503,
    headers: { 'Content-Type': 'application/json', 'Retry-After': String(retryAfterSeconds) },
    body: JSON.stringify({
      message: 'Service Unavailable',
      reason: `circuit-${error.reason}`,
      breaker: error.breaker,
      retryAfterSeconds,
    }),
  }
}

/**
 * The Middy middleware: hands the container's breaker for `name` to the handler on
 * `context.breakers[name]`. The breaker outlives the invocation: every warm (and, under Managed
 * Instances, concurrent) invocation of this runtime uses the same one.
 *
 * When the breaker refuses a call and there is no `fallback`, `fire()` rejects with a
 * `CircuitOpenError`; if the handler lets it through and the event is HTTP-shaped, this middleware's
 * `onError` answers `503` with `Retry-After` instead. Other events get the error.
 *
 * @example
 * ```ts
 * export const handler = middy()
 *   .use(containerLifetime())
 *   .use(circuitBreaker({
 *     name: 'payments',
 *     action: (order: Order) => charge(order),
 *     options: { timeout: 3000, errorThresholdPercentage: 50, resetTimeout: 30_000 },
 *   }))
 *   .handler(async (event, context) => {
 *     const receipt = await context.breakers.payments.fire(JSON.parse(event.body))
 *     return { statusCode: 200, body: JSON.stringify(receipt) }
 *   })
 * ```
 */
export const circuitBreaker = <
  TName extends string,
  TArgs extends unknown[],
  TResult,
  TFallback = never,
  TEvent = unknown,
  TResponse = unknown,
  TErr = unknown,
>(
  options: CircuitBreakerOptions<TName, TArgs, TResult, TFallback>,
): MiddlewareLike<TEvent, TResponse, TErr, BreakerContext<TName, TArgs, TResult | TFallback>> => {
  circuitBreakerValidateOptions(options)
  const breaker = registerBreaker<TArgs, TResult>(options)
  const name = options.name

  const circuitBreakerMiddlewareBefore = (request: MiddyRequestLike): void => {
    const context = request.context as { breakers?: Record<string, Breaker<TArgs, TResult>> }
    if (typeof context !== 'object' || context === null || Object.isFrozen(context)) return
    if (context.breakers === undefined) context.breakers = { [name]: breaker }
    else context.breakers[name] = breaker
  }
  const circuitBreakerMiddlewareOnError = (request: MiddyRequestLike): void => {
    if (request.response !== undefined || !isCircuitOpenError(request.error) || !isHttpEvent(request.event))
      return
    request.response = serviceUnavailable(request.error)
  }
  return {
    before: circuitBreakerMiddlewareBefore,
    onError: circuitBreakerMiddlewareOnError,
  } as MiddlewareLike<TEvent, TResponse, TErr, BreakerContext<TName, TArgs, TResult | TFallback>>
}

import { isRecord, MAX_TIMER_MS, type Rule, rules, validateOptions } from '@lambda-lifetime/commons'
import type { MiddlewareLike, MiddyRequestLike } from '@lambda-lifetime/container'
import { registerBreaker } from './breaker.js'
import { type CircuitOpenError, isCircuitOpenError, PACKAGE } from './errors.js'
import type { Breaker, BreakerContext, CircuitBreakerOptions } from './types.js'

/** A rule that refuses any value, saying why the option cannot be given. */
const refused =
  (why: string): Rule =>
  (_value, path) => ({ path, problem: why })

const SET_BY_THE_BREAKER = refused(
  'is set by the breaker itself (it drives the window and the reset from the wall clock) and cannot be given',
)

const STORE_METHODS = ['get', 'compareAndSet', 'electProbe'] as const

const storeRule: Rule = (value, path) => {
  const missing = STORE_METHODS.filter((method) => !isRecord(value) || typeof value[method] !== 'function')
  return missing.length === 0
    ? undefined
    : { path, problem: `must implement BreakerStore (missing: ${missing.join(', ')})` }
}

/**
 * opossum 10's options (see its CircuitBreaker docs), each with the type and range opossum can use: a
 * value opossum would silently misread (`errorThresholdPercentage: 'x'` never opens) is refused here.
 */
const opossumSchema = {
  timeout: rules.anyOf(
    [rules.oneOf([false]), rules.duration()],
    `false or a duration in ms from 0 to ${MAX_TIMER_MS}`,
  ),
  resetTimeout: rules.duration(),
  rollingCountTimeout: rules.duration({ min: 1 }),
  rollingCountBuckets: rules.number({ integer: true, min: 1 }),
  errorThresholdPercentage: rules.number({ min: 0, max: 100 }),
  volumeThreshold: rules.number({ integer: true, min: 0 }),
  capacity: rules.number({ integer: true, min: 1 }),
  enabled: rules.boolean(),
  allowWarmUp: rules.boolean(),
  rollingPercentilesEnabled: rules.boolean(),
  enableSnapshots: rules.boolean(),
  errorFilter: rules.function(),
  cache: rules.boolean(),
  cacheTTL: rules.duration(),
  cacheSize: rules.number({ integer: true, min: 1 }),
  cacheGetKey: rules.function(),
  cacheTransport: rules.custom(
    (value) =>
      isRecord(value) && ['get', 'set', 'flush'].every((method) => typeof value[method] === 'function'),
    'an object with get, set and flush methods',
  ),
  coalesce: rules.boolean(),
  coalesceTTL: rules.duration(),
  coalesceSize: rules.number({ integer: true, min: 1 }),
  coalesceResetOn: rules.arrayOf(rules.oneOf(['error', 'success', 'timeout'])),
  abortController: rules.custom((value) => value instanceof AbortController, 'an AbortController'),
  autoRenewAbortController: rules.boolean(),
  maxFailures: refused(
    'is deprecated by opossum and has no effect: use errorThresholdPercentage and volumeThreshold',
  ),
  rotateBucketController: SET_BY_THE_BREAKER,
  status: SET_BY_THE_BREAKER,
  state: SET_BY_THE_BREAKER,
  name: SET_BY_THE_BREAKER,
  group: SET_BY_THE_BREAKER,
}

/** The rules of every `circuitBreaker` option. */
const schema = {
  name: rules.string({ nonEmpty: true }),
  action: rules.function(),
  options: rules.objectOf(opossumSchema),
  fallback: rules.function(),
  store: storeRule,
}

/**
 * Checks `circuitBreaker` options, the opossum ones included; throws a `TypeError` that names the
 * package and the bad option.
 *
 * @example
 * ```ts
 * circuitBreakerValidateOptions({ name: 'payments', action: charge })           // passes
 * circuitBreakerValidateOptions({ name: 'payments', action: charge, retries: 3 }) // throws TypeError
 * circuitBreakerValidateOptions({ name: 'payments', action: charge, options: { errorThresholdPercentage: 500 } }) // throws
 * ```
 */
export const circuitBreakerValidateOptions = (options: unknown): void => {
  validateOptions(PACKAGE, schema, options, { required: ['name', 'action'], label: 'circuitBreaker options' })
}

/** API Gateway (REST, HTTP, WebSocket), function URLs, ALB, and what Middy's http middlewares accept. */
const isHttpEvent = (event: unknown): boolean =>
  isRecord(event) && ('requestContext' in event || 'httpMethod' in event || 'rawPath' in event)

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
    const context = request.context
    if (!isRecord(context) || Object.isFrozen(context)) return
    // A new object per invocation, never one written into: what it holds is bound to this invocation
    // (its remaining time), and a `breakers` object shared by invocations would hand it to the others.
    const held = isRecord(context.breakers)
      ? (context.breakers as Record<string, Breaker<TArgs, TResult>>)
      : {}
    context.breakers = { ...held, [name]: breaker.forInvocation(context) }
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

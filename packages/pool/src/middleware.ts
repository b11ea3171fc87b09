import { MAX_TIMER_MS, type Rule, rules, validateOptions } from '@lambda-lifetime/commons'
import type { MiddlewareLike, MiddyRequestLike } from '@lambda-lifetime/container'
import { isConnectionError, isServerBusyError } from './classify.js'
import { PACKAGE } from './errors.js'
import {
  acquire,
  type Entry,
  type Lease,
  leasesOf,
  markBrokenIf,
  noteRefusalIf,
  noteSuccess,
  prefetch,
  register,
  release,
  type Settings,
} from './registry.js'
import type { WarmPoolContext, WarmPoolOptions } from './types.js'

/**
 * Sized for what drops idle connections: AWS NAT gateways and NLBs forget a flow after 350 s, Lambda
 * "purges idle connections over time", servers and proxies close idle sessions after minutes. A check
 * after one quiet minute costs one round trip only to invocations that follow a gap, never to busy ones.
 */
const DEFAULT_VALIDATE_AFTER_IDLE_MS = 60_000

/**
 * A create that takes longer than 10 s is hung, not slow: a TCP connect, a TLS handshake and a
 * database login take well under that even to a cold RDS Proxy. An invocation never waits past its own
 * remaining time anyway, so on a 3 s function the bound is under 3 s whatever this says.
 */
const DEFAULT_CREATE_TIMEOUT_MS = 10_000

/**
 * Back-off after a refusal for lack of room (see the README's fleet table): long enough that a fleet at
 * the limit stops hammering the server with connection attempts, each of which costs it a process, short
 * enough that a container whose refusal was a moment's peak is back within a second or two.
 */
const DEFAULT_BACKOFF_MS = 1_000
/** The longest back-off after refusals in a row: a full server is retried at least twice a minute. */
const DEFAULT_MAX_BACKOFF_MS = 30_000

const defaults = {
  validateAfterIdleMs: DEFAULT_VALIDATE_AFTER_IDLE_MS,
  validateTimeoutMs: 2_000,
  maxAgeMs: Number.POSITIVE_INFINITY,
  disposeTimeoutMs: 1_000,
  createTimeoutMs: DEFAULT_CREATE_TIMEOUT_MS,
  isBroken: isConnectionError,
  isBusy: isServerBusyError,
  backoffMs: DEFAULT_BACKOFF_MS,
  maxBackoffMs: DEFAULT_MAX_BACKOFF_MS,
  prefetch: false,
  watchErrorEvents: true,
}

/** Keys the Lambda context (and the container package) already use: a resource there would hide them. */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'awsRequestId',
  'callbackWaitsForEmptyEventLoop',
  'clientContext',
  'container',
  'done',
  'fail',
  'functionName',
  'functionVersion',
  'getRemainingTimeInMillis',
  'identity',
  'invokedFunctionArn',
  'logGroupName',
  'logStreamName',
  'memoryLimitInMB',
  'succeed',
  'tenantId',
  '__proto__',
  'constructor',
  'prototype',
])

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** The key on context: an identifier that the Lambda context does not use already. */
const contextName: Rule = (value, path) => {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    return { path, problem: `must be an identifier (the key on context), got ${JSON.stringify(value)}` }
  }
  if (RESERVED_NAMES.has(value)) return { path, problem: `"${value}" is already used on the Lambda context` }
  return undefined
}

/** A timer's delay: above 0 and within what Node's timers honour (2^31-1 ms, about 24.8 days). */
const timeout = rules.number({ above: 0, max: MAX_TIMER_MS })
/** A span that may be endless (`Infinity`: never), else within the same bounds as a timer's delay. */
const spanOrNever = rules.anyOf(
  [timeout, rules.oneOf([Number.POSITIVE_INFINITY])],
  `a number of ms > 0 and <= ${MAX_TIMER_MS}, or Infinity`,
)

/** The rules of every `warmPool` option, next to their defaults. */
const schema = {
  name: contextName,
  create: rules.function(),
  validate: rules.function(),
  dispose: rules.function(),
  validateAfterIdleMs: spanOrNever,
  validateTimeoutMs: timeout,
  maxAgeMs: spanOrNever,
  disposeTimeoutMs: timeout,
  createTimeoutMs: timeout,
  isBroken: rules.function(),
  isBusy: rules.function(),
  backoffMs: rules.number({ min: 0, max: MAX_TIMER_MS }),
  maxBackoffMs: timeout,
  prefetch: rules.boolean(),
  watchErrorEvents: rules.boolean(),
}

/**
 * Checks `warmPool` options; throws a `TypeError` that names the package and the bad option. Unknown
 * options are rejected too, so a typo never silently falls back to a default.
 *
 * @example
 * ```ts
 * warmPoolValidateOptions({ name: 'db', create: () => new pg.Pool() }) // passes
 * warmPoolValidateOptions({ name: 'db', create: () => new pg.Pool(), maxAge: 60_000 }) // throws: "maxAge" is not a known option
 * ```
 */
export const warmPoolValidateOptions = (options: unknown): void => {
  validateOptions(PACKAGE, schema, options, { required: ['name', 'create'], label: 'warmPool options' })
}

const settingsOf = (options: WarmPoolOptions<string, unknown>): Settings => {
  const merged = { ...defaults, ...options }
  return Object.freeze({
    name: merged.name,
    create: merged.create,
    validate: merged.validate,
    dispose: merged.dispose,
    validateAfterIdleMs: merged.validateAfterIdleMs,
    validateTimeoutMs: merged.validateTimeoutMs,
    maxAgeMs: merged.maxAgeMs,
    disposeTimeoutMs: merged.disposeTimeoutMs,
    createTimeoutMs: merged.createTimeoutMs,
    isBroken: merged.isBroken,
    isBusy: merged.isBusy,
    backoffMs: merged.backoffMs,
    maxBackoffMs: merged.maxBackoffMs,
    watchErrorEvents: merged.watchErrorEvents,
  })
}

const hand = (context: object, entry: Entry, slot: Lease['slot']): void => {
  leasesOf(context).set(entry.settings.name, { entry, slot, released: false })
  ;(context as Record<string, unknown>)[entry.settings.name] = slot.value
}

/**
 * The Middy middleware: keeps one resource per name for the life of the container and hands it to the
 * handler on `context[name]`. After an idle gap it validates the resource first; a resource that failed
 * validation, aged out or broke is disposed and replaced before a handler sees it; a connection-level
 * error from the handler marks it broken (it is not retried); SIGTERM disposes it. Put it after
 * `containerLifetime()`, which lets it see invocations that other middlewares end early.
 *
 * @example
 * ```ts
 * export const handler = middy()
 *   .use(containerLifetime())
 *   .use(warmPool({
 *     name: 'db',
 *     create: () => new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 }),
 *     validate: (pool) => pool.query('select 1'),
 *     dispose: (pool) => pool.end(),
 *   }))
 *   .handler(async (event, context) => (await context.db.query('select now()')).rows[0])
 * ```
 */
export const warmPool = <
  TName extends string,
  TResource,
  TEvent = unknown,
  TResult = unknown,
  TErr = unknown,
>(
  options: WarmPoolOptions<TName, TResource>,
): MiddlewareLike<TEvent, TResult, TErr, WarmPoolContext<TName, TResource>> => {
  warmPoolValidateOptions(options)
  const settings = settingsOf(options as WarmPoolOptions<string, unknown>)
  const entry = register(settings)
  if (options.prefetch === true) prefetch(entry)

  const warmPoolMiddlewareBefore = (request: MiddyRequestLike): Promise<void> | undefined => {
    const context = request.context as object
    const held = leasesOf(context).get(settings.name)
    if (held !== undefined && !held.released) return // the middleware is used twice in one chain
    const acquired = acquire(entry, context)
    if (acquired instanceof Promise) return acquired.then((slot) => hand(context, entry, slot))
    hand(context, entry, acquired)
  }
  const warmPoolMiddlewareAfter = (request: MiddyRequestLike): void => {
    const lease = leasesOf(request.context as object).get(settings.name)
    if (lease === undefined) return
    noteSuccess(entry)
    release(lease)
  }
  const warmPoolMiddlewareOnError = (request: MiddyRequestLike): void => {
    const lease = leasesOf(request.context as object).get(settings.name)
    if (lease === undefined) return
    if (!lease.released && !markBrokenIf(lease, request.error)) noteRefusalIf(lease, request.error)
    release(lease)
  }
  return {
    before: warmPoolMiddlewareBefore,
    after: warmPoolMiddlewareAfter,
    onError: warmPoolMiddlewareOnError,
  } as MiddlewareLike<TEvent, TResult, TErr, WarmPoolContext<TName, TResource>>
}

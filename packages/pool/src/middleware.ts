import type { MiddlewareLike, MiddyRequestLike } from '@lambda-lifetime/container'
import { isConnectionError } from './classify.js'
import {
  acquire,
  type Entry,
  type Lease,
  leasesOf,
  markBrokenIf,
  prefetch,
  register,
  release,
  type Settings,
} from './registry.js'
import type { WarmPoolContext, WarmPoolOptions } from './types.js'

const PACKAGE = '@lambda-lifetime/pool'

/**
 * Sized for what drops idle connections: AWS NAT gateways and NLBs forget a flow after 350 s, Lambda
 * "purges idle connections over time", servers and proxies close idle sessions after minutes. A check
 * after one quiet minute costs one round trip only to invocations that follow a gap, never to busy ones.
 */
const DEFAULT_VALIDATE_AFTER_IDLE_MS = 60_000

const defaults = {
  validateAfterIdleMs: DEFAULT_VALIDATE_AFTER_IDLE_MS,
  validateTimeoutMs: 2_000,
  maxAgeMs: Number.POSITIVE_INFINITY,
  disposeTimeoutMs: 1_000,
  isBroken: isConnectionError,
  prefetch: false,
  watchErrorEvents: true,
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'name',
  'create',
  'validate',
  'dispose',
  ...Object.keys(defaults),
])

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

const NAME = /^[A-Za-z_$][\w$]*$/

const invalid = (message: string): TypeError =>
  new TypeError(`${PACKAGE}: ${message}`, { cause: { package: PACKAGE } })

const checkFunction = (name: string, value: unknown, required: boolean): void => {
  if (value === undefined && !required) return
  if (typeof value !== 'function') throw invalid(`option "${name}" must be a function, got ${typeof value}`)
}

const checkDuration = (name: string, value: unknown, allowInfinity: boolean): void => {
  if (value === undefined) return
  const valid = typeof value === 'number' && value > 0 && (allowInfinity || Number.isFinite(value))
  if (!valid) {
    const range = allowInfinity ? 'a number > 0 (Infinity allowed)' : 'a finite number > 0'
    throw invalid(`option "${name}" must be ${range}, got ${String(value)}`)
  }
}

const checkBoolean = (name: string, value: unknown): void => {
  if (value !== undefined && typeof value !== 'boolean') {
    throw invalid(`option "${name}" must be a boolean, got ${typeof value}`)
  }
}

/**
 * Checks `warmPool` options; throws a `TypeError` that names the package and the bad option. Unknown
 * options are rejected too, so a typo never silently falls back to a default.
 *
 * @example
 * ```ts
 * warmPoolValidateOptions({ name: 'db', create: () => new pg.Pool() }) // passes
 * warmPoolValidateOptions({ name: 'db', create: () => new pg.Pool(), maxAge: 60_000 }) // throws: unknown "maxAge"
 * ```
 */
export const warmPoolValidateOptions = (options: unknown): void => {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(`options must be an object, got ${options === null ? 'null' : typeof options}`)
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key))
      throw invalid(`unknown option "${key}" (known: ${[...OPTION_NAMES].join(', ')})`)
  }
  const candidate = options as Record<string, unknown>
  const { name } = candidate
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalid(`option "name" must be an identifier (the key on context), got ${JSON.stringify(name)}`)
  }
  if (RESERVED_NAMES.has(name)) throw invalid(`option "name" "${name}" is already used on the Lambda context`)
  checkFunction('create', candidate.create, true)
  checkFunction('validate', candidate.validate, false)
  checkFunction('dispose', candidate.dispose, false)
  checkFunction('isBroken', candidate.isBroken, false)
  checkDuration('validateAfterIdleMs', candidate.validateAfterIdleMs, true)
  checkDuration('validateTimeoutMs', candidate.validateTimeoutMs, false)
  checkDuration('maxAgeMs', candidate.maxAgeMs, true)
  checkDuration('disposeTimeoutMs', candidate.disposeTimeoutMs, false)
  checkBoolean('prefetch', candidate.prefetch)
  checkBoolean('watchErrorEvents', candidate.watchErrorEvents)
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
    isBroken: merged.isBroken,
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
    const acquired = acquire(entry)
    if (acquired instanceof Promise) return acquired.then((slot) => hand(context, entry, slot))
    hand(context, entry, acquired)
  }
  const warmPoolMiddlewareAfter = (request: MiddyRequestLike): void => {
    const lease = leasesOf(request.context as object).get(settings.name)
    if (lease !== undefined) release(lease)
  }
  const warmPoolMiddlewareOnError = (request: MiddyRequestLike): void => {
    const lease = leasesOf(request.context as object).get(settings.name)
    if (lease === undefined) return
    if (!lease.released) markBrokenIf(lease, request.error)
    release(lease)
  }
  return {
    before: warmPoolMiddlewareBefore,
    after: warmPoolMiddlewareAfter,
    onError: warmPoolMiddlewareOnError,
  } as MiddlewareLike<TEvent, TResult, TErr, WarmPoolContext<TName, TResource>>
}

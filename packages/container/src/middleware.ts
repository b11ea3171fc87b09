import { type OptionSchema, rules, validateOptions } from '@lambda-lifetime/commons'
import { beginInvocation, endInvocation, type InvocationSettings } from './invocation.js'
import { PACKAGE } from './package.js'
import type { ContainerContext, ContainerLifetimeOptions, MiddlewareLike } from './types.js'

const defaults = {
  header: false,
  thawThresholdMs: 10_000,
  restartMarker: true,
} satisfies Required<ContainerLifetimeOptions>

/** RFC 9110 token: what a header name may contain. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

const schema = {
  header: rules.anyOf(
    [rules.custom((value) => value === false, 'false'), rules.string({ pattern: HEADER_NAME })],
    'false or a valid HTTP header name',
  ),
  thawThresholdMs: rules.number({ min: 0 }),
  restartMarker: rules.boolean(),
} satisfies OptionSchema & Record<keyof ContainerLifetimeOptions, unknown>

/**
 * Checks `containerLifetime` options; throws a `TypeError` that names the package and the bad option.
 *
 * @example
 * ```ts
 * containerLifetimeValidateOptions({ header: 'x-container-id' }) // passes
 * containerLifetimeValidateOptions({ thawThresholdMs: -1 })      // throws TypeError
 * ```
 */
export const containerLifetimeValidateOptions = (options: unknown): void => {
  validateOptions(PACKAGE, schema, options)
}

/**
 * The Middy middleware: stamps each invocation with its container's identity and counts, on
 * `context.container`, and emits the lifecycle events. Use it first in the `.use()` chain so that it
 * opens the invocation before any other middleware can return early.
 *
 * @example
 * ```ts
 * export const handler = middy()
 *   .use(containerLifetime({ header: 'x-container-id' }))
 *   .handler(async (event, context) => ({
 *     statusCode: 200,
 *     body: JSON.stringify({ container: context.container.containerId, n: context.container.invocation }),
 *   }))
 * ```
 */
export const containerLifetime = <TEvent = unknown, TResult = unknown, TErr = unknown>(
  options: ContainerLifetimeOptions = {},
): MiddlewareLike<TEvent, TResult, TErr, ContainerContext> => {
  containerLifetimeValidateOptions(options)
  const merged = { ...defaults, ...options }
  const settings: InvocationSettings = Object.freeze({
    header: merged.header === false ? undefined : merged.header,
    thawThresholdMs: merged.thawThresholdMs,
    restartMarker: merged.restartMarker,
  })

  const containerLifetimeMiddlewareBefore = (request: Parameters<typeof beginInvocation>[0]): void => {
    beginInvocation(request, settings)
  }
  const containerLifetimeMiddlewareAfter = (request: Parameters<typeof endInvocation>[0]): void => {
    endInvocation(request, 'success')
  }
  const containerLifetimeMiddlewareOnError = (request: Parameters<typeof endInvocation>[0]): void => {
    endInvocation(request, 'error')
  }
  return {
    before: containerLifetimeMiddlewareBefore,
    after: containerLifetimeMiddlewareAfter,
    onError: containerLifetimeMiddlewareOnError,
  } as MiddlewareLike<TEvent, TResult, TErr, ContainerContext>
}

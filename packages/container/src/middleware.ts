import { beginInvocation, endInvocation, type InvocationSettings } from './invocation.js'
import type { ContainerContext, ContainerLifetimeOptions, MiddlewareLike } from './types.js'

const PACKAGE = '@lambda-lifetime/container'

const defaults = {
  header: false,
  thawThresholdMs: 10_000,
  restartMarker: true,
} satisfies Required<ContainerLifetimeOptions>

const OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(defaults))
/** RFC 9110 token: what a header name may contain. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

const invalid = (message: string): TypeError =>
  new TypeError(`${PACKAGE}: ${message}`, { cause: { package: PACKAGE } })

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
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(`options must be an object, got ${options === null ? 'null' : typeof options}`)
  }
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name))
      throw invalid(`unknown option "${name}" (known: ${[...OPTION_NAMES].join(', ')})`)
  }
  const { header, thawThresholdMs, restartMarker } = options as ContainerLifetimeOptions
  if (header !== undefined && header !== false && !(typeof header === 'string' && HEADER_NAME.test(header))) {
    throw invalid(`option "header" must be false or a valid HTTP header name, got ${JSON.stringify(header)}`)
  }
  if (
    thawThresholdMs !== undefined &&
    !(typeof thawThresholdMs === 'number' && thawThresholdMs >= 0 && thawThresholdMs < Infinity)
  ) {
    throw invalid(`option "thawThresholdMs" must be a finite number >= 0, got ${String(thawThresholdMs)}`)
  }
  if (restartMarker !== undefined && typeof restartMarker !== 'boolean') {
    throw invalid(`option "restartMarker" must be a boolean, got ${typeof restartMarker}`)
  }
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

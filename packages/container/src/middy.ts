/**
 * `@lambda-lifetime/container/middy`: the Middy plugin that lets `containerLifetime()` see the end of every
 * invocation through Middy's own hooks, once per chain, instead of an accessor on every request.
 *
 * Without it the middleware turns `request.response` into an accessor to see early returns, which makes
 * V8 move each request into dictionary mode: most of the middleware's cost (bench/README.md). With it,
 * Middy's `requestEnd` hook sees every end (success, error, an early return from any phase), and a thin
 * wrapper around Middy's execution mode notes that the handler was called, which tells an early return
 * from a `before` middleware (outcome `early-return`) apart from one from an `after` (`success`).
 *
 * The only module of this package that imports Middy (an optional peer): the main entry stays
 * Middy-free.
 */
import { executionModeStandard } from '@middy/core/executionModeStandard'
import { endPluginRun, noteHandlerCalled, startPluginRun } from './invocation.js'
import type { MiddyRequestLike } from './types.js'

type LambdaHandlerLike = (event: unknown, context: unknown, options: unknown) => unknown

type RunRequest = (
  request: MiddyRequestLike,
  before: unknown,
  handler: LambdaHandlerLike,
  after: unknown,
  onError: unknown,
  plugin: unknown,
) => Promise<unknown>

type ExecutionMode = (
  middyParts: { middyRequest: unknown; runRequest: RunRequest },
  before: unknown,
  handler: unknown,
  after: unknown,
  onError: unknown,
  plugin: unknown,
) => unknown

/** The plugin options this helper composes with; everything else passes through to Middy as given. */
export interface ContainerLifetimePluginOptions {
  /** Your own `requestEnd` hook: runs after the invocation ended. */
  readonly requestEnd?: (request: never) => unknown
  /** Another execution mode (streamify-response, durable context); default Middy's standard one. */
  readonly executionMode?: unknown
  readonly [option: string]: unknown
}

/** What the helper hands to `middy()`: your options, with `requestEnd` and `executionMode` composed. */
export type ContainerLifetimePlugin<TOptions extends ContainerLifetimePluginOptions> = Omit<
  TOptions,
  'requestEnd' | 'executionMode'
> & {
  readonly requestEnd: (request: unknown) => unknown
  readonly executionMode: (...parts: never[]) => unknown
}

const trackRuns =
  (runRequest: RunRequest): RunRequest =>
  (request, before, handler, after, onError, plugin) => {
    startPluginRun(request)
    const calledHandler: LambdaHandlerLike = (event, context, options) => {
      noteHandlerCalled(request)
      return handler(event, context, options)
    }
    return runRequest(request, before, calledHandler, after, onError, plugin)
  }

/**
 * Middy plugin options for `containerLifetime()`: pass them as `middy()`'s second argument, with your own
 * options inside. Each invocation then costs less (no accessor on the request) and ends exactly as without
 * the plugin; `containerLifetime()` must still be `.use()`d, first.
 *
 * @example
 * ```ts
 * import { containerLifetime } from '@lambda-lifetime/container'
 * import { containerLifetimePlugin } from '@lambda-lifetime/container/middy'
 *
 * export const handler = middy(app, containerLifetimePlugin({ timeoutEarlyInMillis: 50 }))
 *   .use(containerLifetime())
 * ```
 */
export const containerLifetimePlugin = <
  TOptions extends ContainerLifetimePluginOptions = ContainerLifetimePluginOptions,
>(
  options: TOptions = {} as TOptions,
): ContainerLifetimePlugin<TOptions> => {
  const ownRequestEnd = options.requestEnd as ((request: MiddyRequestLike) => unknown) | undefined
  const innerMode = (options.executionMode ?? executionModeStandard) as ExecutionMode
  const containerLifetimeRequestEnd = (request: unknown): unknown => {
    endPluginRun(request as MiddyRequestLike)
    return ownRequestEnd?.(request as MiddyRequestLike)
  }
  const containerLifetimeExecutionMode: ExecutionMode = (middyParts, ...chain) =>
    innerMode({ ...middyParts, runRequest: trackRuns(middyParts.runRequest) }, ...chain)
  return {
    ...options,
    requestEnd: containerLifetimeRequestEnd,
    executionMode: containerLifetimeExecutionMode,
  } as unknown as ContainerLifetimePlugin<TOptions>
}

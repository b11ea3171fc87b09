/**
 * The middleware and its one lifecycle listener. Per-invocation metrics go into the Powertools Metrics
 * instance during the invocation's own `invocation.end` (so in its async context: Powertools 2.36 keeps
 * stored metrics, dimensions and metadata per invocation in the invoke store under Managed Instances);
 * what this middleware keeps between events is per container (pending counts, the invocations not yet
 * published) or keyed by the invocation's view, never "the current invocation" in this closure.
 *
 * Documents: one with the dimensions `function_name` and `start_type` holding `ContainerStart`, on the
 * first invocation of a runtime only; one with `function_name` holding everything else, when there is
 * anything to publish. `start_type` is kept off the second so that a metric such as
 * `ContainerInvocations` has one identity whether it is published during an invocation or at shutdown.
 */
import { warnOnce } from '@lambda-lifetime/commons'
import {
  currentInvocation,
  getContainer,
  type InvocationEndEvent,
  type InvocationView,
  type LifecycleEvent,
  type MiddlewareLike,
  type MiddyRequestLike,
  onLifecycle,
  onShutdown,
} from '@lambda-lifetime/container'
import { containerMetricsValidateOptions, defaults, PACKAGE } from './options.js'
import type { ContainerMetricName, ContainerMetricsOptions, ContainerMetricsTarget } from './types.js'

type Unit = 'Count' | 'Milliseconds'
type Counts = Map<ContainerMetricName, number>

interface Settings {
  readonly metrics: ContainerMetricsTarget
  readonly invocationsEvery: number | false
  readonly sampleFirst: number
  readonly sampleEvery: number
  /** Counted events of each open invocation (GC'd with its view). */
  readonly counts: WeakMap<InvocationView, Counts>
  /** First invocations of runtimes that replaced a crashed one. */
  readonly restarts: WeakSet<InvocationView>
  /** Events that happened outside any invocation (a breaker's reset timer): go out with the next one. */
  readonly pending: Counts
  /** Invocations ended since `ContainerInvocations` was last published. */
  unpublishedInvocations: number
  /** The function name of the last invocation, for the shutdown document (constant per runtime). */
  functionName: string | undefined
}

/** Which containerMetrics publishes an invocation: the first whose `before` runs, else the first to hear its end. */
const OWNER = Symbol.for('lambda-lifetime.metrics.owner')
type OwnedRequest = { [OWNER]?: Settings }

const COUNTED_EVENTS: Readonly<Record<string, ContainerMetricName>> = {
  'pool.recreate': 'PoolRecreate',
  'breaker.open': 'BreakerOpen',
  'breaker.half-open': 'BreakerHalfOpen',
  'breaker.close': 'BreakerClose',
}

const increment = (counts: Counts, name: ContainerMetricName, by = 1): void => {
  counts.set(name, (counts.get(name) ?? 0) + by)
}

/** A sibling event counts toward the invocation it happened in, or toward the next one. */
const countEvent = (settings: Settings, name: ContainerMetricName): void => {
  const view = currentInvocation()
  const counts = view === undefined ? undefined : settings.counts.get(view)
  increment(counts ?? settings.pending, name)
}

const functionNameOf = (context: unknown): string | undefined => {
  const name = (context as { functionName?: unknown } | null | undefined)?.functionName
  if (typeof name === 'string' && name !== '') return name
  return process.env.AWS_LAMBDA_FUNCTION_NAME || undefined
}

/** Deterministic per container: all of the first `sampleFirst` invocations, then one in `sampleEvery`. */
const isSampled = (settings: Settings, invocation: number): boolean =>
  invocation <= settings.sampleFirst || (invocation - settings.sampleFirst) % settings.sampleEvery === 0

interface Document {
  readonly dimensions: Readonly<Record<string, string | undefined>>
  readonly metadata: Readonly<Record<string, unknown>>
  readonly values: ReadonlyArray<readonly [ContainerMetricName, Unit, number]>
}

/** One EMF document through the user's Metrics: its namespace, service, default dimensions and output. */
const publish = (metrics: ContainerMetricsTarget, document: Document): void => {
  for (const [name, value] of Object.entries(document.dimensions)) {
    if (value !== undefined) metrics.addDimension(name, value)
  }
  // Typed string by Powertools but written as given: a number stays a number in the EMF properties.
  for (const [key, value] of Object.entries(document.metadata)) metrics.addMetadata(key, value as string)
  for (const [name, unit, value] of document.values) metrics.addMetric(name, unit, value)
  metrics.publishStoredMetrics()
}

const takeInvocationsCount = (settings: Settings): number => {
  const count = settings.unpublishedInvocations
  settings.unpublishedInvocations = 0
  return count
}

const invocationValues = (
  settings: Settings,
  view: InvocationView,
  counts: Counts | undefined,
): Array<readonly [ContainerMetricName, Unit, number]> => {
  const values: Array<readonly [ContainerMetricName, Unit, number]> = []
  if (isSampled(settings, view.invocation)) {
    // Whole milliseconds: the fraction is noise and costs bytes on every document.
    values.push(['ContainerAge', 'Milliseconds', Math.round(view.ageMs)])
    if (view.startType === 'warm') values.push(['IdleTime', 'Milliseconds', Math.round(view.idleMs)])
  }
  if (settings.restarts.has(view)) values.push(['ContainerRestart', 'Count', 1])
  for (const source of [counts, settings.pending]) {
    for (const [name, count] of source ?? []) values.push([name, 'Count', count])
  }
  settings.pending.clear()
  settings.unpublishedInvocations++
  const every = settings.invocationsEvery
  if (every !== false && settings.unpublishedInvocations >= every) {
    values.push(['ContainerInvocations', 'Count', takeInvocationsCount(settings)])
  }
  return values
}

/**
 * The end of an invocation, exactly once whatever the path: flushes the user's stored metrics (as
 * `logMetrics` would), then this invocation's container documents.
 */
const publishInvocation = (settings: Settings, event: InvocationEndEvent): void => {
  const { view } = event
  const { metrics } = settings
  const counts = settings.counts.get(view)
  settings.counts.delete(view)
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics()
  // Dimensions or metadata the handler set without a metric must not end up on this package's documents.
  metrics.clearDimensions()
  metrics.clearMetadata()
  const functionName = functionNameOf(event.request.context)
  settings.functionName = functionName
  const metadata = { container_id: view.containerId, invocation: view.invocation }
  if (view.startType !== 'warm') {
    publish(metrics, {
      dimensions: { function_name: functionName, start_type: view.startType },
      metadata,
      values: [['ContainerStart', 'Count', 1]],
    })
  }
  const values = invocationValues(settings, view, counts)
  if (values.length === 0) return
  const restartOf = view.restartOf === null ? {} : { restart_of: view.restartOf }
  publish(metrics, {
    dimensions: { function_name: functionName },
    metadata: { ...metadata, ...restartOf },
    values,
  })
}

/** The shutdown hook (SIGTERM): the invocations not yet published (all of them, without `invocationsEvery`). */
const publishShutdown = (settings: Settings): void => {
  const values: Array<readonly [ContainerMetricName, Unit, number]> = []
  if (settings.unpublishedInvocations > 0) {
    values.push(['ContainerInvocations', 'Count', takeInvocationsCount(settings)])
  }
  for (const [name, count] of settings.pending) values.push([name, 'Count', count])
  settings.pending.clear()
  if (values.length === 0) return
  const { containerId } = getContainer()
  publish(settings.metrics, {
    dimensions: { function_name: settings.functionName ?? functionNameOf(undefined) },
    metadata: { container_id: containerId },
    values,
  })
}

const containerMetricsListener =
  (settings: Settings) =>
  (event: LifecycleEvent): void => {
    switch (event.type) {
      case 'invocation.start':
        settings.counts.set(event.view, new Map())
        return
      case 'container.restart':
        settings.restarts.add(event.view)
        return
      case 'invocation.end': {
        const request = event.request as OwnedRequest
        request[OWNER] ??= settings
        if (request[OWNER] === settings) publishInvocation(settings, event)
        else settings.counts.delete(event.view)
        return
      }
      default: {
        const name = COUNTED_EVENTS[event.type]
        if (name !== undefined) countEvent(settings, name)
      }
    }
  }

const NO_CONTAINER =
  'containerMetrics() found no invocation opened by containerLifetime(), so it publishes nothing: use ' +
  'containerLifetime() first in the chain, middy().use(containerLifetime()).use(containerMetrics({ metrics }))'

/**
 * The Middy middleware: Powertools Metrics (EMF) about the container each invocation runs in.
 * Publishes `ContainerStart` by `start_type` (`cold` or `pre-initialized`: right under provisioned
 * concurrency and Managed Instances, where Powertools' own `ColdStart` is always false),
 * `ContainerAge` and `IdleTime` (ms, sampled per container), `ContainerInvocations` (once per container
 * at shutdown, or every N), `ContainerRestart`, `PoolRecreate` and `BreakerOpen`/`HalfOpen`/`Close`.
 * It also flushes the metrics your handler added, once per invocation on every path (success, error,
 * early return), so it replaces Powertools' `logMetrics` middleware. Create it once, at module scope:
 * it subscribes to the container's events and registers a shutdown hook (the `ContainerInvocations` count).
 *
 * @example
 * ```ts
 * import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
 * import { containerLifetime } from '@lambda-lifetime/container'
 * import { containerMetrics } from '@lambda-lifetime/metrics'
 * import middy from '@middy/core'
 *
 * const metrics = new Metrics({ namespace: 'shop', serviceName: 'orders' })
 * export const handler = middy()
 *   .use(containerLifetime())
 *   .use(containerMetrics({ metrics, sampleFirst: 100, sampleEvery: 10 }))
 *   .handler(async () => {
 *     metrics.addMetric('OrderPlaced', MetricUnit.Count, 1) // flushed at the end of the invocation
 *     return { statusCode: 201 }
 *   })
 * ```
 */
export const containerMetrics = <TEvent = unknown, TResult = unknown, TErr = unknown>(
  options: ContainerMetricsOptions,
): MiddlewareLike<TEvent, TResult, TErr, object> => {
  containerMetricsValidateOptions(options)
  const merged = { ...defaults, ...options }
  const settings: Settings = {
    metrics: merged.metrics,
    invocationsEvery: merged.invocationsEvery,
    sampleFirst: merged.sampleFirst,
    sampleEvery: merged.sampleEvery,
    counts: new WeakMap(),
    restarts: new WeakSet(),
    pending: new Map(),
    unpublishedInvocations: 0,
    functionName: undefined,
  }
  onLifecycle(containerMetricsListener(settings))
  // A shutdown hook rather than a `container.shutdown` listener: registering one is what makes the
  // container listen for SIGTERM at all.
  onShutdown(() => publishShutdown(settings), { name: `${PACKAGE} flush` })
  const containerMetricsMiddlewareBefore = (request: MiddyRequestLike): void => {
    const view = (request.context as { container?: InvocationView } | null)?.container
    if (view === undefined || !settings.counts.has(view)) {
      warnOnce(PACKAGE, NO_CONTAINER, 'LAMBDA_LIFETIME_METRICS_NO_CONTAINER')
      return
    }
    ;(request as OwnedRequest)[OWNER] ??= settings
  }
  return { before: containerMetricsMiddlewareBefore } as MiddlewareLike<TEvent, TResult, TErr, object>
}

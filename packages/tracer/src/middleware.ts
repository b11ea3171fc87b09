/**
 * The middleware. Stateless per invocation: everything it writes goes on X-Ray (sub)segments that the
 * Tracer resolves per invocation (in the invoke store under Managed Instances), so nothing is kept here.
 */
import { warnOnce } from '@lambda-lifetime/commons'
import type { InvocationView, MiddlewareLike, MiddyRequestLike } from '@lambda-lifetime/container'
import { containerTracingValidateOptions, defaults, PACKAGE } from './options.js'
import type { ContainerAnnotations, ContainerTracingOptions, ContainerTracingTarget } from './types.js'

/** The X-Ray SDK (sub)segment API this package uses (the SDK is Powertools Tracer's dependency). */
interface TraceEntity {
  addNewSubsegment(name: string): TraceEntity
  addAnnotation(key: string, value: string | number | boolean): void
  addMetadata(key: string, value: unknown, namespace?: string): void
  close(): void
  start_time: number
  /** Set on subsegments only: their root segment. */
  segment?: unknown
}

const THAW_SUBSEGMENT = '## container.thaw'
const CONTAINER_SUBSEGMENT = '## container'
const METADATA_NAMESPACE = 'lambda-lifetime'

const annotationsOf = (view: InvocationView): ContainerAnnotations => ({
  container_id: view.containerId,
  invocation: view.invocation,
  start_type: view.startType,
  idle_ms: Math.round(view.idleMs),
})

const annotate = (entity: TraceEntity, view: InvocationView): void => {
  for (const [key, value] of Object.entries(annotationsOf(view))) entity.addAnnotation(key, value)
  entity.addMetadata('container', view, METADATA_NAMESPACE)
}

/**
 * The thaw as a subsegment as long as the sleep, ending now. Closing it sends it (X-Ray streams closed
 * subsegments in Lambda); its start is set before, since `close()` stamps the end.
 */
const markThaw = (parent: TraceEntity, view: InvocationView): void => {
  const thaw = parent.addNewSubsegment(THAW_SUBSEGMENT)
  thaw.start_time = (Date.now() - view.idleMs) / 1000
  thaw.addAnnotation('idle_ms', Math.round(view.idleMs))
  thaw.close()
}

const NO_CONTAINER =
  'containerTracing() found no context.container, so it annotates nothing: use containerLifetime() first ' +
  'in the chain, middy().use(containerLifetime()).use(captureLambdaHandler(tracer)).use(containerTracing({ tracer }))'

/**
 * Annotates the invocation's subsegment when there is one (Powertools' `## handler` subsegment, opened by
 * `captureLambdaHandler` earlier in the chain); else, as the Lambda segment itself takes no annotations,
 * a short `## container` subsegment of its own that carries them.
 */
const annotateInvocation = (segment: TraceEntity, view: InvocationView): void => {
  if (segment.segment !== undefined) {
    annotate(segment, view)
    return
  }
  const own = segment.addNewSubsegment(CONTAINER_SUBSEGMENT)
  annotate(own, view)
  own.close()
}

/**
 * The Middy middleware: X-Ray annotations about the container on each invocation (`container_id`,
 * `invocation`, `start_type`, `idle_ms`: searchable, as in `annotation.start_type = "cold"`), the full
 * invocation view as metadata, and a `## container.thaw` subsegment for the time the container slept
 * before this invocation. Put it after Powertools' `captureLambdaHandler`, so the annotations land on
 * its `## handler` subsegment.
 *
 * @example
 * ```ts
 * import { Tracer } from '@aws-lambda-powertools/tracer'
 * import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware'
 * import { containerLifetime } from '@lambda-lifetime/container'
 * import { containerTracing } from '@lambda-lifetime/tracer'
 * import middy from '@middy/core'
 *
 * const tracer = new Tracer({ serviceName: 'orders' })
 * export const handler = middy()
 *   .use(containerLifetime())
 *   .use(captureLambdaHandler(tracer))
 *   .use(containerTracing({ tracer }))
 *   .handler(async () => ({ statusCode: 200 }))
 * ```
 */
export const containerTracing = <TEvent = unknown, TResult = unknown, TErr = unknown>(
  options: ContainerTracingOptions,
): MiddlewareLike<TEvent, TResult, TErr, object> => {
  containerTracingValidateOptions(options)
  const { tracer, thawMinMs } = { ...defaults, ...options } as Required<ContainerTracingOptions>
  const target: ContainerTracingTarget = tracer
  const containerTracingMiddlewareBefore = (request: MiddyRequestLike): void => {
    const view = (request.context as { container?: InvocationView } | null)?.container
    if (view === undefined) {
      warnOnce(PACKAGE, NO_CONTAINER, 'LAMBDA_LIFETIME_TRACER_NO_CONTAINER')
      return
    }
    if (!target.isTracingEnabled()) return
    const segment = target.getSegment() as TraceEntity | undefined
    if (segment === undefined) return
    annotateInvocation(segment, view)
    if (thawMinMs !== false && view.startType === 'warm' && view.idleMs > 0 && view.idleMs >= thawMinMs)
      markThaw(segment, view)
  }
  return { before: containerTracingMiddlewareBefore } as MiddlewareLike<TEvent, TResult, TErr, object>
}

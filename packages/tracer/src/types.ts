import type { Tracer } from '@aws-lambda-powertools/tracer'

/** The parts of a Powertools `Tracer` this package calls; a `Tracer` instance (or a subclass) fits. */
export type ContainerTracingTarget = Pick<Tracer, 'isTracingEnabled' | 'getSegment'>

export interface ContainerTracingOptions {
  /** The Powertools Tracer of the function. */
  tracer: ContainerTracingTarget
  /**
   * Mark the thaw: a `## container.thaw` subsegment as long as the container slept before this
   * invocation, when it slept at least this many ms. `false` turns it off. Default 100.
   */
  thawMinMs?: number | false
}

/** The annotations each invocation gets (searchable in X-Ray: `annotation.start_type = "cold"`). */
export interface ContainerAnnotations {
  readonly container_id: string
  readonly invocation: number
  readonly start_type: string
  readonly idle_ms: number
}

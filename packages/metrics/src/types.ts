import type { Metrics } from '@aws-lambda-powertools/metrics'

/**
 * The parts of a Powertools `Metrics` this package calls. A `Metrics` instance (or a subclass) fits;
 * Powertools 2.36 keeps its stored metrics, dimensions and metadata per invocation in the runtime's
 * invoke store under Managed Instances, which is what keeps concurrent invocations apart.
 */
export type ContainerMetricsTarget = Pick<
  Metrics,
  | 'addMetric'
  | 'addDimension'
  | 'addMetadata'
  | 'publishStoredMetrics'
  | 'hasStoredMetrics'
  | 'clearDimensions'
  | 'clearMetadata'
>

export interface ContainerMetricsOptions {
  /** The Powertools Metrics instance: its namespace, service, default dimensions and output are used. */
  metrics: ContainerMetricsTarget
  /**
   * Also publish `ContainerInvocations` every this many invocations (the count since the last
   * publication), not only at shutdown. `false` (default): once per container, at `container.shutdown`.
   */
  invocationsEvery?: number | false
  /** `ContainerAge` and `IdleTime` are recorded on every one of a container's first `sampleFirst` invocations. Default 100. */
  sampleFirst?: number
  /** …then on one invocation in `sampleEvery`. Default 1 (every invocation). Counts are never sampled. */
  sampleEvery?: number
}

/** Names of the metrics this package publishes. */
export type ContainerMetricName =
  | 'ContainerStart'
  | 'ContainerAge'
  | 'IdleTime'
  | 'ContainerInvocations'
  | 'ContainerRestart'
  | 'PoolRecreate'
  | 'BreakerOpen'
  | 'BreakerHalfOpen'
  | 'BreakerClose'

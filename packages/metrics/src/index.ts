export { containerMetrics } from './middleware.js'
export { containerMetricsValidateOptions } from './options.js'
export type { ContainerMetricName, ContainerMetricsOptions, ContainerMetricsTarget } from './types.js'

/** Option defaults and their validation (the rules live in @lambda-lifetime/commons). */
import { type Rule, rules, validateOptions } from '@lambda-lifetime/commons'
import type { ContainerMetricsOptions, ContainerMetricsTarget } from './types.js'

export const PACKAGE = '@lambda-lifetime/metrics'

export const defaults = {
  invocationsEvery: false,
  sampleFirst: 100,
  sampleEvery: 1,
} satisfies Omit<Required<ContainerMetricsOptions>, 'metrics'>

const METRICS_METHODS = [
  'addMetric',
  'addDimension',
  'addMetadata',
  'publishStoredMetrics',
  'hasStoredMetrics',
  'clearDimensions',
  'clearMetadata',
] as const satisfies readonly (keyof ContainerMetricsTarget)[]

/** Recognised by the methods this package calls, so children and subclasses fit. */
const powertoolsMetrics = rules.withMethods('a Powertools Metrics (2.36 or later)', METRICS_METHODS)

const schema = {
  metrics: powertoolsMetrics,
  invocationsEvery: rules.anyOf(
    [rules.oneOf([false]), rules.number({ min: 1, integer: true })],
    'false or an integer >= 1',
  ),
  sampleFirst: rules.number({ min: 0, integer: true }),
  sampleEvery: rules.number({ min: 1, integer: true }),
} satisfies Record<keyof ContainerMetricsOptions, Rule>

/**
 * Checks `containerMetrics` options; throws a `TypeError` that names the package and the bad option.
 * Unknown options are rejected too.
 *
 * @example
 * ```ts
 * containerMetricsValidateOptions({ metrics: new Metrics(), sampleEvery: 10 }) // passes
 * containerMetricsValidateOptions({ metrics: new Metrics(), sampleEvery: 0 })  // throws TypeError
 * ```
 */
export const containerMetricsValidateOptions = (options: unknown): void => {
  validateOptions(PACKAGE, schema, options, { required: ['metrics'] })
}

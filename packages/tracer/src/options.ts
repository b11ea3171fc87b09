/** Option defaults and their validation (the rules live in @lambda-lifetime/commons). */
import { MAX_TIMER_MS, type Rule, rules, validateOptions } from '@lambda-lifetime/commons'
import type { ContainerTracingOptions, ContainerTracingTarget } from './types.js'

export const PACKAGE = '@lambda-lifetime/tracer'

export const defaults = { thawMinMs: 100 } satisfies Omit<Required<ContainerTracingOptions>, 'tracer'>

const TRACER_METHODS = [
  'isTracingEnabled',
  'getSegment',
] as const satisfies readonly (keyof ContainerTracingTarget)[]

/** Recognised by the methods this package calls, so children and subclasses fit. */
const powertoolsTracer = rules.withMethods('a Powertools Tracer (2.36 or later)', TRACER_METHODS)

const schema = {
  tracer: powertoolsTracer,
  thawMinMs: rules.anyOf(
    [rules.oneOf([false]), rules.duration()],
    `false or a duration in ms from 0 to ${MAX_TIMER_MS}`,
  ),
} satisfies Record<keyof ContainerTracingOptions, Rule>

/**
 * Checks `containerTracing` options; throws a `TypeError` that names the package and the bad option.
 * Unknown options are rejected too.
 *
 * @example
 * ```ts
 * containerTracingValidateOptions({ tracer: new Tracer(), thawMinMs: 1000 }) // passes
 * containerTracingValidateOptions({ tracer: new Tracer(), thawMinMs: -1 })   // throws TypeError
 * ```
 */
export const containerTracingValidateOptions = (options: unknown): void => {
  validateOptions(PACKAGE, schema, options, { required: ['tracer'] })
}

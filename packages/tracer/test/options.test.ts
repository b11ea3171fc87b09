import { describe, expect, it } from '@jest/globals'
import { containerLifetime } from '@lambda-lifetime/container'
import {
  type ContainerTracingTarget,
  containerTracing,
  containerTracingValidateOptions,
} from '@lambda-lifetime/tracer'
import middy from '@middy/core'
import fc from 'fast-check'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'

/** Structurally a Tracer, without the X-Ray SDK: enough for option checks. */
const tracerLike = (segment: unknown = undefined): ContainerTracingTarget => ({
  isTracingEnabled: () => true,
  getSegment: () => segment as never,
})

describe('containerTracing options', () => {
  it.each([
    [undefined, 'options must be an object'],
    [{}, 'option "tracer"'],
    [{ tracer: 'tracer' }, 'must be a Powertools Tracer'],
    [{ tracer: { isTracingEnabled: (): boolean => true } }, 'it has no getSegment()'],
    [{ tracer: tracerLike(), thawMinMs: -1 }, 'option "thawMinMs"'],
    [{ tracer: tracerLike(), thawMinMs: true }, 'option "thawMinMs"'],
    [{ tracer: tracerLike(), annotate: false }, 'annotate'],
  ])('rejects %p with a TypeError naming the package and the option', (options, message) => {
    // Act
    const create = () => containerTracing(options as never)

    // Assess
    expect(create).toThrow(TypeError)
    expect(create).toThrow('@lambda-lifetime/tracer')
    expect(create).toThrow(message)
  })

  it('accepts false or a duration for thawMinMs, and throws a TypeError for anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.string(), fc.constant(null)),
        (thawMinMs) => {
          const valid =
            thawMinMs === false ||
            (typeof thawMinMs === 'number' &&
              Number.isFinite(thawMinMs) &&
              thawMinMs >= 0 &&
              thawMinMs <= 2 ** 31 - 1)
          let error: unknown
          try {
            containerTracingValidateOptions({ tracer: tracerLike(), thawMinMs })
          } catch (thrown) {
            error = thrown
          }
          expect(error === undefined).toBe(valid)
          if (error !== undefined) expect(error).toBeInstanceOf(TypeError)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('leaves the invocation alone when the Tracer has no segment (outside a Lambda context)', async () => {
    // Prepare
    resetContainer()
    const handler = middy()
      .use(containerLifetime())
      .use(containerTracing({ tracer: tracerLike(undefined) }))
      .handler(async () => 'ok')

    // Act
    const result = await handler({}, lambdaContext('r1'))

    // Assess
    expect(result).toBe('ok')
  })
})

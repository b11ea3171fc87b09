import { Metrics } from '@aws-lambda-powertools/metrics'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { resetWarnings } from '@lambda-lifetime/commons'
import { containerMetrics, containerMetricsValidateOptions } from '@lambda-lifetime/metrics'
import middy from '@middy/core'
import fc from 'fast-check'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'
import { captureEmf } from './emf.js'

describe('containerMetrics options', () => {
  const metrics = new Metrics({ namespace: 'shop' })

  it.each([
    [undefined, 'options must be an object'],
    [{}, 'option "metrics"'],
    [{ metrics: {} }, 'it has no addMetric()'],
    [{ metrics: 'metrics' }, 'must be a Powertools Metrics'],
    [{ metrics, invocationsEvery: 0 }, 'option "invocationsEvery"'],
    [{ metrics, invocationsEvery: true }, 'option "invocationsEvery"'],
    [{ metrics, sampleFirst: -1 }, 'option "sampleFirst"'],
    [{ metrics, sampleEvery: 0.5 }, 'option "sampleEvery"'],
    [{ metrics, sampleRate: 1 }, 'sampleRate'],
  ])('rejects %p with a TypeError naming the package and the option', (options, message) => {
    // Act
    const create = () => containerMetrics(options as never)

    // Assess
    expect(create).toThrow(TypeError)
    expect(create).toThrow('@lambda-lifetime/metrics')
    expect(create).toThrow(message)
  })

  it('accepts every valid combination, and throws a TypeError (never anything else) for the rest', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            invocationsEvery: fc.oneof(fc.constant(false), fc.integer({ min: -2, max: 1000 }), fc.double()),
            sampleFirst: fc.oneof(fc.integer({ min: -2, max: 1000 }), fc.double(), fc.string()),
            sampleEvery: fc.oneof(fc.integer({ min: -2, max: 1000 }), fc.constant(null)),
          },
          { requiredKeys: [] },
        ),
        (options) => {
          const valid =
            (options.invocationsEvery === undefined ||
              options.invocationsEvery === false ||
              (Number.isInteger(options.invocationsEvery) && (options.invocationsEvery as number) >= 1)) &&
            (options.sampleFirst === undefined ||
              (Number.isInteger(options.sampleFirst) && (options.sampleFirst as number) >= 0)) &&
            (options.sampleEvery === undefined ||
              (Number.isInteger(options.sampleEvery) && (options.sampleEvery as number) >= 1))
          let error: unknown
          try {
            containerMetricsValidateOptions({ metrics, ...options })
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
})

describe('containerMetrics misuse', () => {
  beforeEach(() => {
    resetContainer()
    resetWarnings()
  })

  afterEach(() => {
    jest.restoreAllMocks()
  })

  it('warns once, and publishes nothing, without containerLifetime() in the chain', async () => {
    // Prepare
    const documents = captureEmf()
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const handler = middy()
      .use(containerMetrics({ metrics: new Metrics({ namespace: 'shop' }) }))
      .handler(async () => 'ok')

    // Act
    await handler({}, lambdaContext('r1'))
    await handler({}, lambdaContext('r2'))

    // Assess
    expect(emitWarning.mock.calls.map(([message]) => message)).toEqual([
      expect.stringContaining('found no invocation opened by containerLifetime()'),
    ])
    expect(documents).toEqual([])
  })
})

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime, emitLifecycle } from '@lambda-lifetime/container'
import { containerMetrics } from '@lambda-lifetime/metrics'
import middy from '@middy/core'
import fc from 'fast-check'
import { deliverSigterm, lambdaContext, resetContainer } from '../../../test/support/container.js'
import { captureEmf, emfProblems, holding, total } from './emf.js'

type Step = 'success' | 'error' | 'early-return' | 'breaker-inside' | 'breaker-between'

const openBreaker = (): void =>
  emitLifecycle({
    type: 'breaker.open',
    at: Date.now(),
    breaker: 'payments',
    failures: 1,
    successes: 0,
    rejects: 0,
    timeouts: 0,
    source: 'local',
  })

describe('containerMetrics counts, over any sequence of invocations and events', () => {
  afterEach(() => {
    jest.restoreAllMocks()
  })

  it('publishes exact counts whatever the paths, sampling and publication period', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.constantFrom<Step>('success', 'error', 'early-return', 'breaker-inside', 'breaker-between'),
          {
            maxLength: 30,
          },
        ),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.oneof(fc.constant(false as const), fc.integer({ min: 1, max: 7 })),
        async (steps, sampleFirst, sampleEvery, invocationsEvery) => {
          // Prepare: a new runtime
          resetContainer()
          jest.restoreAllMocks()
          const documents = captureEmf()
          const metrics = new Metrics({ namespace: 'shop', serviceName: 'orders' })
          const handler = middy<{ step: Step }>()
            .use(containerLifetime())
            .use(containerMetrics({ metrics, sampleFirst, sampleEvery, invocationsEvery }))
            .use({ before: (request) => (request.event.step === 'early-return' ? 'cached' : undefined) })
            .handler(async (event) => {
              metrics.addMetric('OrderPlaced', MetricUnit.Count, 1)
              if (event.step === 'breaker-inside') openBreaker()
              if (event.step === 'error') throw new Error('declined')
              return 'ok'
            })

          // Act
          let invocations = 0
          for (const [index, step] of steps.entries()) {
            if (step === 'breaker-between') {
              openBreaker()
              continue
            }
            invocations++
            await handler({ step }, lambdaContext(`r${index}`)).catch(() => undefined)
          }
          await deliverSigterm()

          // Assess
          for (const document of documents) expect(emfProblems(document)).toEqual([])
          const sampled = Array.from({ length: invocations }, (_, i) => i + 1).filter(
            (n) => n <= sampleFirst || (n - sampleFirst) % sampleEvery === 0,
          )
          expect(holding(documents, 'ContainerAge').map((document) => document.invocation)).toEqual(sampled)
          expect(total(documents, 'ContainerStart')).toBe(invocations > 0 ? 1 : 0)
          expect(total(documents, 'ContainerInvocations')).toBe(invocations)
          const opened = steps.filter(
            (step) => step === 'breaker-inside' || step === 'breaker-between',
          ).length
          expect(total(documents, 'BreakerOpen')).toBe(opened)
          expect(total(documents, 'OrderPlaced')).toBe(
            steps.filter((step) => step !== 'early-return' && step !== 'breaker-between').length,
          )
        },
      ),
      { numRuns: 60 },
    )
  }, 60_000)
})

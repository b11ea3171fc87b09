import { setTimeout as sleep } from 'node:timers/promises'
import { InvokeStoreBase } from '@aws/lambda-invoke-store'
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime, emitLifecycle, type InvocationView } from '@lambda-lifetime/container'
import { containerMetrics } from '@lambda-lifetime/metrics'
import middy from '@middy/core'
import {
  type InvokeStoreInstance,
  lambdaContext,
  resetContainer,
  startManagedInstancesStore,
} from '../../../test/support/container.js'
import { captureEmf, type EmfDocument, emfProblems, holding, total } from './emf.js'

describe('Managed Instances: 20 invocations interleaved inside the real invoke store', () => {
  let store: InvokeStoreInstance
  let stopStore: () => void
  let documents: EmfDocument[]

  beforeAll(async () => {
    ;({ store, stop: stopStore } = await startManagedInstancesStore())
  })

  afterAll(() => stopStore())

  beforeEach(() => {
    resetContainer()
    documents = captureEmf()
  })

  afterEach(() => {
    jest.restoreAllMocks()
  })

  it('never mixes one invocation’s metrics, properties or counts into another’s documents', async () => {
    // Prepare: each invocation adds its own business metric and property, and opens a breaker
    const metrics = new Metrics({ namespace: 'shop', serviceName: 'orders' })
    const handler = middy<{ index: number }>()
      .use(containerLifetime())
      .use(containerMetrics({ metrics }))
      .handler(async (event, context) => {
        metrics.addMetric('Items', MetricUnit.Count, event.index)
        await sleep((event.index * 7) % 11)
        metrics.addMetadata('order', `order-${event.index}`)
        if (event.index % 4 === 0) {
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
        }
        await sleep(event.index % 3)
        return context.container as InvocationView
      })

    // Act
    const views = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: `req-${index}` }, () =>
          handler({ index }, lambdaContext(`req-${index}`)),
        ),
      ),
    )

    // Assess
    for (const document of documents) expect(emfProblems(document)).toEqual([])
    expect(Math.max(...views.map((view) => view.inFlight))).toBeGreaterThan(1)
    const business = holding(documents, 'Items')
    expect(business).toHaveLength(20)
    for (const document of business) {
      expect(document.Items).toEqual(expect.any(Number)) // one value: never two invocations' metrics
      expect(document.order).toBe(`order-${document.Items}`)
    }
    const ages = holding(documents, 'ContainerAge')
    expect(ages.map((document) => document.invocation).sort((a, b) => Number(a) - Number(b))).toEqual(
      views.map((view) => view.invocation).sort((a, b) => a - b),
    )
    for (const document of ages) expect(document.order).toBeUndefined()
    // Breakers opened by invocations 0, 4, 8, 12, 16: counted once each, on their own invocation.
    expect(total(documents, 'BreakerOpen')).toBe(5)
    const invocationOf = new Map(views.map((view, index) => [view.invocation, index]))
    for (const document of holding(documents, 'BreakerOpen')) {
      expect((invocationOf.get(document.invocation as number) ?? 1) % 4).toBe(0)
    }
    expect(holding(documents, 'ContainerStart')).toEqual([
      expect.objectContaining({ start_type: 'pre-initialized', ContainerStart: 1 }),
    ])
  })
})

/**
 * What one invocation holds must never be read by another: the breaker is the container's, but the
 * handle on `context.breakers` (and the time budget of its store calls) is the invocation's own, in
 * warm invocations one after the other and in concurrent ones under Managed Instances.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { InvokeStoreBase } from '@aws/lambda-invoke-store'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { type Breaker, type BreakerStore, circuitBreaker, type StoreCall } from '@lambda-lifetime/breaker'
import { containerLifetime } from '@lambda-lifetime/container'
import middy from '@middy/core'
import {
  type InvokeStoreInstance,
  lambdaContext,
  resetContainer,
  startManagedInstancesStore,
} from '../../../test/support/container.js'
import { resetBreakers } from './support.js'

beforeEach(() => {
  resetContainer()
  resetBreakers()
})

describe('warm invocations one after the other', () => {
  it('never writes its handle into a breakers object that outlives the invocation', async () => {
    // Prepare: an earlier middleware puts a module-scope object on context.breakers
    const shared: Record<string, unknown> = { other: 'kept' }
    const handler = middy()
      .use(containerLifetime())
      .use({
        before: (request) => {
          ;(request.context as { breakers?: unknown }).breakers = shared
        },
      })
      .use(circuitBreaker({ name: 'dep', action: async () => 'ok' }))
      .handler(async (_event: unknown, context) => ({
        keys: Object.keys(context.breakers).sort(),
        handle: context.breakers.dep,
      }))

    // Act
    const first = await handler({}, lambdaContext('a'))
    const second = await handler({}, lambdaContext('b'))

    // Assess
    expect(shared).toEqual({ other: 'kept' })
    expect(first.keys).toEqual(['dep', 'other'])
    expect(first.handle).not.toBe(second.handle)
    expect((first.handle as Breaker).circuit).toBe((second.handle as Breaker).circuit)
  })
})

describe('Managed Instances: interleaved invocations inside the invoke store', () => {
  let invokeStore: InvokeStoreInstance
  let stopStore: () => void

  beforeAll(async () => {
    ;({ store: invokeStore, stop: stopStore } = await startManagedInstancesStore())
  })

  afterAll(() => stopStore())

  it('bounds each invocation’s store calls by its own remaining time, on one shared breaker', async () => {
    // Prepare: a store that records, per request id, the budget of each read, and answers slowly
    const budgets = new Map<string, number[]>()
    const store: BreakerStore = {
      async get(_name, call?: StoreCall) {
        const id = invokeStore.getRequestId()
        budgets.set(id, [...(budgets.get(id) ?? []), call?.budgetMs ?? -1])
        await sleep(1)
        return null
      },
      compareAndSet: async () => null,
      electProbe: async () => null,
    }
    const handler = middy<{ index: number }>()
      .use(containerLifetime())
      .use(circuitBreaker({ name: 'dep', store, action: async (index: number) => index }))
      .handler(async (event, context) => {
        const first = await context.breakers.dep.fire(event.index)
        await sleep((event.index * 7) % 11)
        const second = await context.breakers.dep.fire(event.index)
        return [first, second]
      })
    const ids = Array.from({ length: 20 }, (_, index) => `req-${index}`)

    // Act: invocation i has 1,000 + 100 i ms left
    const results = await Promise.all(
      ids.map((id, index) =>
        invokeStore.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: id }, () =>
          handler({ index }, lambdaContext(id, 1_000 + 100 * index)),
        ),
      ),
    )

    // Assess: the store is told each invocation's own remaining time, less the 200 ms kept to answer
    expect(results).toEqual(ids.map((_, index) => [index, index]))
    for (const [index, id] of ids.entries()) {
      expect(budgets.get(id)).toEqual([800 + 100 * index, 800 + 100 * index])
    }
  })
})

import { setTimeout as sleep } from 'node:timers/promises'
import { InvokeStoreBase } from '@aws/lambda-invoke-store'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import {
  containerLifetime,
  currentInvocation,
  getContainer,
  type InvocationView,
} from '@lambda-lifetime/container'
import middy from '@middy/core'
import {
  type InvokeStoreInstance,
  lambdaContext,
  resetContainer,
  startManagedInstancesStore,
} from '../../../test/support/container.js'

describe('Managed Instances: interleaved invocations inside the invoke store', () => {
  let store: InvokeStoreInstance

  let stopStore: () => void

  beforeAll(async () => {
    ;({ store, stop: stopStore } = await startManagedInstancesStore())
  })

  afterAll(() => stopStore())

  beforeEach(() => resetContainer())

  it('gives every invocation its own exact number, and currentInvocation() its own view', async () => {
    // Prepare
    const handler = middy<{ delay: number }>()
      .use(containerLifetime())
      .handler(async (event, context) => {
        const seen: Array<InvocationView | undefined> = [currentInvocation()]
        await sleep(event.delay)
        seen.push(currentInvocation())
        await sleep(event.delay % 3)
        seen.push(currentInvocation())
        return { view: context.container, seen, requestId: context.awsRequestId as string }
      })
    const ids = Array.from({ length: 50 }, (_, index) => `req-${index}`)

    // Act
    const results = await Promise.all(
      ids.map((id, index) =>
        store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: id }, () =>
          handler({ delay: (index * 7) % 11 }, lambdaContext(id)),
        ),
      ),
    )

    // Assess
    for (const result of results) {
      expect(result.seen.every((view: InvocationView | undefined) => view === result.view)).toBe(true)
      expect(result.view.requestId).toBe(result.requestId)
    }
    const numbers = results.map((result) => result.view.invocation).sort((a, b) => a - b)
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, index) => index + 1))
    expect(Math.max(...results.map((result) => result.view.inFlight))).toBe(50)
    // Managed Instances take traffic only once initialized: no request ever waited for the init.
    expect(results.filter((result) => result.view.coldStart)).toHaveLength(0)
    expect(results.filter((result) => result.view.startType === 'pre-initialized')).toHaveLength(1)
    expect(getContainer()).toMatchObject({ invocations: 50, inFlight: 0 })
    expect(currentInvocation()).toBeUndefined()
  })
})

describe('currentInvocation without an invoke store', () => {
  beforeEach(() => resetContainer())

  it('is the single running invocation, and undefined outside or when several run', async () => {
    // Prepare
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const handler = middy<{ wait: boolean }>()
      .use(containerLifetime())
      .handler(async (event) => {
        const before = currentInvocation()
        if (event.wait) await gate
        return before
      })

    // Act
    const outside = currentInvocation()
    const alone = await handler({ wait: false }, lambdaContext('a'))
    const pending = handler({ wait: true }, lambdaContext('b'))
    const crowded = await handler({ wait: false }, lambdaContext('c'))
    release()
    const waited = await pending

    // Assess
    expect(outside).toBeUndefined()
    expect(alone?.requestId).toBe('a')
    expect(waited?.requestId).toBe('b')
    expect(crowded).toBeUndefined()
  })
})

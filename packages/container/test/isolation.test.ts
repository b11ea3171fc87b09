/**
 * Nothing of one invocation is readable from another (issue 21, the container's part): the current
 * invocation, `context.container` and the state a reset leaves, sequentially and interleaved under the
 * real invoke store as the runtime client sets it up for Managed Instances.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { InvokeStoreBase } from '@aws/lambda-invoke-store'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import {
  containerLifetime,
  currentInvocation,
  getContainer,
  type InvocationView,
  onLifecycle,
  onShutdown,
  resetContainerState,
} from '@lambda-lifetime/container'
import middy from '@middy/core'
import {
  type InvokeStoreInstance,
  lambdaContext,
  startManagedInstancesStore,
} from '../../../test/support/container.js'

/** A promise and the function that settles it: lets a test hold one invocation open while others run. */
const gate = (): { opened: Promise<void>; open: () => void } => {
  let open: () => void = () => undefined
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

const inStore = <T>(store: InvokeStoreInstance, requestId: string, work: () => Promise<T>): Promise<T> =>
  store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, work)

describe('under the invoke store (Managed Instances)', () => {
  let store: InvokeStoreInstance
  let stopStore: () => void

  beforeAll(async () => {
    ;({ store, stop: stopStore } = await startManagedInstancesStore())
  })

  afterAll(() => stopStore())

  beforeEach(() => resetContainerState())

  it('gives a middleware that runs before containerLifetime no view, not a concurrent invocation’s', async () => {
    // Prepare: invocation "a" stays open while "b" starts; "b" has a middleware ahead of containerLifetime.
    const held = gate()
    const seenAhead: Array<InvocationView | undefined> = []
    const handler = middy<{ hold: boolean }>()
      .use({
        before: () => {
          seenAhead.push(currentInvocation())
        },
      })
      .use(containerLifetime())
      .handler(async (event) => {
        if (event.hold) await held.opened
        return currentInvocation()?.requestId
      })
    const first = inStore(store, 'a', () => handler({ hold: true }, lambdaContext('a')))
    await sleep(1)

    // Act
    const second = await inStore(store, 'b', () => handler({ hold: false }, lambdaContext('b')))
    held.open()
    const firstSeen = await first

    // Assess
    expect(seenAhead).toEqual([undefined, undefined])
    expect(second).toBe('b')
    expect(firstSeen).toBe('a')
  })

  it('gives code outside every invocation no view while one invocation runs', async () => {
    // Prepare
    const held = gate()
    const handler = middy()
      .use(containerLifetime())
      .handler(async () => {
        await held.opened
      })
    const running = inStore(store, 'a', () => handler({}, lambdaContext('a')))
    await sleep(1)

    // Act: a timer set at Init, say, fires outside any store context.
    const outside = await new Promise<InvocationView | undefined>((resolve) => {
      setImmediate(() => resolve(currentInvocation()))
    })
    held.open()
    await running

    // Assess
    expect(getContainer().invocations).toBe(1)
    expect(outside).toBeUndefined()
  })

  it('keeps 20 interleaved invocations apart: each sees only its own view, before and after awaits', async () => {
    // Prepare
    const handler = middy<{ delay: number }>()
      .use(containerLifetime())
      .handler(async (event, context) => {
        const seen = [currentInvocation(), context.container]
        await sleep(event.delay)
        seen.push(currentInvocation(), context.container)
        return { requestId: context.awsRequestId as string, seen }
      })
    const lingering: Array<InvocationView | undefined> = []

    // Act
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        inStore(store, `r${index}`, async () => {
          const result = await handler({ delay: (index * 5) % 7 }, lambdaContext(`r${index}`))
          // Work of this invocation that goes on after it answered belongs to no invocation.
          await sleep(1)
          lingering.push(currentInvocation())
          return result
        }),
      ),
    )

    // Assess
    for (const { requestId, seen } of results) {
      expect(seen.map((view: InvocationView | undefined) => view?.requestId)).toEqual([
        requestId,
        requestId,
        requestId,
        requestId,
      ])
    }
    expect(lingering).toEqual(Array.from({ length: 20 }, () => undefined))
    expect(getContainer()).toMatchObject({ invocations: 20, inFlight: 0 })
  })

  it('gives sequential warm invocations their own view, and none between them', async () => {
    // Prepare
    const handler = middy()
      .use(containerLifetime())
      .handler(async (_event, context) => ({ inside: currentInvocation(), own: context.container }))

    // Act
    const first = await inStore(store, 'one', () => handler({}, lambdaContext('one')))
    const between = inStore(store, 'between', async () => currentInvocation())
    const second = await inStore(store, 'two', () => handler({}, lambdaContext('two')))

    // Assess
    expect(first.inside).toBe(first.own)
    expect(second.inside).toBe(second.own)
    expect([first.own.invocation, second.own.invocation]).toEqual([1, 2])
    expect(await between).toBeUndefined()
  })
})

describe('resetContainerState', () => {
  beforeEach(() => resetContainerState())

  it('starts a new container: new id, numbers from 1, no listeners, no hooks', async () => {
    // Prepare
    const handler = middy()
      .use(containerLifetime())
      .handler(async (_event, context) => context.container)
    const heard: string[] = []
    onLifecycle((event) => heard.push(event.type))
    const before = await handler({}, lambdaContext('a'))
    onShutdown(() => undefined)

    // Act
    resetContainerState()
    const after = await handler({}, lambdaContext('b'))

    // Assess
    expect(after.containerId).not.toBe(before.containerId)
    expect(after.invocation).toBe(1)
    expect(after.coldStart).toBe(true)
    expect(heard).toEqual(['container.start', 'invocation.start', 'invocation.end'])
  })

  it('removes the SIGTERM listener this package installed and no other', () => {
    // Prepare
    const others = process.listeners('SIGTERM')
    const someoneElses = (): void => undefined
    process.on('SIGTERM', someoneElses)
    onShutdown(() => undefined)
    const installed = process.listeners('SIGTERM').filter((listener) => !others.includes(listener))

    // Act
    resetContainerState()
    const left = process.listeners('SIGTERM')
    process.removeListener('SIGTERM', someoneElses)

    // Assess
    expect(installed).toHaveLength(2)
    expect(left).toEqual([...others, someoneElses])
  })

  it('lets an invocation that began before the reset end against the state it began with', async () => {
    // Prepare
    const held = gate()
    const handler = middy()
      .use(containerLifetime())
      .handler(async () => {
        await held.opened
      })
    const running = handler({}, lambdaContext('a'))
    await sleep(1)

    // Act
    resetContainerState()
    held.open()
    await running

    // Assess
    expect(getContainer()).toMatchObject({ containerId: null, invocations: 0, inFlight: 0 })
  })
})

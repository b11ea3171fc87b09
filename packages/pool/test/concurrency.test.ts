/**
 * Managed Instances: many invocations at once in one runtime, inside the real invoke store. What one
 * invocation holds (its lease, the resource on its context, its remaining time) must never decide what
 * another one sees.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { InvokeStoreBase } from '@aws/lambda-invoke-store'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { containerLifetime } from '@lambda-lifetime/container'
import { getPoolStats, retryIdempotent, warmPool } from '@lambda-lifetime/pool'
import middy from '@middy/core'
import {
  type InvokeStoreInstance,
  lambdaContext,
  startManagedInstancesStore,
} from '../../../test/support/container.js'
import { connectionReset, deferred, resetPools } from './support.js'

interface Resource {
  readonly id: number
  disposals: number
}

describe('Managed Instances: interleaved invocations inside the invoke store', () => {
  let store: InvokeStoreInstance
  let stopStore: () => void

  beforeAll(async () => {
    ;({ store, stop: stopStore } = await startManagedInstancesStore())
  })

  afterAll(() => stopStore())

  beforeEach(() => resetPools())

  const inStore = <T>(id: string, run: () => Promise<T>): Promise<T> =>
    store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: id }, run)

  it('keeps each invocation on the resource it was handed, even when another one swaps its own', async () => {
    // Prepare
    const made: Resource[] = []
    const handler = middy<{ index: number }>()
      .use(containerLifetime())
      .use(
        warmPool({
          name: 'db',
          create: async () => {
            const resource = { id: made.length + 1, disposals: 0 }
            made.push(resource)
            return resource
          },
          dispose: (resource) => {
            resource.disposals++
          },
        }),
      )
      .handler(async (event, context) => {
        const seen = [context.db.id]
        await sleep((event.index * 7) % 11)
        const used = await retryIdempotent(context, 'db', async (db) => {
          // Invocation 5 meets a dead connection on its first try and swaps in a new resource.
          if (event.index === 5 && db.id === 1) throw connectionReset()
          return db.id
        })
        seen.push(context.db.id)
        await sleep(event.index % 3)
        seen.push(context.db.id)
        return { seen, used }
      })

    // Act
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        inStore(`req-${index}`, () => handler({ index }, lambdaContext(`req-${index}`))),
      ),
    )

    // The replaced resource is disposed in the background once its last holder let go.
    for (let turn = 0; turn < 100 && getPoolStats().db?.disposed === 0; turn++) await sleep(1)

    // Assess
    expect(results[5]).toEqual({ seen: [1, 2, 2], used: 2 })
    const others = results.filter((_, index) => index !== 5)
    for (const result of others) {
      // Handed 1 or 2 at the start, and kept it: no other invocation's swap reached its context.
      expect(new Set(result.seen).size).toBe(1)
      expect(result.used).toBe(result.seen[0])
    }
    expect(others.some((result) => result.seen[0] === 1)).toBe(true)
    expect(getPoolStats().db).toMatchObject({ inUse: 0, created: 2, recreated: 1, disposed: 1 })
    expect(made.map((resource) => resource.disposals)).toEqual([1, 0])
  })

  it('does not fail invocations with time left when the one that started the create runs out', async () => {
    // Prepare
    const slow = deferred<Resource>()
    const handler = middy()
      .use(containerLifetime())
      .use(warmPool({ name: 'db', create: () => slow.promise }))
      .handler(async (_event: unknown, context) => context.db.id)

    // Act: the first invocation has 300 ms left, the other 19 a minute
    const first = inStore('short', () => handler({}, lambdaContext('short', 300))).catch((e: Error) => e)
    const rest = Array.from({ length: 19 }, (_, index) =>
      inStore(`long-${index}`, () => handler({}, lambdaContext(`long-${index}`, 60_000))),
    )
    const firstOutcome = await first
    slow.resolve({ id: 9, disposals: 0 })
    const answers = await Promise.all(rest)

    // Assess
    expect(firstOutcome).toMatchObject({ name: 'PoolTimeoutError' })
    expect(answers).toEqual(Array(19).fill(9))
    expect(getPoolStats().db).toMatchObject({ created: 1, failures: 0, inUse: 0 })
  })
})

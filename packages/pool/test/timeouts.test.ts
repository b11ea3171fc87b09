/**
 * Nothing the resource does can hang an invocation: a create that never settles ends in a
 * PoolTimeoutError within the invocation's remaining time, and a dispose that hangs runs off the
 * request path (shutdown still waits for it, within its budget).
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { TIMED_OUT, withinMs } from '@lambda-lifetime/commons'
import { containerLifetime } from '@lambda-lifetime/container'
import { getPoolStats, PoolTimeoutError, warmPool } from '@lambda-lifetime/pool'
import middy from '@middy/core'
import { deliverSigterm, lambdaContext } from '../../../test/support/container.js'
import { connectionReset, deferred, resetPools } from './support.js'

interface Resource {
  readonly id: number
}

/** Generous: each case ends in a few hundred ms once fixed, and would hang without the fix. */
const BOUND_MS = 5_000

let warnings: string[]

beforeEach(() => {
  resetPools()
  warnings = []
  jest.spyOn(process, 'emitWarning').mockImplementation(((message: string) => {
    warnings.push(message)
  }) as typeof process.emitWarning)
})

afterEach(() => {
  jest.restoreAllMocks()
})

const handlerWith = (
  options: Parameters<typeof warmPool<'db', Resource>>[0],
  body: (event: string, context: { db: Resource }) => Promise<unknown> = async (_event, context) =>
    context.db.id,
) => middy<string>().use(containerLifetime()).use(warmPool(options)).handler(body)

const rejectionOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )

describe('a create that never settles', () => {
  it('fails the invocation with a PoolTimeoutError within its remaining time, less 100 ms to answer', async () => {
    // Prepare
    const create = jest.fn(() => new Promise<Resource>(() => undefined))
    const handler = handlerWith({ name: 'db', create })

    // Act
    const error = await withinMs(() => rejectionOf(handler('a', lambdaContext('a', 300))), BOUND_MS)

    // Assess
    expect(error).toBeInstanceOf(PoolTimeoutError)
    expect(error).toMatchObject({
      name: 'PoolTimeoutError',
      resource: 'db',
      timeoutMs: 200,
      message: '@lambda-lifetime/pool: create of "db" timed out after 200 ms',
      cause: { package: '@lambda-lifetime/pool' },
    })
    expect(getPoolStats().db).toMatchObject({ created: 0, failures: 1 })
  })

  it('is bounded by createTimeoutMs when the invocation has more time', async () => {
    // Prepare
    const handler = handlerWith({
      name: 'db',
      create: () => new Promise(() => undefined),
      createTimeoutMs: 50,
    })

    // Act
    const error = await withinMs(() => rejectionOf(handler('a', lambdaContext('a', 60_000))), BOUND_MS)

    // Assess
    expect(error).toMatchObject({ name: 'PoolTimeoutError', timeoutMs: 50 })
  })

  it('fails every invocation sharing it, then disposes the resource that arrives late', async () => {
    // Prepare
    const late = deferred<Resource>()
    const disposed = deferred<Resource>()
    const create = jest
      .fn<() => Promise<Resource>>()
      .mockReturnValueOnce(late.promise)
      .mockResolvedValue({ id: 2 })
    const handler = handlerWith({
      name: 'db',
      create,
      dispose: async (resource) => disposed.resolve(resource),
    })

    // Act
    const errors = await withinMs(
      () => Promise.all([1, 2, 3, 4, 5].map((n) => rejectionOf(handler('a', lambdaContext(`r${n}`, 300))))),
      BOUND_MS,
    )
    // Each invocation gives up at its own deadline; the shared create times out at the latest of them, which
    // on a loaded machine can be after the last invocation failed. Only a create that timed out is late.
    await withinMs(async () => {
      while ((getPoolStats().db?.failures ?? 0) === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    }, BOUND_MS)
    late.resolve({ id: 1 })
    const disposedLate = await withinMs(() => disposed.promise, BOUND_MS)
    const next = await handler('b', lambdaContext('next'))

    // Assess
    expect(errors).toHaveLength(5)
    for (const error of errors as unknown[]) expect(error).toBeInstanceOf(PoolTimeoutError)
    expect(disposedLate).toEqual({ id: 1 })
    expect(next).toBe(2)
    expect(create).toHaveBeenCalledTimes(2)
    expect(getPoolStats().db).toMatchObject({ created: 1, failures: 1, disposed: 0 })
    expect(warnings).toContain(
      '@lambda-lifetime/pool: create of "db" finished after its timeout; disposed it',
    )
  })

  it('ignores a create that fails after its timeout, and reports a late resource it could not dispose', async () => {
    // Prepare
    const arrivesLate = deferred<Resource>()
    let rejectLate: (error: Error) => void = () => undefined
    const rejecting = new Promise<Resource>((_, reject) => {
      rejectLate = reject
    })
    const create = jest
      .fn<() => Promise<Resource>>()
      .mockReturnValueOnce(rejecting)
      .mockReturnValueOnce(arrivesLate.promise)
    const handler = handlerWith({
      name: 'db',
      create,
      dispose: () => {
        throw new Error('already closed')
      },
    })
    await rejectionOf(handler('a', lambdaContext('a', 300)))

    // Act
    rejectLate(new Error('connect ECONNREFUSED'))
    await rejectionOf(handler('b', lambdaContext('b', 300)))
    arrivesLate.resolve({ id: 2 })
    const reported = await withinMs(async () => {
      while (!warnings.some((warning) => warning.includes('finished after its timeout'))) {
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    }, BOUND_MS)

    // Assess
    expect(reported).not.toBe(TIMED_OUT)
    expect(getPoolStats().db).toMatchObject({ created: 0, failures: 2 })
    expect(warnings).toContain(
      '@lambda-lifetime/pool: create of "db" finished after its timeout; could not dispose it: dispose failed: Error: already closed',
    )
  })

  it('keeps a create running for an invocation with more time, while one with less gives up', async () => {
    // Prepare
    const slow = deferred<Resource>()
    const create = jest.fn(() => slow.promise)
    const handler = handlerWith({ name: 'db', create })

    // Act
    const short = rejectionOf(handler('a', lambdaContext('short', 300)))
    const long = handler('b', lambdaContext('long', 60_000))
    const shortError = await withinMs(() => short, BOUND_MS)
    slow.resolve({ id: 7 })
    const longAnswer = await withinMs(() => long, BOUND_MS)

    // Assess
    expect(shortError).toMatchObject({
      name: 'PoolTimeoutError',
      message:
        '@lambda-lifetime/pool: "db" was not ready within the 200 ms this invocation had left (its create or validation is still running)',
    })
    expect(longAnswer).toBe(7)
    expect(create).toHaveBeenCalledTimes(1)
    expect(getPoolStats().db).toMatchObject({ created: 1, failures: 0, inUse: 0 })
  })
})

describe('a dispose that hangs', () => {
  it('does not delay the invocation that replaces the resource; shutdown still waits for it', async () => {
    // Prepare
    const stuck = deferred<void>()
    const disposals: number[] = []
    let made = 0
    const handler = handlerWith(
      {
        name: 'db',
        create: async () => ({ id: ++made }),
        dispose: (resource) => {
          disposals.push(resource.id)
          return resource.id === 1 ? stuck.promise : undefined
        },
        disposeTimeoutMs: 60_000,
      },
      async (event, context) => {
        if (event === 'break') throw connectionReset()
        return context.db.id
      },
    )
    await handler('ok', lambdaContext('first'))
    await handler('break', lambdaContext('break')).catch(() => undefined)

    // Act
    const replaced = await withinMs(() => handler('ok', lambdaContext('replaced')), BOUND_MS)
    const disposedBeforeShutdown = getPoolStats().db?.disposed
    const shutdown = deliverSigterm()
    stuck.resolve()
    const reports = await shutdown

    // Assess
    expect(replaced).toBe(2)
    expect(disposedBeforeShutdown).toBe(0)
    expect(disposals).toEqual([1, 2])
    expect(reports).toEqual([expect.objectContaining({ name: '@lambda-lifetime/pool', status: 'ok' })])
    expect(getPoolStats().db).toMatchObject({ disposed: 2, failures: 1 })
  })

  it('gives up a hanging dispose after disposeTimeoutMs, in the background', async () => {
    // Prepare
    let made = 0
    const handler = handlerWith(
      {
        name: 'db',
        create: async () => ({ id: ++made }),
        dispose: () => new Promise(() => undefined),
        disposeTimeoutMs: 20,
      },
      async (event, context) => {
        if (event === 'break') throw connectionReset()
        return context.db.id
      },
    )
    await handler('ok', lambdaContext('first'))
    await handler('break', lambdaContext('break')).catch(() => undefined)

    // Act
    const replaced = await handler('ok', lambdaContext('replaced'))
    const timedOut = await withinMs(async () => {
      while (getPoolStats().db?.disposed !== 1) await new Promise((resolve) => setTimeout(resolve, 5))
    }, BOUND_MS)

    // Assess
    expect(replaced).toBe(2)
    expect(timedOut).not.toBe(TIMED_OUT)
    expect(warnings).toContain('@lambda-lifetime/pool: "db" dispose timed out after 20 ms')
  })
})

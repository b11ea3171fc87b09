import { EventEmitter } from 'node:events'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime, type LifecycleEvent, onLifecycle } from '@lambda-lifetime/container'
import { getPoolStats, retryIdempotent, type WarmPoolOptions, warmPool } from '@lambda-lifetime/pool'
import middy from '@middy/core'
import { deliverSigterm, lambdaContext } from '../../../test/support/container.js'
import { connectionReset, deferred, resetPools, useFakeClock } from './support.js'

interface Resource {
  readonly id: number
  disposed: boolean
}

/** A factory of numbered resources that records what happened to them. */
const resources = () => {
  const made: Resource[] = []
  const create = jest.fn(async (): Promise<Resource> => {
    const resource = { id: made.length + 1, disposed: false }
    made.push(resource)
    return resource
  })
  const dispose = jest.fn(async (resource: Resource) => {
    resource.disposed = true
  })
  return { made, create, dispose }
}

type Handler = (event: unknown, context: { db: Resource }) => Promise<unknown>

const handlerWith = (options: WarmPoolOptions<'db', Resource>, body?: Handler) =>
  middy()
    .use(containerLifetime())
    .use(warmPool(options))
    .handler(body ?? (async (_event, context) => context.db.id))

const poolEvents = (): LifecycleEvent[] => {
  const seen: LifecycleEvent[] = []
  onLifecycle((event) => {
    if (event.type.startsWith('pool.')) seen.push(event)
  })
  return seen
}

let requests = 0
const invoke = (handler: (event: never, context: never) => Promise<unknown>) =>
  handler({} as never, lambdaContext(`request-${++requests}`) as never)

beforeEach(() => {
  resetPools()
})

afterEach(() => {
  jest.useRealTimers()
})

describe('warmPool: one resource per container', () => {
  it('creates the resource once and hands it to every invocation on context[name]', async () => {
    // Prepare
    const { create } = resources()
    const events = poolEvents()
    const handler = handlerWith({ name: 'db', create })

    // Act
    const ids = []
    for (let index = 0; index < 20; index++) ids.push(await invoke(handler))

    // Assess
    expect(ids).toEqual(Array(20).fill(1))
    expect(create).toHaveBeenCalledTimes(1)
    expect(getPoolStats().db).toMatchObject({ name: 'db', created: 1, reused: 19, recreated: 0, inUse: 0 })
    expect(events).toEqual([
      expect.objectContaining({
        type: 'pool.create',
        resource: 'db',
        reason: 'initial',
        created: 1,
        reused: 0,
        recreated: 0,
        failures: 0,
      }),
    ])
  })

  it('makes one creation for 50 interleaved first invocations', async () => {
    // Prepare
    const gate = deferred<Resource>()
    const create = jest.fn(() => gate.promise)
    const handler = handlerWith({ name: 'db', create })

    // Act
    const running = Array.from({ length: 50 }, () => invoke(handler))
    await new Promise((resolve) => setImmediate(resolve))
    gate.resolve({ id: 7, disposed: false })
    const ids = await Promise.all(running)

    // Assess
    expect(create).toHaveBeenCalledTimes(1)
    expect(new Set(ids)).toEqual(new Set([7]))
    expect(getPoolStats().db).toMatchObject({ created: 1, reused: 49, inUse: 0 })
  })

  it('shares the resource of a name between two middlewares registering it with the same options', async () => {
    // Prepare
    const { create } = resources()
    const handlerA = handlerWith({ name: 'db', create, validateTimeoutMs: 500 })
    const handlerB = handlerWith({ name: 'db', create, validateTimeoutMs: 500 })

    // Act
    const ids = [await invoke(handlerA), await invoke(handlerB)]

    // Assess
    expect(ids).toEqual([1, 1])
    expect(create).toHaveBeenCalledTimes(1)
  })

  it('refuses a second registration of a name with other options, naming both values', () => {
    // Prepare
    const first = resources()
    const second = resources()
    warmPool({ name: 'db', create: first.create, validateTimeoutMs: 500 })

    // Act
    const again = () => warmPool({ name: 'db', create: second.create, validateTimeoutMs: 2_000 })
    const sameDefaults = () =>
      warmPool({ name: 'db', create: first.create, validateTimeoutMs: 500, prefetch: false })

    // Assess
    expect(again).toThrow(TypeError)
    expect(again).toThrow(
      '@lambda-lifetime/pool: warmPool "db" is already registered in this runtime with other options: ' +
        'create (function mockConstructor, then another function mockConstructor), validateTimeoutMs (500, then 2000)',
    )
    expect(sameDefaults).not.toThrow()
  })

  it('holds one lease when the middleware is used twice in one chain', async () => {
    // Prepare
    const { create } = resources()
    const middleware = warmPool({ name: 'db', create })
    const handler = middy()
      .use(containerLifetime())
      .use(middleware)
      .use(middleware)
      .handler(async () => getPoolStats().db?.inUse)

    // Act
    const inUse = await invoke(handler)

    // Assess
    expect(inUse).toBe(1)
    expect(getPoolStats().db?.inUse).toBe(0)
  })

  it('fails the invocations waiting on a failed creation, and creates again at the next one', async () => {
    // Prepare
    const create = jest
      .fn<() => Promise<Resource>>()
      .mockRejectedValueOnce(new Error('database is starting up'))
      .mockResolvedValue({ id: 2, disposed: false })
    const handler = handlerWith({ name: 'db', create })

    // Act
    const outcomes = await Promise.allSettled([invoke(handler), invoke(handler)])
    const next = await invoke(handler)

    // Assess
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected'])
    expect(next).toBe(2)
    expect(create).toHaveBeenCalledTimes(2)
    expect(getPoolStats().db).toMatchObject({ created: 1, failures: 1 })
  })

  it('creates the resource during init with prefetch', async () => {
    // Prepare
    const { create } = resources()

    // Act
    const handler = handlerWith({ name: 'db', create, prefetch: true })
    const createdBeforeInvocation = create.mock.calls.length
    const id = await invoke(handler)

    // Assess
    expect(createdBeforeInvocation).toBe(1)
    expect(id).toBe(1)
    expect(getPoolStats().db).toMatchObject({ created: 1, reused: 0 })
  })

  it('reports a failed prefetch as a warning and creates at the first invocation', async () => {
    // Prepare
    const warning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const create = jest
      .fn<() => Promise<Resource>>()
      .mockRejectedValueOnce(new Error('no route to database'))
      .mockResolvedValue({ id: 3, disposed: false })

    // Act
    const handler = handlerWith({ name: 'db', create, prefetch: true })
    await new Promise((resolve) => setImmediate(resolve))
    const id = await invoke(handler)

    // Assess
    expect(id).toBe(3)
    expect(warning).toHaveBeenCalledWith(
      expect.stringContaining('prefetch of "db" failed'),
      expect.anything(),
    )
    warning.mockRestore()
  })
})

describe('warmPool: validation after an idle gap', () => {
  it('validates only after validateAfterIdleMs and keeps a resource that passes', async () => {
    // Prepare
    const advance = useFakeClock()
    const { create } = resources()
    const validate = jest.fn(async () => true)
    const handler = handlerWith({ name: 'db', create, validate, validateAfterIdleMs: 60_000 })
    await invoke(handler)

    // Act
    advance(59_000)
    await invoke(handler)
    const validationsBeforeThreshold = validate.mock.calls.length
    advance(61_000)
    const id = await invoke(handler)

    // Assess
    expect(validationsBeforeThreshold).toBe(0)
    expect(validate).toHaveBeenCalledTimes(1)
    expect(id).toBe(1)
    expect(getPoolStats().db).toMatchObject({ validated: 1, recreated: 0, failures: 0 })
  })

  it.each([
    ['throws', () => Promise.reject(new Error('Connection terminated unexpectedly'))],
    ['returns false', () => false],
    ['outlasts validateTimeoutMs', () => new Promise((resolve) => setTimeout(resolve, 5_000).unref())],
  ])('disposes and replaces a resource whose validation %s, before the handler runs', async (_, validate) => {
    // Prepare
    const advance = useFakeClock()
    const { create, dispose, made } = resources()
    const events = poolEvents()
    const handler = handlerWith({ name: 'db', create, validate, dispose, validateTimeoutMs: 20 })
    await invoke(handler)

    // Act
    advance(120_000)
    const id = await invoke(handler)

    // Assess
    expect(id).toBe(2)
    expect(made[0]?.disposed).toBe(true)
    expect(getPoolStats().db).toMatchObject({
      created: 2,
      validated: 1,
      recreated: 1,
      disposed: 1,
      failures: 1,
    })
    // The disposal runs off the request path, so it may end before or after the replacement's create.
    expect(events.map((event) => [event.type, 'reason' in event && event.reason]).sort()).toEqual([
      ['pool.create', 'initial'],
      ['pool.dispose', 'validation-failed'],
      ['pool.recreate', 'validation-failed'],
    ])
  })

  it('validates once for concurrent invocations after an idle gap', async () => {
    // Prepare
    const advance = useFakeClock()
    const { create } = resources()
    const validate = jest.fn(() => new Promise((resolve) => setTimeout(resolve, 5, true)))
    const handler = handlerWith({ name: 'db', create, validate })
    await invoke(handler)
    advance(120_000)

    // Act
    const ids = await Promise.all(Array.from({ length: 10 }, () => invoke(handler)))

    // Assess
    expect(validate).toHaveBeenCalledTimes(1)
    expect(new Set(ids)).toEqual(new Set([1]))
  })

  it('replaces a resource older than maxAgeMs and disposes the old one', async () => {
    // Prepare
    const advance = useFakeClock()
    const { create, dispose, made } = resources()
    const events = poolEvents()
    const handler = handlerWith({ name: 'db', create, dispose, maxAgeMs: 15 * 60_000 })
    await invoke(handler)

    // Act
    advance(10 * 60_000)
    const before = await invoke(handler)
    advance(6 * 60_000)
    const after = await invoke(handler)

    // Assess
    expect([before, after]).toEqual([1, 2])
    expect(made[0]?.disposed).toBe(true)
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'pool.recreate', reason: 'max-age', recreated: 1 }),
    )
    expect(events).toContainEqual(expect.objectContaining({ type: 'pool.dispose', reason: 'max-age' }))
  })
})

describe('warmPool: broken resources', () => {
  it('marks the resource broken on a connection-level error, fails only that invocation, no retry', async () => {
    // Prepare
    const { create, dispose, made } = resources()
    let calls = 0
    const handler = handlerWith({ name: 'db', create, dispose }, async (_event, context) => {
      calls++
      if (calls === 2) throw connectionReset()
      return context.db.id
    })
    await invoke(handler)

    // Act
    const failed = await invoke(handler).catch((error: Error) => error)
    const next = await invoke(handler)

    // Assess
    expect(failed).toMatchObject({ code: 'ECONNRESET' })
    expect(calls).toBe(3)
    expect(next).toBe(2)
    expect(made[0]?.disposed).toBe(true)
    expect(getPoolStats().db).toMatchObject({ created: 2, recreated: 1, failures: 1 })
  })

  it('keeps the resource after an error that is not connection-level', async () => {
    // Prepare
    const { create } = resources()
    let calls = 0
    const handler = handlerWith({ name: 'db', create }, async (_event, context) => {
      if (++calls === 1) throw Object.assign(new Error('duplicate key'), { code: '23505' })
      return context.db.id
    })

    // Act
    await invoke(handler).catch(() => undefined)
    const next = await invoke(handler)

    // Assess
    expect(next).toBe(1)
    expect(getPoolStats().db).toMatchObject({ created: 1, failures: 0, broken: false })
  })

  it('uses a custom classifier, and treats one that throws as "not broken"', async () => {
    // Prepare
    const { create } = resources()
    const isBroken = jest.fn((error: unknown) => {
      if ((error as Error).message === 'weird') throw new Error('classifier bug')
      return (error as Error).message === 'PROTOCOL_CONNECTION_LOST'
    })
    const handler = handlerWith({ name: 'db', create, isBroken }, async (event) => {
      throw new Error(event as string)
    })

    // Act
    await handler('weird', lambdaContext('classify-1')).catch(() => undefined)
    const afterWeird = getPoolStats().db?.broken
    await handler('PROTOCOL_CONNECTION_LOST', lambdaContext('classify-2')).catch(() => undefined)

    // Assess
    expect(afterWeird).toBe(false)
    expect(getPoolStats().db?.broken).toBe(true)
  })

  it("listens for the resource's own 'error' events and replaces it before the next handler", async () => {
    // Prepare
    const made: (EventEmitter & { id: number })[] = []
    const create = () => {
      const emitter = Object.assign(new EventEmitter(), { id: made.length + 1 })
      made.push(emitter)
      return emitter
    }
    const dispose = jest.fn()
    const handler = middy()
      .use(containerLifetime())
      .use(warmPool({ name: 'db', create, dispose }))
      .handler(async (_event, context) => context.db.id)
    await invoke(handler)

    // Act
    made[0]?.emit('error', Object.assign(new Error('terminating connection'), { code: '57P01' }))
    const next = await invoke(handler)
    made[0]?.emit('error', new Error('late error of a disposed pool'))

    // Assess
    expect(next).toBe(2)
    expect(dispose).toHaveBeenCalledWith(made[0])
    expect(getPoolStats().db).toMatchObject({ recreated: 1, failures: 1 })
  })

  it('leaves the error events alone with watchErrorEvents: false', async () => {
    // Prepare
    const emitter = new EventEmitter()
    const handler = middy()
      .use(containerLifetime())
      .use(warmPool({ name: 'db', create: () => emitter, watchErrorEvents: false }))
      .handler(async () => 'ok')

    // Act
    await invoke(handler)

    // Assess
    expect(emitter.listenerCount('error')).toBe(0)
  })

  it('disposes a replaced resource only once the invocations holding it let it go', async () => {
    // Prepare
    const { create, dispose, made } = resources()
    const slow = deferred<void>()
    const handler = handlerWith({ name: 'db', create, dispose }, async (event, context) => {
      if (event === 'slow') await slow.promise
      if (event === 'break') throw connectionReset()
      return context.db.id
    })
    await invoke(handler)
    const holding = handler('slow', lambdaContext('slow'))
    await new Promise((resolve) => setImmediate(resolve))

    // Act
    await handler('break', lambdaContext('break')).catch(() => undefined)
    const next = await invoke(handler)
    const disposedWhileHeld = made[0]?.disposed
    slow.resolve()
    await holding
    await new Promise((resolve) => setImmediate(resolve))

    // Assess
    expect(next).toBe(2)
    expect(disposedWhileHeld).toBe(false)
    expect(made[0]?.disposed).toBe(true)
  })

  it('releases the resource of an invocation that a later middleware ends early', async () => {
    // Prepare
    const advance = useFakeClock()
    const { create } = resources()
    const validate = jest.fn(() => true)
    const handler = middy()
      .use(containerLifetime())
      .use(warmPool({ name: 'db', create, validate }))
      .use({ before: (request) => (request.event === 'warmup' ? 'warm' : undefined) })
      .handler(async () => 'handled')

    // Act
    const early = await handler('warmup', lambdaContext('warmup'))
    const inUse = getPoolStats().db?.inUse
    advance(120_000)
    await invoke(handler)

    // Assess
    expect(early).toBe('warm')
    expect(inUse).toBe(0)
    expect(validate).toHaveBeenCalledTimes(1)
  })
})

describe('warmPool: edges', () => {
  it('reports a registered resource before its first use, and prefetches it only once', async () => {
    // Prepare
    const { create } = resources()
    warmPool({ name: 'db', create, prefetch: true })

    // Act
    warmPool({ name: 'db', create, prefetch: true })
    const stats = getPoolStats().db
    await new Promise((resolve) => setImmediate(resolve))

    // Assess
    expect(stats).toMatchObject({ created: 0, ageMs: null, idleMs: null, broken: false, inUse: 0 })
    expect(create).toHaveBeenCalledTimes(1)
    expect(getPoolStats().db).toMatchObject({ created: 1, idleMs: expect.any(Number) })
  })

  it('ignores after/onError for a request whose before phase never ran', () => {
    // Prepare
    const middleware = warmPool({ name: 'db', create: () => 1 })
    const request = { event: {}, context: {}, response: null, error: new Error('x'), internal: {} }

    // Act
    const phases = () => {
      middleware.after?.(request as never)
      middleware.onError?.(request as never)
    }

    // Assess
    expect(phases).not.toThrow()
    expect(getPoolStats().db?.failures).toBe(0)
  })
})

describe('retryIdempotent', () => {
  it('runs the operation again on a fresh resource after a connection-level error', async () => {
    // Prepare
    const { create, dispose, made } = resources()
    const handler = handlerWith({ name: 'db', create, dispose }, async (_event, context) => {
      const seen: number[] = []
      const result = await retryIdempotent(context, 'db', async (db) => {
        seen.push(db.id)
        if (db.id === 1) throw connectionReset()
        return db.id
      })
      return { result, seen, onContext: context.db.id }
    })

    // Act
    const outcome = await invoke(handler)

    // Assess
    expect(outcome).toEqual({ result: 2, seen: [1, 2], onContext: 2 })
    expect(made[0]?.disposed).toBe(true)
    expect(getPoolStats().db).toMatchObject({ recreated: 1, inUse: 0 })
  })

  it('throws other errors at once, and stops after `retries`', async () => {
    // Prepare
    const { create } = resources()
    const other = jest.fn(async () => {
      throw new Error('syntax error')
    })
    const reset = jest.fn(async () => {
      throw connectionReset()
    })
    const handler = handlerWith({ name: 'db', create }, async (event, context) =>
      event === 'other'
        ? retryIdempotent(context, 'db', other)
        : retryIdempotent(context, 'db', reset, { retries: 2 }),
    )

    // Act
    const otherError = await handler('other', lambdaContext('r1')).catch((error: Error) => error.message)
    const resetError = await handler('reset', lambdaContext('r2')).catch((error: Error) => error.message)

    // Assess
    expect(otherError).toBe('syntax error')
    expect(other).toHaveBeenCalledTimes(1)
    expect(resetError).toBe('read ECONNRESET')
    expect(reset).toHaveBeenCalledTimes(3)
  })

  it('rejects a bad retries option and a context that holds no such resource', async () => {
    // Prepare
    const context = { db: 1 }

    // Act
    const badRetries = retryIdempotent(context, 'db', () => 1, { retries: -1 })
    const noLease = retryIdempotent(context, 'db', () => 1)

    // Assess
    await expect(badRetries).rejects.toThrow('option "retries" must be an integer >= 0')
    await expect(noLease).rejects.toThrow('no warm resource "db" is held by this invocation')
  })
})

describe('warmPool: shutdown', () => {
  it('disposes every resource in parallel; a hanging or failing dispose does not block the others', async () => {
    // Prepare
    const warning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const disposed: string[] = []
    const events = poolEvents()
    const handler = middy()
      .use(containerLifetime())
      .use(
        warmPool({
          name: 'hangs',
          create: () => 'h',
          dispose: () => new Promise(() => undefined),
          disposeTimeoutMs: 600, // longer than the shutdown budget (400 ms): the container gives up first
        }),
      )
      .use(
        warmPool({
          name: 'throws',
          create: () => 't',
          dispose: () => {
            throw new Error('already closed')
          },
        }),
      )
      .use(warmPool({ name: 'db', create: () => 'd', dispose: async () => void disposed.push('db') }))
      .use(warmPool({ name: 'cache', create: () => 'c', dispose: async () => void disposed.push('cache') }))
      .use(warmPool({ name: 'unused', create: () => 'u' }))
      .handler(async () => 'ok')
    await invoke(handler)

    // Act
    const reports = await deliverSigterm()

    // Assess
    expect(disposed.sort()).toEqual(['cache', 'db'])
    expect(reports).toEqual([expect.objectContaining({ name: '@lambda-lifetime/pool', status: 'timeout' })])
    const disposals = events.filter((event) => event.type === 'pool.dispose')
    expect(disposals.map((event) => ('resource' in event ? event.resource : '')).sort()).toEqual([
      'cache',
      'db',
      'throws',
      'unused',
    ])
    expect(getPoolStats().throws).toMatchObject({ disposed: 1, failures: 1 })
    warning.mockRestore()
  })

  it('gives a hanging dispose up after disposeTimeoutMs, counting a failure', async () => {
    // Prepare
    const warning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const handler = middy()
      .use(containerLifetime())
      .use(
        warmPool({
          name: 'hangs',
          create: () => 'h',
          dispose: () => new Promise(() => undefined),
          disposeTimeoutMs: 20,
        }),
      )
      .handler(async () => 'ok')
    await invoke(handler)

    // Act
    const reports = await deliverSigterm()

    // Assess
    expect(reports).toEqual([expect.objectContaining({ status: 'ok' })])
    expect(getPoolStats().hangs).toMatchObject({ disposed: 1, failures: 1 })
    expect(warning).toHaveBeenCalledWith(
      expect.stringContaining('dispose timed out after 20 ms'),
      expect.anything(),
    )
    warning.mockRestore()
  })
})

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  containerLifetime,
  containerLifetimeValidateOptions,
  getContainer,
  type InvocationEndEvent,
  type InvocationView,
  type LifecycleEvent,
  onLifecycle,
} from '@lambda-lifetime/container'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import warmup from '@middy/warmup'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'

const REAL_STREAM = '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef'

const collect = () => {
  const events: LifecycleEvent[] = []
  const unsubscribe = onLifecycle((event) => events.push(event))
  return {
    events,
    unsubscribe,
    ends: () => events.filter((e): e is InvocationEndEvent => e.type === 'invocation.end'),
  }
}

const viewHandler = () =>
  middy()
    .use(containerLifetime())
    .handler(async (_event: unknown, context) => context.container)

describe('containerLifetime: identity and counts', () => {
  beforeEach(() => {
    resetContainer()
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE
    delete process.env.AWS_LAMBDA_LOG_STREAM_NAME
  })

  it('mints the container id on the first invocation, not before, and keeps it across warm invocations', async () => {
    // Prepare
    const handler = viewHandler()
    expect(getContainer().containerId).toBeNull()

    // Act
    const views: InvocationView[] = []
    for (const id of ['a', 'b', 'c']) views.push(await handler({}, lambdaContext(id)))

    // Assess
    expect(views.map((view) => view.invocation)).toEqual([1, 2, 3])
    expect(new Set(views.map((view) => view.containerId)).size).toBe(1)
    expect(views[0]?.containerId).toMatch(/^[0-9a-f-]{36}$/)
    expect(views.map((view) => view.coldStart)).toEqual([true, false, false])
    expect(views.map((view) => view.startType)).toEqual(['cold', 'warm', 'warm'])
    expect(views.map((view) => view.requestId)).toEqual(['a', 'b', 'c'])
    expect(views.every((view) => view.inFlight === 1 && Object.isFrozen(view))).toBe(true)
    expect(getContainer()).toMatchObject({ containerId: views[0]?.containerId, invocations: 3, inFlight: 0 })
  })

  it.each([
    ['provisioned-concurrency', 'pre-initialized', false],
    ['lambda-managed-instances', 'pre-initialized', false],
    ['snap-start', 'cold', true],
    ['on-demand', 'cold', true],
    ['something-new', 'cold', true],
  ])('reports init type %s as start type %s', async (initType, startType, coldStart) => {
    // Prepare
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = initType

    // Act
    const view = await viewHandler()({}, lambdaContext('a'))

    // Assess
    expect(view).toMatchObject({ startType, coldStart })
    expect(view.initType).toBe(initType === 'something-new' ? 'on-demand' : initType)
  })

  it('calls an on-demand first invocation 10 s or more after runtime start a proactive init', async () => {
    // Prepare
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] })
    resetContainer()
    jest.advanceTimersByTime(10_000)

    // Act
    const view = await viewHandler()({}, lambdaContext('a'))
    jest.useRealTimers()

    // Assess
    expect(view).toMatchObject({ startType: 'pre-initialized', coldStart: false })
    expect(view.ageMs).toBeGreaterThanOrEqual(10_000)
  })

  it('takes the environment id from a real log stream name only', async () => {
    // Prepare
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = REAL_STREAM
    const real = await viewHandler()({}, lambdaContext('a'))
    resetContainer()
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = '$LATEST'

    // Act
    const fake = await viewHandler()({}, lambdaContext('b'))

    // Assess
    expect(real.environmentId).toBe(REAL_STREAM)
    expect(fake.environmentId).toBeNull()
  })

  it('measures the idle gap and emits container.thaw above the threshold only', async () => {
    // Prepare
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] })
    resetContainer()
    const { events, unsubscribe } = collect()
    const handler = middy()
      .use(containerLifetime({ thawThresholdMs: 5_000 }))
      .handler(async (_event: unknown, context) => context.container)

    // Act
    const first = await handler({}, lambdaContext('a'))
    jest.advanceTimersByTime(1_000)
    const shortGap = await handler({}, lambdaContext('b'))
    jest.advanceTimersByTime(60_000)
    const longGap = await handler({}, lambdaContext('c'))
    jest.useRealTimers()
    unsubscribe()

    // Assess
    expect(first.idleMs).toBe(0)
    expect(shortGap.idleMs).toBeCloseTo(1_000, -1)
    expect(longGap.idleMs).toBeCloseTo(60_000, -1)
    const thaws = events.filter((event) => event.type === 'container.thaw')
    expect(thaws).toHaveLength(1)
    expect(thaws[0]).toMatchObject({ idleMs: longGap.idleMs, view: longGap })
  })

  it('emits container.start once, then invocation.start and invocation.end for every invocation', async () => {
    // Prepare
    const { events, unsubscribe } = collect()
    const handler = viewHandler()

    // Act
    await handler({}, lambdaContext('a'))
    await handler({}, lambdaContext('b'))
    unsubscribe()

    // Assess
    expect(events.map((event) => event.type)).toEqual([
      'container.start',
      'invocation.start',
      'invocation.end',
      'invocation.start',
      'invocation.end',
    ])
    const start = events[0]
    expect(start?.type === 'container.start' && start.container.invocations).toBe(1)
    expect(events[2]).toMatchObject({ outcome: 'success' })
    expect((events[2] as InvocationEndEvent).durationMs).toBeGreaterThanOrEqual(0)
  })

  it('counts an invocation once when the middleware is used twice in one chain', async () => {
    // Prepare
    const handler = middy()
      .use(containerLifetime())
      .use(containerLifetime())
      .handler(async (_event: unknown, context) => context.container)
    const { ends, unsubscribe } = collect()

    // Act
    const view = await handler({}, lambdaContext('a'))
    unsubscribe()

    // Assess
    expect(view.invocation).toBe(1)
    expect(ends()).toHaveLength(1)
  })
})

describe('containerLifetime: invocation.end exactly once on every path', () => {
  beforeEach(() => resetContainer())

  it('ends with outcome early-return when @middy/warmup returns early, and counts the warmup', async () => {
    // Prepare
    const app = jest.fn(async () => 'app')
    const handler = middy(app)
      .use(containerLifetime())
      .use(warmup({ isWarmingUp: (event: unknown) => (event as { source?: string }).source === 'warmup' }))
    const { ends, unsubscribe } = collect()

    // Act
    const warm = await handler({ source: 'warmup' }, lambdaContext('a'))
    const real = await handler({}, lambdaContext('b'))
    unsubscribe()

    // Assess
    expect(warm).toBe('warmup')
    expect(real).toBe('app')
    expect(app).toHaveBeenCalledTimes(1)
    expect(ends().map((end) => [end.view.invocation, end.outcome])).toEqual([
      [1, 'early-return'],
      [2, 'success'],
    ])
    expect(getContainer().inFlight).toBe(0)
  })

  it('ends when an after middleware that runs before ours returns early', async () => {
    // Prepare
    const handler = middy(async () => 'app')
      .use(containerLifetime())
      .use({ after: () => 'replaced' })
    const { ends, unsubscribe } = collect()

    // Act
    const response = await handler({}, lambdaContext('a'))
    unsubscribe()

    // Assess
    expect(response).toBe('replaced')
    expect(ends().map((end) => end.outcome)).toEqual(['success'])
    expect(ends()[0]?.request.response).toBe('replaced')
  })

  it('ends with outcome error when an onError middleware that runs before ours returns early', async () => {
    // Prepare
    const handler = middy(async () => {
      throw new Error('boom')
    })
      .use(containerLifetime())
      .use({ onError: () => 'recovered' })
    const { ends, unsubscribe } = collect()

    // Act
    const response = await handler({}, lambdaContext('a'))
    unsubscribe()

    // Assess
    expect(response).toBe('recovered')
    expect(ends().map((end) => end.outcome)).toEqual(['error'])
    expect(ends()[0]?.request.error).toEqual(new Error('boom'))
  })

  it('ends with outcome error, once, when the handler throws and nothing handles it', async () => {
    // Prepare
    const handler = middy(async () => {
      throw new TypeError('bad')
    }).use(containerLifetime())
    const { ends, unsubscribe } = collect()

    // Act
    const outcome = handler({}, lambdaContext('a'))

    // Assess
    await expect(outcome).rejects.toThrow('bad')
    unsubscribe()
    expect(ends().map((end) => end.outcome)).toEqual(['error'])
    expect(getContainer().inFlight).toBe(0)
  })

  it('ends with outcome error when @middy/http-error-handler turns the error into a response', async () => {
    // Prepare
    const handler = middy(async () => {
      throw Object.assign(new Error('Not here'), { statusCode: 404, expose: true })
    })
      .use(containerLifetime({ header: 'x-container-id' }))
      .use(httpErrorHandler({ logger: false }))
    const { ends, unsubscribe } = collect()

    // Act
    const response = (await handler({}, lambdaContext('a'))) as {
      statusCode: number
      headers: Record<string, string>
    }
    unsubscribe()

    // Assess
    expect(response.statusCode).toBe(404)
    expect(response.headers['x-container-id']).toBe(ends()[0]?.view.containerId)
    expect(ends().map((end) => end.outcome)).toEqual(['error'])
  })

  it('ends when a before middleware sets earlyResponse to undefined itself', async () => {
    // Prepare
    const app = jest.fn(async () => 'app')
    const handler = middy(app)
      .use(containerLifetime())
      .use({
        before: (request: { earlyResponse?: unknown }) => {
          request.earlyResponse = undefined
        },
      })
    const { ends, unsubscribe } = collect()

    // Act
    const response = await handler({}, lambdaContext('a'))
    unsubscribe()

    // Assess
    expect(response).toBeUndefined()
    expect(app).not.toHaveBeenCalled()
    expect(ends().map((end) => end.outcome)).toEqual(['early-return'])
  })
})

describe('containerLifetime: header option', () => {
  beforeEach(() => resetContainer())

  it('adds no header by default', async () => {
    // Act
    const response = await middy(async () => ({ statusCode: 200, headers: { a: 'b' } })).use(
      containerLifetime(),
    )({}, lambdaContext('a'))

    // Assess
    expect(response).toEqual({ statusCode: 200, headers: { a: 'b' } })
  })

  it('stamps HTTP-shaped responses only, creating headers when missing', async () => {
    // Prepare
    const responses: unknown[] = [{ statusCode: 200 }, { statusCode: 201, headers: { a: 'b' } }, 'text', null]
    const handler = middy(async (event: { index: number }) => responses[event.index]).use(
      containerLifetime({ header: 'X-Container-Id' }),
    )

    // Act
    const results = []
    for (let index = 0; index < responses.length; index++)
      results.push(await handler({ index }, lambdaContext('r')))

    // Assess
    const id = getContainer().containerId
    expect(results).toEqual([
      { statusCode: 200, headers: { 'X-Container-Id': id } },
      { statusCode: 201, headers: { a: 'b', 'X-Container-Id': id } },
      'text',
      null,
    ])
  })

  it('leaves a frozen response as it is', async () => {
    // Prepare
    const frozen = Object.freeze({ statusCode: 200, headers: Object.freeze({}) })
    const handler = middy(async () => frozen).use(containerLifetime({ header: 'x-id' }))

    // Act
    const response = await handler({}, lambdaContext('a'))

    // Assess
    expect(response).toBe(frozen)
    expect(frozen.headers).toEqual({})
  })
})

describe('containerLifetime: bad input and listeners', () => {
  beforeEach(() => resetContainer())
  afterEach(() => {
    jest.restoreAllMocks()
  })

  it('survives a context that is not an object or is frozen, and still counts the invocation', async () => {
    // Prepare
    const handler = middy(async () => 'ok').use(containerLifetime())

    // Act
    const results = [
      await handler({}, 'context' as never),
      await handler({}, Object.freeze(lambdaContext('f'))),
    ]

    // Assess
    expect(results).toEqual(['ok', 'ok'])
    expect(getContainer().invocations).toBe(2)
  })

  it('keeps the invocation going when a listener throws, and warns', async () => {
    // Prepare
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const unsubscribe = onLifecycle(() => {
      throw new Error('listener bug')
    })
    const { ends, unsubscribe: stop } = collect()

    // Act
    const view = await viewHandler()({}, lambdaContext('a'))
    unsubscribe()
    stop()

    // Assess
    expect(view.invocation).toBe(1)
    expect(ends()).toHaveLength(1)
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('listener bug'), expect.anything())
  })

  it('stops delivering to a listener once it unsubscribes', async () => {
    // Prepare
    const listener = jest.fn()
    const unsubscribe = onLifecycle(listener)
    const handler = viewHandler()
    await handler({}, lambdaContext('a'))
    const seen = listener.mock.calls.length

    // Act
    unsubscribe()
    await handler({}, lambdaContext('b'))

    // Assess
    expect(seen).toBe(3)
    expect(listener).toHaveBeenCalledTimes(3)
  })

  it('rejects a listener that is not a function', () => {
    expect(() => onLifecycle('nope' as never)).toThrow(TypeError)
  })
})

describe('containerLifetimeValidateOptions', () => {
  it.each([
    [null, 'options must be an object'],
    [[], 'options must be an object'],
    [{ header: '' }, 'option "header"'],
    [{ header: 'bad header' }, 'option "header"'],
    [{ header: 42 }, 'option "header"'],
    [{ thawThresholdMs: -1 }, 'option "thawThresholdMs"'],
    [{ thawThresholdMs: Number.NaN }, 'option "thawThresholdMs"'],
    [{ thawThresholdMs: '5' }, 'option "thawThresholdMs"'],
    [{ restartMarker: 'yes' }, 'option "restartMarker"'],
    [{ thawTreshold: 5 }, 'option "thawTreshold" is not a known option'],
    [{ thawThresholdMs: Number.POSITIVE_INFINITY }, 'option "thawThresholdMs"'],
  ])('rejects %j', (options, message) => {
    expect(() => containerLifetimeValidateOptions(options)).toThrow(message)
    expect(() => containerLifetimeValidateOptions(options)).toThrow(/^@lambda-lifetime\/container: /)
  })

  it('accepts the documented options', () => {
    expect(() =>
      containerLifetimeValidateOptions({
        header: 'x-container-id',
        thawThresholdMs: 0,
        restartMarker: false,
      }),
    ).not.toThrow()
    expect(() => containerLifetimeValidateOptions({ header: false })).not.toThrow()
  })

  it('runs when the middleware is created, with the package as the cause', () => {
    let caught: unknown
    try {
      containerLifetime({ thawThresholdMs: -5 })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(TypeError)
    expect((caught as Error).cause).toEqual({
      package: '@lambda-lifetime/container',
      option: 'thawThresholdMs',
    })
  })
})

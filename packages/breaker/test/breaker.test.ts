import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  type Breaker,
  type BreakerLifecycleEvent,
  CircuitOpenError,
  circuitBreaker,
  circuitBreakerValidateOptions,
  getBreaker,
} from '@lambda-lifetime/breaker'
import { containerLifetime, type LifecycleEvent, onLifecycle } from '@lambda-lifetime/container'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import CircuitBreaker from 'opossum'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'
import { deferred, resetBreakers, settle } from './support.js'

const RESET_MS = 30_000
const T0 = Date.UTC(2026, 10, 27, 8, 0, 0)

/** A dependency that fails while `down` is true, and counts its calls. */
const dependency = () => {
  const state = { down: false, calls: 0 }
  const action = async (value: number): Promise<number> => {
    state.calls++
    if (state.down) throw new Error('dependency down')
    return value * 2
  }
  return { state, action }
}

const breakerEvents = (): BreakerLifecycleEvent[] => {
  const events: BreakerLifecycleEvent[] = []
  onLifecycle((event: LifecycleEvent) => {
    if (event.type.startsWith('breaker.')) events.push(event as BreakerLifecycleEvent)
  })
  return events
}

/** Simulates a freeze: the wall clock moves, no timer fires (as in a frozen Lambda environment). */
const freezeFor = (ms: number): void => {
  jest.setSystemTime(Date.now() + ms)
}

const options = { timeout: 1_000, errorThresholdPercentage: 50, resetTimeout: RESET_MS, volumeThreshold: 2 }

const handlerFor = (action: (value: number) => Promise<number>) =>
  middy<{ value: number }>()
    .use(containerLifetime())
    .use(circuitBreaker({ name: 'dep', action, options }))
    .handler(async (event, context) => context.breakers.dep.fire(event.value))

const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )

beforeEach(() => {
  resetContainer()
  resetBreakers()
  jest.useFakeTimers({ now: T0 })
})

afterEach(() => {
  jest.useRealTimers()
})

describe('circuitBreaker across warm invocations', () => {
  it('keeps one breaker per name for the whole container', async () => {
    // Prepare
    const { state, action } = dependency()
    const seen: unknown[] = []
    const handler = middy()
      .use(containerLifetime())
      .use(circuitBreaker({ name: 'dep', action, options }))
      .handler(async (_event: unknown, context) => {
        seen.push(context.breakers.dep)
        return context.breakers.dep.fire(1)
      })
    // Act
    await handler({}, lambdaContext('a'))
    await handler({}, lambdaContext('b'))
    // Assess: each invocation holds its own handle on the one breaker of the container
    expect(seen[0]).not.toBe(seen[1])
    expect((seen[0] as Breaker).circuit).toBe((seen[1] as Breaker).circuit)
    expect((seen[0] as Breaker).circuit).toBe(getBreaker('dep')?.circuit)
    expect(getBreaker('dep')?.stats.fires).toBe(2)
    const handle = seen[1] as Breaker
    expect([handle.name, handle.state, handle.retryAfterMs, handle.stats.fires]).toEqual([
      'dep',
      'closed',
      0,
      2,
    ])
    expect(state.calls).toBe(2)
  })

  it('opens on failures of earlier invocations and then does not call the dead dependency', async () => {
    // Prepare
    const { state, action } = dependency()
    const handler = handlerFor(action)
    state.down = true
    await expect(handler({ value: 1 }, lambdaContext('a'))).rejects.toThrow('dependency down')
    await expect(handler({ value: 1 }, lambdaContext('b'))).rejects.toThrow('dependency down')
    // Act
    const error = await rejectionOf(handler({ value: 1 }, lambdaContext('c')))
    const again = await rejectionOf(handler({ value: 1 }, lambdaContext('d')))
    // Assess
    expect(state.calls).toBe(2)
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(error).toMatchObject({ name: 'CircuitOpenError', breaker: 'dep', state: 'open', reason: 'open' })
    expect((error as CircuitOpenError).retryAfterMs).toBe(RESET_MS)
    expect(again).toBeInstanceOf(CircuitOpenError)
    expect(getBreaker('dep')?.state).toBe('open')
  })

  it('a second registration under the same name and options gets the first breaker', () => {
    // Prepare
    const { state, action } = dependency()
    circuitBreaker({ name: 'dep', action, options: { timeout: 10_000 } })
    const first = getBreaker('dep')
    // Act
    circuitBreaker({ name: 'dep', action })
    void getBreaker<[number], number>('dep')?.fire(1)
    // Assess
    expect(getBreaker('dep')).toBe(first)
    expect(getBreaker('other')).toBeUndefined()
    expect(state.calls).toBe(1)
  })

  it('refuses a second registration under the same name with other options, naming both', () => {
    // Prepare
    const first = dependency()
    const second = dependency()
    circuitBreaker({ name: 'dep', action: first.action, options: { errorThresholdPercentage: 50 } })
    // Act
    const again = () =>
      circuitBreaker({ name: 'dep', action: second.action, options: { errorThresholdPercentage: 25 } })
    // Assess
    expect(again).toThrow(TypeError)
    expect(again).toThrow(
      '@lambda-lifetime/breaker: circuitBreaker "dep" is already registered in this runtime with other options: ' +
        'action (function action, then another function action), options.errorThresholdPercentage (50, then 25)',
    )
  })
})

describe('half-open', () => {
  it('lets exactly one call through, refuses the concurrent ones, and closes on its success', async () => {
    // Prepare
    const events = breakerEvents()
    const gate = deferred<number>()
    let calls = 0
    let failing = true
    const action = (value: number): Promise<number> => {
      calls++
      return failing ? Promise.reject(new Error('down')) : gate.promise.then(() => value)
    }
    const handler = handlerFor(action)
    await rejectionOf(handler({ value: 1 }, lambdaContext('a')))
    await rejectionOf(handler({ value: 1 }, lambdaContext('b')))
    failing = false
    jest.advanceTimersByTime(RESET_MS)
    // Act
    const results = [1, 2, 3, 4, 5].map((n) => handler({ value: n }, lambdaContext(`p${n}`)).catch((e) => e))
    await settle()
    const waitWhileProbing = getBreaker('dep')?.retryAfterMs
    gate.resolve(0)
    const settled = await Promise.all(results)
    // Assess
    expect(calls).toBe(3)
    expect(settled[0]).toBe(1)
    for (const refused of settled.slice(1)) {
      expect(refused).toBeInstanceOf(CircuitOpenError)
      expect(refused).toMatchObject({ state: 'halfOpen', reason: 'probe-in-flight', retryAfterMs: 1_000 })
    }
    expect(waitWhileProbing).toBe(1_000)
    expect(getBreaker('dep')?.state).toBe('closed')
    expect(events.map((event) => event.type)).toEqual(['breaker.open', 'breaker.half-open', 'breaker.close'])
    expect(events[0]).toMatchObject({
      breaker: 'dep',
      failures: 2,
      successes: 0,
      source: 'local',
      timeouts: 0,
    })
    expect(events[2]).toMatchObject({ successes: 1, rejects: 4 })
  })

  it('re-opens when the probe fails, for a full reset timeout again', async () => {
    // Prepare
    const { state, action } = dependency()
    const handler = handlerFor(action)
    state.down = true
    await rejectionOf(handler({ value: 1 }, lambdaContext('a')))
    await rejectionOf(handler({ value: 1 }, lambdaContext('b')))
    jest.advanceTimersByTime(RESET_MS)
    // Act
    const probe = await rejectionOf(handler({ value: 1 }, lambdaContext('probe')))
    jest.advanceTimersByTime(RESET_MS - 1)
    const refused = await rejectionOf(handler({ value: 1 }, lambdaContext('c')))
    // Assess
    expect(probe).toEqual(new Error('dependency down'))
    expect(refused).toBeInstanceOf(CircuitOpenError)
    expect((refused as CircuitOpenError).retryAfterMs).toBe(1)
    expect(state.calls).toBe(3)
  })
})

describe('freeze', () => {
  it('goes half-open on the first call after a freeze longer than resetTimeout, where bare opossum stays open', async () => {
    // Prepare
    const { state, action } = dependency()
    const handler = handlerFor(action)
    const bare = new CircuitBreaker(action, { ...options, enableSnapshots: false })
    state.down = true
    for (const id of ['a', 'b']) await rejectionOf(handler({ value: 1 }, lambdaContext(id)))
    for (let n = 0; n < 2; n++) await rejectionOf(bare.fire(1))
    state.down = false
    // Act
    freezeFor(RESET_MS + 5_000)
    const bareAnswer = await rejectionOf(bare.fire(1))
    const answer = await handler({ value: 21 }, lambdaContext('after-thaw'))
    // Assess
    expect(bareAnswer).toMatchObject({ code: 'EOPENBREAKER' })
    expect(answer).toBe(42)
    expect(getBreaker('dep')?.state).toBe('closed')
    bare.shutdown()
  })

  it('reads an overdue open breaker as halfOpen with nothing to wait for', async () => {
    // Prepare
    const { state, action } = dependency()
    const handler = handlerFor(action)
    state.down = true
    for (const id of ['a', 'b']) await rejectionOf(handler({ value: 1 }, lambdaContext(id)))
    // Act
    freezeFor(RESET_MS)
    // Assess
    expect(getBreaker('dep')?.state).toBe('halfOpen')
    expect(getBreaker('dep')?.retryAfterMs).toBe(0)
  })

  it('forgets failures older than the rolling window after a freeze, where bare opossum counts them', async () => {
    // Prepare: volumeThreshold 3, two failures before the freeze keep the breaker closed
    const { state, action } = dependency()
    const volume = { ...options, volumeThreshold: 3, rollingCountTimeout: 10_000 }
    const handler = middy<{ value: number }>()
      .use(containerLifetime())
      .use(circuitBreaker({ name: 'dep', action, options: volume }))
      .handler(async (event, context) => context.breakers.dep.fire(event.value))
    const bare = new CircuitBreaker(action, { ...volume, enableSnapshots: false })
    state.down = true
    for (const id of ['a', 'b']) await rejectionOf(handler({ value: 1 }, lambdaContext(id)))
    for (let n = 0; n < 2; n++) await rejectionOf(bare.fire(1))
    // Act: one more failure after a 60 s freeze
    freezeFor(60_000)
    await rejectionOf(handler({ value: 1 }, lambdaContext('after-thaw')))
    await rejectionOf(bare.fire(1))
    // Assess
    expect(bare.opened).toBe(true)
    expect(getBreaker('dep')?.state).toBe('closed')
    expect(getBreaker('dep')?.stats).toMatchObject({ failures: 1, fires: 1 })
    bare.shutdown()
  })

  it('still counts failures inside the window, bucket by bucket', async () => {
    // Prepare
    const { state, action } = dependency()
    const volume = { ...options, volumeThreshold: 3, rollingCountTimeout: 10_000 }
    const handler = middy<{ value: number }>()
      .use(circuitBreaker({ name: 'dep', action, options: volume }))
      .handler(async (event, context) => context.breakers.dep.fire(event.value))
    state.down = true
    // Act: three failures, 4 s apart: all within 10 s of the last
    await rejectionOf(handler({ value: 1 }, lambdaContext('a')))
    freezeFor(4_000)
    await rejectionOf(handler({ value: 1 }, lambdaContext('b')))
    freezeFor(4_000)
    await rejectionOf(handler({ value: 1 }, lambdaContext('c')))
    // Assess
    expect(getBreaker('dep')?.state).toBe('open')
  })
})

describe('the rolling window', () => {
  it('counts a failure in the bucket of its end, not of its start', async () => {
    // Prepare: two failures, then a third call that fails after a 60 s freeze in flight
    const gate = deferred<number>()
    let calls = 0
    const action = (_value: number): Promise<number> =>
      ++calls < 3 ? Promise.reject(new Error('down')) : gate.promise
    const volume = { ...options, volumeThreshold: 3, rollingCountTimeout: 10_000 }
    circuitBreaker({ name: 'dep', action, options: volume })
    const breaker = getBreaker<[number], number>('dep')
    for (let n = 0; n < 2; n++) await rejectionOf(breaker?.fire(n) as Promise<number>)
    const slow = rejectionOf(breaker?.fire(3) as Promise<number>)
    await settle()
    // Act
    freezeFor(60_000)
    gate.reject(new Error('down after the freeze'))
    await slow
    // Assess
    expect(breaker?.state).toBe('closed')
    expect(breaker?.stats).toMatchObject({ failures: 1 })
  })
})

describe('opossum underneath', () => {
  it('exposes the opossum instance, replaced by a re-hydrated one when going half-open', async () => {
    // Prepare: a dependency whose recovery call waits on a gate, so the probe is really in flight
    const gate = deferred<void>()
    let down = true
    let calls = 0
    const action = async (value: number): Promise<number> => {
      calls++
      if (down) throw new Error('dependency down')
      await gate.promise
      return value
    }
    circuitBreaker({ name: 'dep', action, options: { ...options, timeout: false } })
    const breaker = getBreaker<[number], number>('dep') as Breaker<[number], number>
    const before = breaker.circuit
    for (let n = 0; n < 2; n++) await rejectionOf(breaker.fire(n))
    freezeFor(RESET_MS)
    down = false
    // Act
    const probe = breaker.fire(1)
    await settle()
    const probingCircuit = breaker.circuit
    const stateWhileProbing = breaker.state
    const waitMs = breaker.retryAfterMs
    const refused = await rejectionOf(breaker.fire(2))
    const settledEarly = await Promise.race([probe.then(() => true), settle().then(() => false)])
    gate.resolve()
    const answer = await probe
    // Assess
    expect(before).toBeInstanceOf(CircuitBreaker)
    expect(probingCircuit).toBeInstanceOf(CircuitBreaker)
    expect(probingCircuit).not.toBe(before)
    expect(stateWhileProbing).toBe('halfOpen')
    expect(waitMs).toBe(10_000)
    expect(refused).toMatchObject({ name: 'CircuitOpenError', reason: 'probe-in-flight' })
    expect(settledEarly).toBe(false)
    expect(answer).toBe(1)
    expect(calls).toBe(3)
    expect(breaker.circuit.closed).toBe(true)
  })
})

describe('concurrency', () => {
  it('interleaved invocations share the breaker: their failures add up and later ones are refused', async () => {
    // Prepare
    const gates = [deferred<number>(), deferred<number>(), deferred<number>()]
    let calls = 0
    const action = (index: number): Promise<number> => {
      calls++
      return (gates[index] as (typeof gates)[number]).promise
    }
    const handler = handlerFor(action)
    // Act: three invocations in flight at once, finishing out of order
    const running = [0, 1, 2].map((index) =>
      handler({ value: index }, lambdaContext(`r${index}`)).catch((e) => e),
    )
    await settle()
    gates[2]?.reject(new Error('late failure'))
    gates[0]?.resolve(10)
    gates[1]?.reject(new Error('another failure'))
    const results = await Promise.all(running)
    const refused = await rejectionOf(handler({ value: 0 }, lambdaContext('next')))
    // Assess
    expect(results).toEqual([10, new Error('another failure'), new Error('late failure')])
    expect(calls).toBe(3)
    expect(refused).toBeInstanceOf(CircuitOpenError)
  })
})

describe('open without a fallback', () => {
  const openBreaker = async () => {
    const { state, action } = dependency()
    const handler = middy()
      .use(containerLifetime())
      .use(circuitBreaker({ name: 'dep', action, options }))
      .handler(async (_event: unknown, context) => ({
        statusCode: 200,
        body: String(await context.breakers.dep.fire(1)),
      }))
    state.down = true
    for (const id of ['a', 'b']) await rejectionOf(handler({}, lambdaContext(id)))
    return { handler, state }
  }

  it.each([
    ['API Gateway REST', { httpMethod: 'GET', path: '/pay' }],
    ['HTTP API / function URL', { rawPath: '/pay', requestContext: { http: { method: 'POST' } } }],
    ['ALB', { requestContext: { elb: { targetGroupArn: 'arn' } } }],
  ])('answers a %s event with 503 and Retry-After', async (_kind, event) => {
    // Prepare
    const { handler } = await openBreaker()
    jest.advanceTimersByTime(10_500)
    // Act
    const response = await handler(event, lambdaContext('http'))
    // Assess
    expect(response).toEqual({
      statusCode: 503,
      headers: { 'Content-Type': 'application/json', 'Retry-After': '20' },
      body: JSON.stringify({
        message: 'Service Unavailable',
        reason: 'circuit-open',
        breaker: 'dep',
        retryAfterSeconds: 20,
      }),
    })
  })

  it('answers 503 for a CircuitOpenError of another bundled copy of the package, not for look-alikes', async () => {
    // Prepare
    const foreign = Object.assign(new Error('open elsewhere'), {
      name: 'CircuitOpenError',
      breaker: 'x',
      retryAfterMs: 2_500,
      reason: 'open',
    })
    const lookAlike = Object.assign(new Error('not ours'), { name: 'CircuitOpenError' })
    const { action } = dependency()
    const handlerThrowing = (error: Error) =>
      middy()
        .use(circuitBreaker({ name: 'dep', action }))
        .handler(async () => {
          throw error
        })
    // Act
    const response = await handlerThrowing(foreign)({ httpMethod: 'GET' }, lambdaContext('a'))
    const rejected = await rejectionOf(handlerThrowing(lookAlike)({ httpMethod: 'GET' }, lambdaContext('b')))
    // Assess
    expect(response).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '3' } })
    expect(rejected).toBe(lookAlike)
  })

  it('answers 503 before @middy/http-error-handler turns the error into a 500', async () => {
    // Prepare
    const { state, action } = dependency()
    const handler = middy<{ value: number }>()
      .use(httpErrorHandler())
      .use(circuitBreaker({ name: 'dep', action, options }))
      .handler(async (event, context) => ({
        statusCode: 200,
        body: String(await context.breakers.dep.fire(event.value)),
      }))
    state.down = true
    const failures = [
      await handler({ value: 1 }, lambdaContext('a')),
      await handler({ value: 1 }, lambdaContext('b')),
    ]
    // Act
    const response = await handler({ value: 1, requestContext: {} } as { value: number }, lambdaContext('c'))
    // Assess
    expect(failures.map((failure) => (failure as { statusCode: number }).statusCode)).toEqual([500, 500])
    expect(response).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '30' } })
  })

  it('rejects other events with the CircuitOpenError', async () => {
    // Prepare
    const { handler, state } = await openBreaker()
    // Act
    const error = await rejectionOf(handler({ Records: [] }, lambdaContext('sqs')))
    // Assess
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(state.calls).toBe(2)
  })

  it('leaves other errors of HTTP events alone', async () => {
    // Prepare
    const { state, action } = dependency()
    const handler = handlerFor(action)
    state.down = true
    // Act
    const error = await rejectionOf(
      handler({ value: 1, httpMethod: 'GET' } as { value: number }, lambdaContext('a')),
    )
    // Assess
    expect(error).toEqual(new Error('dependency down'))
  })
})

describe('fallback', () => {
  it('answers for the open breaker and receives the CircuitOpenError', async () => {
    // Prepare
    const { state, action } = dependency()
    const received: unknown[] = []
    const handler = middy<{ value: number }>()
      .use(
        circuitBreaker({
          name: 'dep',
          action,
          options,
          fallback: (value: number, error: Error) => {
            received.push(error)
            return `fallback for ${value}`
          },
        }),
      )
      .handler(async (event, context) => context.breakers.dep.fire(event.value))
    state.down = true
    // Act
    const whileFailing = await handler({ value: 1 }, lambdaContext('a'))
    await handler({ value: 2 }, lambdaContext('b'))
    const whileOpen = await handler({ value: 3 }, lambdaContext('c'))
    // Assess
    expect(whileFailing).toBe('fallback for 1')
    expect(whileOpen).toBe('fallback for 3')
    expect(state.calls).toBe(2)
    expect(received[0]).toEqual(new Error('dependency down'))
    expect(received[2]).toBeInstanceOf(CircuitOpenError)
  })
})

describe('the middleware', () => {
  it('adds its breaker next to the breakers of other circuitBreaker middlewares', async () => {
    // Prepare
    const one = dependency()
    const two = dependency()
    const handler = middy()
      .use(circuitBreaker({ name: 'one', action: one.action }))
      .use(circuitBreaker({ name: 'two', action: two.action }))
      .handler(async (_event: unknown, context) => {
        const a: number = await context.breakers.one.fire(1)
        const b: number = await context.breakers.two.fire(2)
        return [a, b, Object.keys(context.breakers)]
      })
    // Act
    const result = await handler({}, lambdaContext('a'))
    // Assess
    expect(result).toEqual([2, 4, ['one', 'two']])
  })

  it('types context.breakers from the action', async () => {
    // Prepare
    const handler = middy()
      .use(
        circuitBreaker({
          name: 'pay',
          action: async (amount: number, currency: string) => ({ amount, currency }),
        }),
      )
      .handler(async (_event: unknown, context) => {
        const receipt: { amount: number; currency: string } = await context.breakers.pay.fire(5, 'EUR')
        // @ts-expect-error: the action takes (number, string)
        const wrong = () => context.breakers.pay.fire('5')
        // @ts-expect-error: no breaker of that name
        const missing = () => context.breakers.other
        return [receipt, typeof wrong, typeof missing]
      })
    // Act
    const result = await handler({}, lambdaContext('a'))
    // Assess
    expect(result).toEqual([{ amount: 5, currency: 'EUR' }, 'function', 'function'])
  })

  it('skips a frozen context', () => {
    // Prepare
    const middleware = circuitBreaker({ name: 'dep', action: dependency().action })
    const context = Object.freeze({})
    // Act
    middleware.before?.({ event: {}, context, response: undefined, error: undefined, internal: {} } as never)
    // Assess
    expect(context).toEqual({})
  })
})

describe('circuitBreakerValidateOptions', () => {
  const action = async () => 1
  it.each([
    [null, /options must be an object, got null/],
    ['x', /options must be an object, got "x"/],
    [{ name: 'a', action, retries: 3 }, /option "retries" is not a known option/],
    [{ name: '', action }, /option "name"/],
    [{ name: 'a', action: 1 }, /option "action"/],
    [{ name: 'a', action, fallback: 'x' }, /option "fallback"/],
    [{ name: 'a', action, store: {} }, /missing: get, compareAndSet, electProbe/],
    [{ name: 'a', action, store: null }, /option "store"/],
    [{ name: 'a', action, options: [] }, /option "options" must be an object/],
    [{ name: 'a', action, options: { rotateBucketController: {} } }, /options.rotateBucketController/],
    [{ name: 'a', action, options: { resetTimeout: -1 } }, /options.resetTimeout/],
    [{ name: 'a', action, options: { timeout: 'x' } }, /options.timeout/],
    [{ name: 'a', action, options: { rollingCountTimeout: 0 } }, /options.rollingCountTimeout/],
    [{ name: 'a', action, options: { rollingCountBuckets: 1.5 } }, /options.rollingCountBuckets/],
    [
      { name: 'a', action, options: { errorThresholdPercentage: 'x' } },
      /option "options.errorThresholdPercentage" must be a number >= 0 and <= 100, got "x"/,
    ],
    [{ name: 'a', action, options: { errorThresholdPercentage: 500 } }, /<= 100, got 500/],
    [
      { name: 'a', action, options: { volumeThreshold: -5 } },
      /option "options.volumeThreshold" must be an integer >= 0, got -5/,
    ],
    [
      { name: 'a', action, options: { timeout: 3e9 } },
      /option "options.timeout" must be false or a duration in ms from 0 to 2147483647, got 3000000000/,
    ],
    [{ name: 'a', action, options: { resetTimeout: 3e9 } }, /from 0 to 2147483647, got 3000000000/],
    [{ name: 'a', action, options: { rollingCountTimeout: 3e9 } }, /from 1 to 2147483647/],
    [{ name: 'a', action, options: { cacheTTL: 3e9 } }, /options.cacheTTL/],
    [{ name: 'a', action, options: { maxFailures: 3 } }, /options.maxFailures" is deprecated by opossum/],
    [{ name: 'a', action, options: { capacity: 0 } }, /options.capacity/],
    [{ name: 'a', action, options: { coalesceResetOn: ['fail'] } }, /options.coalesceResetOn\[0\]/],
    [
      { name: 'a', action, options: { abortController: {} } },
      /options.abortController" must be an AbortController/,
    ],
    [{ name: 'a', action, options: { cacheTransport: { get() {} } } }, /options.cacheTransport/],
    [{ name: 'a', action, options: { enabled: 'yes' } }, /options.enabled" must be a boolean/],
    [{ name: 'a', action, options: { errorFilter: 404 } }, /options.errorFilter" must be a function/],
    [{ name: 'a', action, options: { timeOut: 5 } }, /options.timeOut" is not a known option/],
  ])('rejects %j', (options, message) => {
    // Act / Assess
    expect(() => circuitBreakerValidateOptions(options)).toThrow(message)
    expect(() => circuitBreakerValidateOptions(options)).toThrow(TypeError)
  })

  it('names the package in the cause and accepts good options', () => {
    // Prepare
    let error: unknown
    try {
      circuitBreakerValidateOptions({})
    } catch (caught) {
      error = caught
    }
    // Act / Assess
    expect((error as Error).cause).toEqual({ package: '@lambda-lifetime/breaker', option: 'name' })
    expect(() =>
      circuitBreakerValidateOptions({
        name: 'a',
        action,
        options: { timeout: false, resetTimeout: 5, rollingCountBuckets: 5, rollingCountTimeout: 5000 },
      }),
    ).not.toThrow()
    expect(() =>
      circuitBreakerValidateOptions({
        name: 'a',
        action,
        options: {
          timeout: 2 ** 31 - 1,
          errorThresholdPercentage: 0,
          volumeThreshold: 0,
          capacity: 10,
          enabled: true,
          allowWarmUp: true,
          rollingPercentilesEnabled: false,
          enableSnapshots: true,
          errorFilter: () => false,
          cache: true,
          cacheTTL: 0,
          cacheSize: 100,
          cacheGetKey: () => 'k',
          cacheTransport: { get: () => undefined, set: () => undefined, flush: () => undefined },
          coalesce: true,
          coalesceTTL: 100,
          coalesceSize: 10,
          coalesceResetOn: ['error', 'timeout'],
          abortController: new AbortController(),
          autoRenewAbortController: true,
        },
      }),
    ).not.toThrow()
  })
})

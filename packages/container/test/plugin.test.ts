/**
 * The Middy plugin (`@lambda-lifetime/container/middy`): the same invocation ends, on every path, as the
 * middleware alone gives, without the accessor on `request.response`; and the paths only the plugin sees.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { InvokeStoreBase } from '@aws/lambda-invoke-store'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  containerLifetime,
  getContainer,
  type InvocationEndEvent,
  onLifecycle,
  resetContainerState,
} from '@lambda-lifetime/container'
import middy from '@middy/core'
import { executionModeStandard } from '@middy/core/executionModeStandard'
import httpErrorHandler from '@middy/http-error-handler'
import warmup from '@middy/warmup'
import { lambdaContext, startManagedInstancesStore } from '../../../test/support/container.js'
import { containerLifetimePlugin } from '../src/middy.js'

// biome-ignore lint/suspicious/noExplicitAny: chains of every shape, built by the cases below
type AnyHandler = (event: unknown, context: any) => Promise<any>
// biome-ignore lint/suspicious/noExplicitAny: Middy's plugin options type its execution mode loosely
type PluginOptions = any

const collectEnds = () => {
  const ends: InvocationEndEvent[] = []
  const unsubscribe = onLifecycle((event) => {
    if (event.type === 'invocation.end') ends.push(event)
  })
  return { ends, unsubscribe }
}

/** What a middleware that runs after ours sees of `request.response`: a data property, or an accessor. */
const responseKindSeen = (kinds: string[]) => ({
  before: (request: object) => {
    const descriptor = Object.getOwnPropertyDescriptor(request, 'response')
    kinds.push(descriptor !== undefined && 'value' in descriptor ? 'data' : 'accessor')
  },
})

const modes: Array<[string, (options?: PluginOptions) => PluginOptions]> = [
  ['the middleware alone', (options) => options],
  ['the middleware with the plugin', (options) => containerLifetimePlugin(options)],
]

beforeEach(() => resetContainerState())
afterEach(() => {
  jest.restoreAllMocks()
  resetContainerState()
})

describe.each(modes)(
  '%s: invocation.end exactly once, with the same outcome, on every path',
  (_mode, plugin) => {
    const cases: Array<[string, () => AnyHandler, string, unknown]> = [
      [
        'a handler that answers',
        () => middy(async () => 'app', plugin()).use(containerLifetime()),
        'success',
        'app',
      ],
      [
        'an early return from a before middleware (@middy/warmup)',
        () =>
          middy(async () => 'app', plugin())
            .use(containerLifetime())
            .use(warmup({ isWarmingUp: () => true })),
        'early-return',
        'warmup',
      ],
      [
        'a before middleware that sets earlyResponse to undefined itself',
        () =>
          middy(async () => 'app', plugin())
            .use(containerLifetime())
            .use({
              before: (request: { earlyResponse?: unknown }) => {
                request.earlyResponse = undefined
              },
            }),
        'early-return',
        undefined,
      ],
      [
        'an early return from an after middleware that runs before ours',
        () =>
          middy(async () => 'app', plugin())
            .use(containerLifetime())
            .use({ after: () => 'replaced' }),
        'success',
        'replaced',
      ],
      [
        'an early return from an onError middleware that runs before ours',
        () =>
          middy(async () => {
            throw new Error('boom')
          }, plugin())
            .use(containerLifetime())
            .use({ onError: () => 'recovered' }),
        'error',
        'recovered',
      ],
    ]

    it.each(cases)('%s', async (_case, build, outcome, response) => {
      // Prepare
      const handler = build()
      const { ends, unsubscribe } = collectEnds()

      // Act
      const result = await handler({}, lambdaContext('a'))
      unsubscribe()

      // Assess
      expect(result).toBe(response)
      expect(ends.map((end) => end.outcome)).toEqual([outcome])
      // A listener reads the response the invocation ended with (the logger takes its status code from it).
      expect(ends[0]?.request.response).toBe(response)
      expect(getContainer()).toMatchObject({ invocations: 1, inFlight: 0 })
    })

    it('ends with outcome error, once, when the handler throws and nothing handles it', async () => {
      // Prepare
      const handler = middy(async () => {
        throw new TypeError('bad')
      }, plugin()).use(containerLifetime())
      const { ends, unsubscribe } = collectEnds()

      // Act
      const outcome = handler({}, lambdaContext('a'))

      // Assess
      await expect(outcome).rejects.toThrow('bad')
      unsubscribe()
      expect(ends.map((end) => end.outcome)).toEqual(['error'])
      expect(getContainer().inFlight).toBe(0)
    })

    it('ends with outcome error when Middy times the handler out early', async () => {
      // Prepare: 30 ms left, Middy answers 20 ms before that; the handler never settles.
      const handler = middy(() => new Promise(() => undefined), plugin({ timeoutEarlyInMillis: 20 })).use(
        containerLifetime(),
      )
      const { ends, unsubscribe } = collectEnds()

      // Act
      const outcome = handler({}, lambdaContext('a', 30))

      // Assess
      await expect(outcome).rejects.toThrow('aborted')
      unsubscribe()
      expect(ends.map((end) => end.outcome)).toEqual(['error'])
      expect(getContainer().inFlight).toBe(0)
    })

    it('stamps the header on the response an error handler made', async () => {
      // Prepare
      const handler = middy(async () => {
        throw Object.assign(new Error('Not here'), { statusCode: 404, expose: true })
      }, plugin())
        .use(containerLifetime({ header: 'x-container-id' }))
        .use(httpErrorHandler({ logger: false }))
      const { ends, unsubscribe } = collectEnds()

      // Act
      const response = (await handler({}, lambdaContext('a'))) as {
        statusCode: number
        headers: Record<string, string>
      }
      unsubscribe()

      // Assess
      expect(response.statusCode).toBe(404)
      expect(response.headers['x-container-id']).toBe(ends[0]?.view.containerId)
      expect(ends.map((end) => end.outcome)).toEqual(['error'])
    })
  },
)

describe('containerLifetimePlugin', () => {
  it('leaves request.response a data property; the middleware alone turns it into an accessor', async () => {
    // Prepare
    const kinds: string[] = []
    const alone = middy(async () => 'app')
      .use(containerLifetime())
      .use(responseKindSeen(kinds))
    const withPlugin = middy(async () => 'app', containerLifetimePlugin())
      .use(containerLifetime())
      .use(responseKindSeen(kinds))

    // Act
    await alone({}, lambdaContext('a'))
    await withPlugin({}, lambdaContext('b'))

    // Assess
    expect(kinds).toEqual(['accessor', 'data'])
  })

  it('ends the invocation when an onError middleware that runs before ours throws', async () => {
    // Prepare: Middy skips every later onError, ours included; only requestEnd still runs.
    const handler = middy(async () => {
      throw new Error('boom')
    }, containerLifetimePlugin())
      .use(containerLifetime())
      .use({
        onError: () => {
          throw new Error('the error handler failed')
        },
      })
    const { ends, unsubscribe } = collectEnds()

    // Act
    const outcome = handler({}, lambdaContext('a'))

    // Assess
    await expect(outcome).rejects.toThrow('the error handler failed')
    unsubscribe()
    expect(ends.map((end) => end.outcome)).toEqual(['error'])
    expect(getContainer()).toMatchObject({ invocations: 1, inFlight: 0 })
  })

  it('runs your own requestEnd after the invocation ended, and passes every other option on', async () => {
    // Prepare
    const order: string[] = []
    const requestEnd = jest.fn(async (request: { internal: Record<string, unknown> }) => {
      order.push(`requestEnd saw ${String(request.internal.seed)} with ${getContainer().inFlight} in flight`)
    })
    const handler = middy(
      async () => 'app',
      containerLifetimePlugin({ requestEnd, internal: { seed: 'seeded' }, timeoutEarlyInMillis: 0 }),
    ).use(containerLifetime())
    onLifecycle((event) => {
      if (event.type === 'invocation.end') order.push('invocation.end')
    })

    // Act
    const result = await handler({}, lambdaContext('a'))

    // Assess
    expect(result).toBe('app')
    expect(requestEnd).toHaveBeenCalledTimes(1)
    expect(order).toEqual(['invocation.end', 'requestEnd saw seeded with 0 in flight'])
  })

  it('wraps the execution mode you give instead of the standard one', async () => {
    // Prepare
    const modeCalls: string[] = []
    // biome-ignore lint/suspicious/noExplicitAny: Middy's execution mode contract, untyped in its .d.ts
    const countingMode = (...parts: any[]) => {
      modeCalls.push('built')
      // biome-ignore lint/suspicious/noExplicitAny: see above
      return (executionModeStandard as any)(...parts)
    }
    const handler = middy(async () => 'app', containerLifetimePlugin({ executionMode: countingMode }))
      .use(containerLifetime())
      .use(warmup({ isWarmingUp: () => true }))
    const { ends, unsubscribe } = collectEnds()

    // Act
    const result = await handler({}, lambdaContext('a'))
    unsubscribe()

    // Assess
    expect(modeCalls).toEqual(['built'])
    expect(result).toBe('warmup')
    expect(ends.map((end) => end.outcome)).toEqual(['early-return'])
  })

  it('follows a handler replaced with .handler() after the chain was built', async () => {
    // Prepare
    const handler = middy(containerLifetimePlugin())
      .use(containerLifetime())
      .use({ after: () => 'replaced' })
      .handler(async () => 'app')
    const { ends, unsubscribe } = collectEnds()

    // Act
    const result = await handler({}, lambdaContext('a'))
    unsubscribe()

    // Assess: the handler was called, so the after-phase early return is a success.
    expect(result).toBe('replaced')
    expect(ends.map((end) => end.outcome)).toEqual(['success'])
  })

  it('does nothing on a chain without containerLifetime()', async () => {
    // Prepare
    const handler = middy(async () => 'app', containerLifetimePlugin())
    const { ends, unsubscribe } = collectEnds()

    // Act
    const result = await handler({}, lambdaContext('a'))
    unsubscribe()

    // Assess
    expect(result).toBe('app')
    expect(ends).toEqual([])
    expect(getContainer().invocations).toBe(0)
  })

  it('keeps interleaved Managed Instances invocations apart: each ends once, with its own outcome', async () => {
    // Prepare: even requests return early from a before middleware after a wait, odd ones answer.
    const { store, stop } = await startManagedInstancesStore()
    try {
      const handler = middy(async (event: { n: number }) => {
        await sleep(event.n % 3)
        return `answered ${event.n}`
      }, containerLifetimePlugin())
        .use(containerLifetime())
        .use({
          before: async (request: { event: { n: number } }) => {
            await sleep(request.event.n % 4)
            return request.event.n % 2 === 0 ? `early ${request.event.n}` : undefined
          },
        })
      const { ends, unsubscribe } = collectEnds()
      const numbers = Array.from({ length: 30 }, (_, index) => index)

      // Act
      const results = await Promise.all(
        numbers.map((n) =>
          store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: `req-${n}` }, () =>
            handler({ n }, lambdaContext(`req-${n}`)),
          ),
        ),
      )
      unsubscribe()

      // Assess
      expect(results).toEqual(numbers.map((n) => (n % 2 === 0 ? `early ${n}` : `answered ${n}`)))
      const outcomeOf = new Map(ends.map((end) => [end.view.requestId, end.outcome]))
      expect(ends).toHaveLength(30)
      for (const n of numbers) {
        expect(outcomeOf.get(`req-${n}`)).toBe(n % 2 === 0 ? 'early-return' : 'success')
      }
      expect(getContainer()).toMatchObject({ invocations: 30, inFlight: 0 })
    } finally {
      stop()
    }
  })
})

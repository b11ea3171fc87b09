/**
 * Behaviour the mutation run (`npm run mutate -- logger`) found untested: the outcome of an invocation
 * (status codes, thrown values that are not errors), the end-line sampling boundary, the fields of a
 * sibling event, and the edges of the event copy (byte budget, depth, toJSON chains).
 */
import { Logger } from '@aws-lambda-powertools/logger'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime, emitLifecycle, type LifecycleEvent } from '@lambda-lifetime/container'
import { type LifecycleLoggerOptions, lifecycleLogger } from '@lambda-lifetime/logger'
import middy from '@middy/core'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'
import { captureLines, forgetLifecycleLoggers, type Line, linesOf } from './capture.js'

type Options = Omit<LifecycleLoggerOptions, 'logger'>

describe('lifecycleLogger edges found by mutation testing', () => {
  let lines: Line[]

  beforeEach(() => {
    resetContainer()
    forgetLifecycleLoggers()
    lines = captureLines()
  })

  afterEach(() => {
    jest.restoreAllMocks()
  })

  /** One invocation of a handler doing `work`; returns its `invocation.end` line (if written). */
  const endLineOf = async (
    work: () => Promise<unknown>,
    options: Options = {},
  ): Promise<Line | undefined> => {
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, ...options }))
      .handler(work)
    await handler({}, lambdaContext('req-1')).catch(() => undefined)
    return linesOf(lines, 'invocation.end')[0]
  }

  /** The copy of `event` written by `logEvent`. */
  const loggedEvent = async (event: unknown, options: Options = {}): Promise<Line> => {
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, logEvent: true, ...options }))
      .handler(async () => 'ok')
    await handler(event, lambdaContext('req-1'))
    const line = lines.find((written) => written.message === 'Lambda invocation event')
    if (line === undefined) throw new Error('no event line written')
    return line
  }

  it.each([
    [400, 'warn'],
    [499, 'warn'],
    [399, 'error'],
    [500, 'error'],
  ])(
    'classifies a failed invocation that answered %d at level %s (4xx is the client, the rest is us)',
    async (status, level) => {
      // Prepare
      const failWith = async (): Promise<never> => {
        throw Object.assign(new Error('answered'), { statusCode: status })
      }
      const logger = new Logger({ serviceName: 'orders' })
      const handler = middy()
        .use(containerLifetime())
        .use(lifecycleLogger({ logger }))
        .use({
          onError: (request: { response?: unknown }) => {
            request.response = { statusCode: status }
          },
        })
        .handler(failWith)

      // Act
      await handler({}, lambdaContext('req-1'))

      // Assess
      const [line] = linesOf(lines, 'invocation.end')
      expect(line).toMatchObject({ outcome: 'error', status_code: status, level: level.toUpperCase() })
    },
  )

  it('writes an uncaught error without a response at error level, not as a client error', async () => {
    // Act
    const line = await endLineOf(async () => {
      throw new Error('boom')
    })

    // Assess
    expect(line).toMatchObject({ outcome: 'error', level: 'ERROR', error_message: 'boom' })
    expect(line).not.toHaveProperty('status_code')
  })

  it.each([
    [null, 'object', 'null'],
    [undefined, 'undefined', 'undefined'],
    ['plain text', 'string', 'plain text'],
  ])('describes a thrown %p by its type and text', async (thrown, name, message) => {
    // Act
    const line = await endLineOf(async () => {
      throw thrown
    })

    // Assess
    expect(line).toMatchObject({ outcome: 'error', error_name: name, error_message: message })
  })

  it('writes no status code for a null response or a status code that is not a number, and no error fields on success', async () => {
    // Act
    const nullResponse = await endLineOf(async () => null)
    lines.length = 0
    resetContainer()
    forgetLifecycleLoggers()
    const textStatus = await endLineOf(async () => ({ statusCode: '200' }))

    // Assess
    for (const line of [nullResponse, textStatus]) {
      expect(line).not.toHaveProperty('outcome')
      expect(line).not.toHaveProperty('status_code')
      expect(line).not.toHaveProperty('error_name')
      expect(line).not.toHaveProperty('sample_rate')
    }
  })

  it('rounds durations to hundredths of a millisecond', async () => {
    // Act: at least 30 ms (a timer never fires early); the bound above is generous.
    const line = await endLineOf(() => new Promise((resolve) => setTimeout(resolve, 30, 'ok')))

    // Assess
    const duration = line?.duration_ms as number
    expect(duration).toBeGreaterThanOrEqual(25)
    expect(duration).toBeLessThan(20_000)
    expect(Math.round(duration * 100) / 100).toBe(duration)
  })

  it('samples a successful end line only when the draw is strictly below the rate', async () => {
    // Prepare
    const draw = jest.spyOn(Math, 'random')

    // Act
    draw.mockReturnValue(0.5)
    const atRate = await endLineOf(async () => 'ok', { endSampleRate: 0.5 })
    resetContainer()
    forgetLifecycleLoggers()
    draw.mockReturnValue(0.1)
    const belowRate = await endLineOf(async () => 'ok', { endSampleRate: 0.5 })

    // Assess
    expect(atRate).toBeUndefined()
    expect(belowRate).toMatchObject({ sample_rate: 0.5 })
    expect(belowRate).not.toHaveProperty('outcome')
  })

  it('always writes the end line of a failed invocation, whatever the draw, with a sample rate of 1', async () => {
    // Prepare
    jest.spyOn(Math, 'random').mockReturnValue(0.99)

    // Act
    const line = await endLineOf(
      async () => {
        throw new Error('boom')
      },
      { endSampleRate: 0.5 },
    )

    // Assess
    expect(line).toMatchObject({ outcome: 'error', sample_rate: 1 })
  })

  it('copies the scalar fields of a sibling event (booleans and finite numbers) and drops the rest, and ignores other families', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    lifecycleLogger({ logger })

    // Act
    emitLifecycle({
      type: 'breaker.open',
      at: Date.now(),
      breaker: 'payments',
      failures: 3,
      fromStore: false,
      ratio: Number.NaN,
      nested: { deep: true },
    } as unknown as LifecycleEvent)
    emitLifecycle({ type: 'queue.drained', at: Date.now() } as unknown as LifecycleEvent)

    // Assess
    const [line] = linesOf(lines, 'breaker.open')
    expect(line).toMatchObject({ breaker: 'payments', failures: 3, from_store: false })
    expect(line).not.toHaveProperty('ratio')
    expect(line).not.toHaveProperty('nested')
    expect(linesOf(lines, 'queue.drained')).toEqual([])
  })

  it('fills the byte budget exactly without truncating, and marks a string one byte over as truncated', async () => {
    // Prepare: a string costs its length plus 2 (its quotes).
    const fits = 'a'.repeat(62)
    const over = 'a'.repeat(63)

    // Act
    const exact = await loggedEvent(fits, { eventMaxBytes: 64 })
    lines.length = 0
    const cut = await loggedEvent(over, { eventMaxBytes: 64 })

    // Assess
    expect(exact.event).toBe(fits)
    expect(exact).not.toHaveProperty('event_truncated')
    expect(cut.event).toBe(`${'a'.repeat(62)}…`)
    expect(cut.event_truncated).toBe(true)
  })

  it('counts numbers against the byte budget', async () => {
    // Act
    const line = await loggedEvent(
      Array.from({ length: 200 }, (_, index) => index),
      { eventMaxBytes: 256 },
    )

    // Assess
    expect(line.event_truncated).toBe(true)
    expect((line.event as unknown[]).length).toBeLessThan(200)
  })

  it('ages the container by the time spent in the invocation on the timeout warning', async () => {
    // Prepare: a real timer, armed 100 ms before the end of a 160 ms budget.
    const logger = new Logger({ serviceName: 'orders' })
    const warned = async (): Promise<void> => {
      for (let turn = 0; turn < 1_000 && linesOf(lines, 'invocation.timeout-warning').length === 0; turn++) {
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    }
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, timeoutWarningMs: 100 }))
      .handler(async () => {
        await warned()
        logger.info('after the warning')
        return 'ok'
      })

    // Act
    await handler({}, lambdaContext('req-1', 160))

    // Assess
    const startAge = linesOf(lines, 'container.start')[0]?.container_age_ms as number
    const warningAge = linesOf(lines, 'invocation.timeout-warning')[0]?.container_age_ms as number
    expect(warningAge).toBeGreaterThanOrEqual(startAge + 40)
    expect(warningAge).toBeLessThan(startAge + 60_000)
    // Schema 2 leaves the age to the lifecycle lines: a user line joins them by container and invocation
    expect(lines.find((line) => line.message === 'after the warning')).toMatchObject({ invocation: 1 })
  })

  it('truncates nesting at depth 24, and follows a chain of toJSON results only as deep', async () => {
    // Prepare
    let nested: Record<string, unknown> = { leaf: true }
    for (let level = 0; level < 30; level++) nested = { down: nested }
    const endless = (): unknown => ({ toJSON: endless })

    // Act
    const deep = await loggedEvent(nested)
    lines.length = 0
    const chained = await loggedEvent({ value: endless() })

    // Assess
    let depth = 0
    let node = deep.event as Record<string, unknown> | string
    while (typeof node === 'object') {
      node = node.down as Record<string, unknown> | string
      depth++
    }
    expect(node).toBe('[Truncated]')
    expect(depth).toBe(24)
    expect(deep.event_truncated).toBe(true)
    expect(chained.event).toEqual({ value: '[Truncated]' })
  })
})

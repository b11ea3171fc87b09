import { Logger } from '@aws-lambda-powertools/logger'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  containerLifetime,
  emitLifecycle,
  type InvocationView,
  type LifecycleEvent,
  onShutdown,
} from '@lambda-lifetime/container'
import { LIFECYCLE_SCHEMA_VERSION, lifecycleLogger } from '@lambda-lifetime/logger'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import warmup from '@middy/warmup'
import { deliverSigterm, lambdaContext, resetContainer } from '../../../test/support/container.js'
import { captureLines, forgetLifecycleLoggers, type Line, linesOf, userLines } from './capture.js'

const STREAM = '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef'
const TRACE = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=1'
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** Only setTimeout/clearTimeout are faked: promises, setImmediate and the clocks stay real. */
const fakeTimeouts = (): void => {
  jest.useFakeTimers({
    doNotFake: [
      'Date',
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
    ],
  })
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

type Result = { statusCode: number; view: InvocationView }

/** The keys schema 2 puts on the lines a user writes during an invocation (with Powertools' context). */
const userKeysOf = (view: InvocationView): Line => ({
  container_id: view.containerId,
  invocation: view.invocation,
  cold_start: view.coldStart,
  function_request_id: view.requestId,
  function_name: 'test-function',
})

/** The Lambda context's constant facts, which Powertools puts on the user's lines. */
const CONSTANT_FACTS = {
  function_arn: 'arn:aws:lambda:eu-west-1:123456789012:function:test-function',
  function_memory_size: '128',
}

/** Powertools' keys of a line the test Logger writes at INFO. */
const POWERTOOLS_INFO = {
  level: 'INFO',
  service: 'orders',
  timestamp: expect.stringMatching(ISO),
  sampling_rate: 0,
}

describe('lifecycleLogger', () => {
  let lines: Line[]

  beforeEach(() => {
    resetContainer()
    forgetLifecycleLoggers()
    lines = captureLines()
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = STREAM
  })

  afterEach(() => {
    jest.useRealTimers()
    jest.restoreAllMocks()
    delete process.env.AWS_LAMBDA_LOG_STREAM_NAME
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE
    delete process.env._X_AMZN_TRACE_ID
  })

  it('writes container.start, container.thaw and invocation.end, and stamps every user line, over a cold and two warm invocations', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime({ thawThresholdMs: 0 }))
      .use(lifecycleLogger({ logger }))
      .handler(async (_event: unknown, context: { container: InvocationView }): Promise<Result> => {
        logger.info('handling')
        return { statusCode: 200, view: context.container }
      })

    // Act
    const results: Result[] = []
    for (const id of ['req-1', 'req-2', 'req-3']) {
      results.push(await handler({}, lambdaContext(id)))
      await nextTurn() // an idle gap, so that the warm invocations are thaws
    }

    // Assess
    const views = results.map((result) => result.view)
    const [first, second, third] = views as [InvocationView, InvocationView, InvocationView]
    expect(views.map((view) => view.invocation)).toEqual([1, 2, 3])
    // The constant facts, once: on container.start
    expect(linesOf(lines, 'container.start')).toEqual([
      {
        ...POWERTOOLS_INFO,
        ...userKeysOf(first),
        ...CONSTANT_FACTS,
        message: 'container.start',
        lifecycle_schema: LIFECYCLE_SCHEMA_VERSION,
        environment_id: STREAM,
        container_age_ms: expect.any(Number),
        start_type: 'cold',
        init_type: 'on-demand',
        since_runtime_start_ms: expect.any(Number),
        runtime_started_at: expect.stringMatching(ISO),
      },
    ])
    expect(linesOf(lines, 'container.thaw')).toEqual(
      [second, third].map((view) => ({
        ...POWERTOOLS_INFO,
        ...userKeysOf(view),
        message: 'container.thaw',
        lifecycle_schema: 2,
        container_age_ms: expect.any(Number),
        idle_ms: expect.any(Number),
      })),
    )
    expect(userLines(lines)).toEqual(
      views.map((view) => ({
        ...POWERTOOLS_INFO,
        ...CONSTANT_FACTS,
        ...userKeysOf(view),
        message: 'handling',
      })),
    )
    // What changes, only: the start type on the first, the idle time on the others
    const { function_name: _name, cold_start: _cold, ...perInvocation } = userKeysOf(first)
    expect(linesOf(lines, 'invocation.end')).toEqual([
      {
        ...POWERTOOLS_INFO,
        ...perInvocation,
        message: 'invocation.end',
        lifecycle_schema: 2,
        duration_ms: expect.any(Number),
        start_type: 'cold',
        status_code: 200,
      },
      ...[second, third].map((view) => ({
        ...POWERTOOLS_INFO,
        container_id: view.containerId,
        invocation: view.invocation,
        function_request_id: view.requestId,
        message: 'invocation.end',
        lifecycle_schema: 2,
        duration_ms: expect.any(Number),
        idle_ms: expect.any(Number),
        status_code: 200,
      })),
    ])
    for (const line of lines) expect(line).not.toHaveProperty('worker_id')
    expect(lines.map((line) => line.message)).toEqual([
      'container.start',
      'handling',
      'invocation.end',
      'container.thaw',
      'handling',
      'invocation.end',
      'container.thaw',
      'handling',
      'invocation.end',
    ])
  })

  it("puts this project's cold_start on every line, over Powertools' own flag", async () => {
    // Prepare: a warm container, then a fresh Logger whose own flag still says "cold start"
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand'
    await middy()
      .use(containerLifetime())
      .handler(async () => 'first')({}, lambdaContext('req-0'))
    const powertoolsOnly = new Logger({ serviceName: 'control' })
    powertoolsOnly.addContext(lambdaContext('req-control'))
    powertoolsOnly.info('control line')
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .handler(async () => {
        logger.info('handling')
        return 'ok'
      })

    // Act
    await handler({}, lambdaContext('req-1'))

    // Assess
    const [control] = lines.filter((line) => line.service === 'control')
    expect(control?.cold_start).toBe(true)
    const ours = userLines(lines).filter((line) => line.service === 'orders')
    expect(ours.map((line) => [line.message, line.cold_start])).toEqual([['handling', false]])
    // The end line of a warm invocation says nothing of its start: it is not the first
    expect(linesOf(lines, 'invocation.end')).toEqual([
      expect.not.objectContaining({ cold_start: expect.anything(), start_type: expect.anything() }),
    ])
  })

  it('writes invocation.end at error level with the error, and the invocation still fails', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .handler(async () => {
        throw new RangeError('no such order')
      })

    // Act
    const outcome = handler({}, lambdaContext('req-1'))

    // Assess
    await expect(outcome).rejects.toThrow('no such order')
    expect(linesOf(lines, 'invocation.end')).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        outcome: 'error',
        error_name: 'RangeError',
        error_message: 'no such order',
        function_request_id: 'req-1',
        invocation: 1,
      }),
    ])
    expect(linesOf(lines, 'invocation.end')[0]).not.toHaveProperty('status_code')
  })

  it('writes a failed invocation answered with a 4xx at warn level, and a 5xx at error level', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy<{ status: number }>()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .use(httpErrorHandler({ logger: false }))
      .handler(async (event) => {
        throw Object.assign(new Error('refused'), { statusCode: event.status, expose: true })
      })

    // Act
    await handler({ status: 400 }, lambdaContext('req-1'))
    await handler({ status: 503 }, lambdaContext('req-2'))

    // Assess
    expect(
      linesOf(lines, 'invocation.end').map((line) => [line.status_code, line.outcome, line.level]),
    ).toEqual([
      [400, 'error', 'WARN'],
      [503, 'error', 'ERROR'],
    ])
  })

  it('logs the thrown error, not what @middy/http-error-handler replaced it with (issue 11, bug 2)', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .use(httpErrorHandler({ logger: false }))
      .handler(async () => {
        throw new TypeError('order row missing')
      })

    // Act
    const response = await handler({}, lambdaContext('req-1'))

    // Assess: the client gets the stock 500, the log gets the real error
    expect(response).toEqual(expect.objectContaining({ statusCode: 500 }))
    expect(linesOf(lines, 'invocation.end')).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        outcome: 'error',
        status_code: 500,
        error_name: 'TypeError',
        error_message: 'order row missing',
        error_stack: expect.stringMatching(/^TypeError: order row missing\n {4}at /),
      }),
    ])
  })

  it('describes a thrown value that is not an Error', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const unprintable = Object.create(null)
    const thrown: unknown[] = ['plain string', { code: 42 }, unprintable, { message: 'shaped like one' }]
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .handler(async () => {
        throw thrown.shift()
      })

    // Act
    await expect(handler({}, lambdaContext('req-1'))).rejects.toBe('plain string')
    await expect(handler({}, lambdaContext('req-2'))).rejects.toEqual({ code: 42 })
    await expect(handler({}, lambdaContext('req-3'))).rejects.toBe(unprintable)
    await expect(handler({}, lambdaContext('req-4'))).rejects.toEqual({ message: 'shaped like one' })

    // Assess
    expect(linesOf(lines, 'invocation.end').map((line) => [line.error_name, line.error_message])).toEqual([
      ['string', 'plain string'],
      ['object', '[object Object]'],
      ['object', '[unprintable]'],
      ['Error', 'shaped like one'],
    ])
    for (const line of linesOf(lines, 'invocation.end')) expect(line).not.toHaveProperty('error_stack')
  })

  it('writes invocation.end once for an early return by @middy/warmup and clears the timeout timer', async () => {
    // Prepare
    fakeTimeouts()
    const logger = new Logger({ serviceName: 'orders' })
    const handled = jest.fn(async () => 'handled')
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, timeoutWarningMs: 500 }))
      .use(warmup())
      .handler(handled)

    // Act
    const response = await handler({ source: 'serverless-plugin-warmup' }, lambdaContext('req-1', 1_000))
    const timersLeft = jest.getTimerCount()
    jest.advanceTimersByTime(5_000)

    // Assess
    expect(response).toBe('warmup')
    expect(handled).not.toHaveBeenCalled()
    expect(timersLeft).toBe(0)
    expect(linesOf(lines, 'invocation.end')).toEqual([
      expect.objectContaining({ outcome: 'early-return', function_request_id: 'req-1', invocation: 1 }),
    ])
    expect(linesOf(lines, 'invocation.timeout-warning')).toEqual([])
  })

  it('warns at the margin before the deadline while the handler still runs', async () => {
    // Prepare
    fakeTimeouts()
    const logger = new Logger({ serviceName: 'orders' })
    let release: () => void = () => undefined
    let started = false
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, timeoutWarningMs: 300 }))
      .handler(async (_event: unknown, context: { container: InvocationView }) => {
        started = true
        await new Promise<void>((resolve) => {
          release = resolve
        })
        return context.container
      })

    // Act
    const running = handler({}, lambdaContext('req-1', 1_000))
    while (!started) await nextTurn()
    jest.advanceTimersByTime(699)
    const before = linesOf(lines, 'invocation.timeout-warning').length
    jest.advanceTimersByTime(1)
    release()
    const view = await running

    // Assess
    expect(before).toBe(0)
    expect(linesOf(lines, 'invocation.timeout-warning')).toEqual([
      {
        level: 'WARN',
        message: 'invocation.timeout-warning',
        service: 'orders',
        timestamp: expect.stringMatching(ISO),
        sampling_rate: 0,
        lifecycle_schema: 2,
        remaining_ms: 1_000,
        container_id: view.containerId,
        invocation: 1,
        function_request_id: 'req-1',
        function_name: 'test-function',
        cold_start: view.coldStart,
        container_age_ms: expect.any(Number),
      },
    ])
    expect(jest.getTimerCount()).toBe(0)
  })

  it('arms no timer when the context cannot tell the remaining time, or when turned off', async () => {
    // Prepare
    fakeTimeouts()
    const logger = new Logger({ serviceName: 'orders' })
    const counts: number[] = []
    const count = async () => {
      counts.push(jest.getTimerCount())
      return 'ok'
    }
    const armed = middy().use(containerLifetime()).use(lifecycleLogger({ logger })).handler(count)
    const turnedOff = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, timeoutWarningMs: false }))
      .handler(count)

    // Act: counted inside the handler, before Middy arms its own early-timeout timer
    await armed({}, lambdaContext('req-1'))
    await armed({}, { awsRequestId: 'req-2' } as ReturnType<typeof lambdaContext>)
    await turnedOff({}, lambdaContext('req-3'))

    // Assess
    expect(counts).toEqual([1, 0, 0])
  })

  it('warns with the invocation of a frozen context', async () => {
    // Prepare
    fakeTimeouts()
    const logger = new Logger({ serviceName: 'orders' })
    const slow = async () => {
      jest.advanceTimersByTime(1_000)
      return 'ok'
    }
    const frozen = middy().use(containerLifetime()).use(lifecycleLogger({ logger })).handler(slow)

    // Act
    await frozen({}, Object.freeze(lambdaContext('req-1', 600)))

    // Assess
    expect(linesOf(lines, 'invocation.timeout-warning')).toEqual([
      expect.objectContaining({ invocation: 1, function_request_id: 'req-1', remaining_ms: 600 }),
    ])
  })

  it('writes container.shutdown on SIGTERM, then flushes the logs buffered after the last invocation', async () => {
    // Prepare
    process.env._X_AMZN_TRACE_ID = TRACE
    const logger = new Logger({ serviceName: 'orders', logBufferOptions: { enabled: true } })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .handler(async () => {
        logger.debug('buffered during a successful invocation')
        return 'ok'
      })
    await handler({}, lambdaContext('req-1'))
    onShutdown(() => logger.debug('draining the pool'), { name: 'pool' })

    // Act
    await deliverSigterm()

    // Assess
    const shutdown = linesOf(lines, 'container.shutdown')
    expect(shutdown).toEqual([
      expect.objectContaining({
        level: 'INFO',
        lifecycle_schema: 2,
        invocations: 1,
        reason: 'SIGTERM',
        container_id: expect.any(String),
        container_age_ms: expect.any(Number),
      }),
    ])
    for (const key of [
      'environment_id',
      'function_arn',
      'function_memory_size',
      'function_request_id',
      'xray_trace_id',
      'cold_start',
      'invocation',
      'start_type',
      'idle_ms',
    ]) {
      expect(shutdown[0]).not.toHaveProperty(key)
    }
    expect(lines.map((line) => line.message)).toEqual([
      'container.start',
      'invocation.end',
      'container.shutdown',
      'draining the pool',
    ])
  })

  it('prints the buffered logs of a failed invocation with its error line', async () => {
    // Prepare
    process.env._X_AMZN_TRACE_ID = TRACE
    const logger = new Logger({ serviceName: 'orders', logBufferOptions: { enabled: true } })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .handler(async () => {
        logger.debug('what led to it')
        throw new Error('boom')
      })

    // Act
    await expect(handler({}, lambdaContext('req-1'))).rejects.toThrow('boom')

    // Assess
    expect(lines.map((line) => line.message)).toEqual(['container.start', 'what led to it', 'invocation.end'])
    expect(lines[1]).toEqual(expect.objectContaining({ function_request_id: 'req-1', invocation: 1 }))
  })

  it('flushes a failed invocation’s buffer whatever the end line’s level with flushBufferOnUncaughtError', async () => {
    // Prepare: the failed end line written at warn level would not flush the buffer by itself
    process.env._X_AMZN_TRACE_ID = TRACE
    const handlerWith = (flushBufferOnUncaughtError: boolean) => {
      const logger = new Logger({ serviceName: 'orders', logBufferOptions: { enabled: true } })
      return middy()
        .use(containerLifetime())
        .use(
          lifecycleLogger({
            logger,
            flushBufferOnUncaughtError,
            levels: { 'container.start': false, 'invocation.end.error': 'warn' },
          }),
        )
        .handler(async () => {
          logger.debug(`what led to it (${flushBufferOnUncaughtError})`)
          throw new Error('boom')
        })
    }

    // Act
    await expect(handlerWith(false)({}, lambdaContext('req-1'))).rejects.toThrow('boom')
    await expect(handlerWith(true)({}, lambdaContext('req-2'))).rejects.toThrow('boom')

    // Assess
    expect(lines.map((line) => [line.message, line.function_request_id])).toEqual([
      ['invocation.end', 'req-1'],
      ['what led to it (true)', 'req-2'],
      ['invocation.end', 'req-2'],
    ])
  })

  it('logs the event when the Logger says so (POWERTOOLS_LOGGER_LOG_EVENT), as injectLambdaContext does', async () => {
    // Prepare
    process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true'
    const fromEnvironment = new Logger({ serviceName: 'env' })
    delete process.env.POWERTOOLS_LOGGER_LOG_EVENT
    const handlerWith = (options: Omit<Parameters<typeof lifecycleLogger>[0], 'logger'>) =>
      middy()
        .use(containerLifetime())
        .use(lifecycleLogger({ logger: fromEnvironment, ...options }))
        .handler(async () => 'ok')

    // Act
    await handlerWith({})({ headers: { authorization: 'secret' } }, lambdaContext('req-1'))
    await handlerWith({ logEvent: false })({ id: 2 }, lambdaContext('req-2'))

    // Assess
    const logged = lines.filter((line) => line.message === 'Lambda invocation event')
    expect(logged).toEqual([
      expect.objectContaining({
        function_request_id: 'req-1',
        event: { headers: { authorization: '[REDACTED]' } },
      }),
    ])
  })

  it('writes only the container lines of its own invocation, not one emitted by hand before it', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .handler(async () => 'ok')
    await handler({}, lambdaContext('req-1'))
    const stale = linesOf(lines, 'container.start').length

    // Act: a stray thaw event with another view, outside any invocation
    emitLifecycle({
      type: 'container.thaw',
      at: Date.now(),
      view: {},
      idleMs: 1,
    } as unknown as LifecycleEvent)
    await handler({}, lambdaContext('req-2'))

    // Assess
    expect(stale).toBe(1)
    expect(linesOf(lines, 'container.thaw')).toEqual([])
    expect(linesOf(lines, 'invocation.end')).toHaveLength(2)
  })

  it('samples successful invocation.end lines at random and always writes failed ones, each with sample_rate', async () => {
    // Prepare
    const draws = [0.2, 0.8, 0.1, 0.9]
    jest.spyOn(Math, 'random').mockImplementation(() => draws.shift() ?? 0.99)
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy<{ fail?: boolean }>()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, endSampleRate: 0.5 }))
      .handler(async (event: { fail?: boolean }) => {
        if (event.fail) throw new Error('failed')
        return 'ok'
      })

    // Act
    for (let index = 1; index <= 4; index++) await handler({}, lambdaContext(`req-${index}`))
    await expect(handler({ fail: true }, lambdaContext('req-5'))).rejects.toThrow('failed')

    // Assess
    expect(
      linesOf(lines, 'invocation.end').map((line) => [line.invocation, line.outcome, line.sample_rate]),
    ).toEqual([
      [1, undefined, 0.5],
      [3, undefined, 0.5],
      [5, 'error', 1],
    ])
  })

  it('samples invocation.end lines per container by invocation number, and never any other line', async () => {
    // Prepare: the first 3 lines, then 1 in 4; a thaw on every invocation, a breaker opening on the 6th
    // (a new runtime runs its Init again: each container builds its handler)
    const newRuntime = () =>
      middy<{ fail?: boolean; status?: number; trip?: boolean }>()
        .use(containerLifetime({ thawThresholdMs: 0 }))
        .use(
          lifecycleLogger({
            logger: new Logger({ serviceName: 'orders' }),
            sampling: { first: 3, oneIn: 4 },
          }),
        )
        .handler(async (event) => {
          if (event.trip)
            emitLifecycle({ type: 'breaker.open', at: Date.now(), breaker: 'payments' } as never)
          if (event.fail) throw new Error('failed')
          return { statusCode: event.status ?? 200 }
        })
    let handler = newRuntime()
    const invoke = async (invocation: number) => {
      const event = { fail: invocation === 5, status: invocation === 8 ? 429 : 200, trip: invocation === 6 }
      await handler(event, lambdaContext(`req-${invocation}`)).catch(() => undefined)
      await nextTurn()
    }

    // Act: 12 invocations in one container, then SIGTERM, then 4 in the next one
    for (let invocation = 1; invocation <= 12; invocation++) await invoke(invocation)
    await deliverSigterm()
    resetContainer()
    forgetLifecycleLoggers()
    handler = newRuntime()
    for (let invocation = 1; invocation <= 4; invocation++) await invoke(invocation)

    // Assess: 1-3, 5 (error), 7 and 11 (the rule), 8 (a 429); then 1-3 of the next container
    expect(
      linesOf(lines, 'invocation.end').map((line) => [line.invocation, line.sample_rate, line.sample_first]),
    ).toEqual([
      [1, undefined, undefined],
      [2, undefined, undefined],
      [3, undefined, undefined],
      [5, 1, undefined],
      [7, 0.25, 3],
      [8, 1, undefined],
      [11, 0.25, 3],
      [1, undefined, undefined],
      [2, undefined, undefined],
      [3, undefined, undefined],
    ])
    // container.start tells the rule, so a reader knows it even when no sampled line follows
    expect(linesOf(lines, 'container.start')).toEqual([
      expect.objectContaining({ sample_rate: 0.25, sample_first: 3 }),
      expect.objectContaining({ sample_rate: 0.25, sample_first: 3 }),
    ])
    expect(linesOf(lines, 'container.thaw')).toHaveLength(11 + 3)
    expect(linesOf(lines, 'breaker.open')).toHaveLength(1)
    expect(linesOf(lines, 'container.shutdown')).toEqual([expect.objectContaining({ invocations: 12 })])
  })

  it('writes each line kind at its configured level, or not at all', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders', logLevel: 'DEBUG' })
    const handler = middy()
      .use(containerLifetime())
      .use(
        lifecycleLogger({
          logger,
          levels: { 'container.start': false, 'invocation.end': 'debug', 'pool.*': false },
        }),
      )
      .handler(async () => {
        emitLifecycle({ type: 'pool.create', at: Date.now(), resource: 'pg' } as unknown as LifecycleEvent)
        return 'ok'
      })

    // Act
    await handler({}, lambdaContext('req-1'))

    // Assess
    expect(lines.map((line) => [line.message, line.level])).toEqual([['invocation.end', 'DEBUG']])
  })

  it('stamps every logger of a set and writes the lifecycle lines through the first one only', async () => {
    // Prepare
    const main = new Logger({ serviceName: 'main' })
    const audit = new Logger({ serviceName: 'audit' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger: [main, audit] }))
      .handler(async () => {
        audit.info('audited')
        return 'ok'
      })

    // Act
    await handler({}, lambdaContext('req-1'))

    // Assess
    expect(lines.map((line) => [line.service, line.message])).toEqual([
      ['main', 'container.start'],
      ['audit', 'audited'],
      ['main', 'invocation.end'],
    ])
    expect(lines[1]).toEqual(
      expect.objectContaining({
        invocation: 1,
        function_request_id: 'req-1',
        container_id: expect.any(String),
      }),
    )
  })

  it('leaves no per-invocation key on lines written between invocations', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .handler(async () => 'ok')
    await handler({}, lambdaContext('req-1'))

    // Act
    logger.info('between invocations')

    // Assess
    const [line] = userLines(lines)
    expect(line).toEqual(expect.objectContaining({ container_id: expect.any(String) }))
    for (const key of ['invocation', 'cold_start', 'start_type', 'idle_ms', 'container_age_ms']) {
      expect(line).not.toHaveProperty(key)
    }
  })

  it('writes breaker.* and pool.* events with their scalar fields in snake_case', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const emitSibling = (event: Record<string, unknown>) =>
      emitLifecycle({ at: Date.now(), ...event } as unknown as LifecycleEvent)
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .handler(async () => {
        emitSibling({
          type: 'pool.recreate',
          resource: 'pg',
          reason: 'validation-failed',
          created: 1,
          reused: 4,
        })
        return 'ok'
      })
    await handler({}, lambdaContext('req-1'))

    // Act
    emitSibling({
      type: 'breaker.halfOpen',
      breaker: 'payments',
      failures: 3,
      successes: 1,
      rejects: 0,
      timeouts: 0,
      source: 'local',
      lastFailureAt: 5,
      stats: { fires: 9 },
      container_id: 'spoofed',
      openedAt: Number.NaN,
    })
    emitSibling({ type: 'custom.thing', value: 1 })

    // Assess
    const [pool] = linesOf(lines, 'pool.recreate')
    expect(pool).toEqual(
      expect.objectContaining({
        level: 'INFO',
        lifecycle_schema: 2,
        resource: 'pg',
        reason: 'validation-failed',
        created: 1,
        reused: 4,
        invocation: 1,
        function_request_id: 'req-1',
        container_age_ms: expect.any(Number),
      }),
    )
    const [breaker] = linesOf(lines, 'breaker.halfOpen')
    expect(breaker).toEqual({
      level: 'INFO',
      message: 'breaker.halfOpen',
      timestamp: expect.stringMatching(ISO),
      service: 'orders',
      function_name: 'test-function',
      sampling_rate: 0,
      lifecycle_schema: 2,
      container_id: pool?.container_id,
      container_age_ms: expect.any(Number),
      breaker: 'payments',
      failures: 3,
      successes: 1,
      rejects: 0,
      timeouts: 0,
      source: 'local',
      last_failure_at: 5,
    })
    expect(linesOf(lines, 'custom.thing')).toEqual([])
  })

  it('writes breaker.open at warn level by default and follows a family level', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    lifecycleLogger({ logger, levels: { 'pool.*': 'error' } })

    // Act
    emitLifecycle({ type: 'breaker.open', at: Date.now(), breaker: 'payments' } as unknown as LifecycleEvent)
    emitLifecycle({ type: 'breaker.close', at: Date.now(), breaker: 'payments' } as unknown as LifecycleEvent)
    emitLifecycle({ type: 'pool.dispose', at: Date.now(), resource: 'pg' } as unknown as LifecycleEvent)

    // Assess
    expect(lines.map((line) => [line.message, line.level])).toEqual([
      ['breaker.open', 'WARN'],
      ['breaker.close', 'INFO'],
      ['pool.dispose', 'ERROR'],
    ])
    // Before any invocation the runtime has no container id yet.
    expect(lines[0]).not.toHaveProperty('container_id')
  })

  it('adds worker_id to container.start under Managed Instances', async () => {
    // Prepare
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'lambda-managed-instances'
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .handler(async (_event: unknown, context: { container: InvocationView }) => {
        logger.info('handling')
        return context.container
      })

    // Act
    const view = await handler({}, lambdaContext('req-1'))

    // Assess
    expect(lines.map((line) => [line.message, line.worker_id, line.start_type, line.cold_start])).toEqual([
      ['container.start', view.workerId, 'pre-initialized', false],
      ['handling', undefined, undefined, false],
      ['invocation.end', undefined, 'pre-initialized', undefined],
    ])
    expect(lines[0]?.init_type).toBe('lambda-managed-instances')
  })
})

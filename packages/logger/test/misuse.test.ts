/**
 * Issue 13, section 3: misuse is loud, and several lifecycleLoggers in one process never write a line
 * twice. Real Middy, real Powertools Logger.
 */
import { Logger } from '@aws-lambda-powertools/logger'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { resetWarnings } from '@lambda-lifetime/commons'
import { containerLifetime, emitLifecycle, type LifecycleEvent } from '@lambda-lifetime/container'
import { lifecycleLogger } from '@lambda-lifetime/logger'
import middy from '@middy/core'
import warmup from '@middy/warmup'
import { deliverSigterm, lambdaContext, resetContainer } from '../../../test/support/container.js'
import { captureLines, forgetLifecycleLoggers, type Line, linesOf } from './capture.js'

type WarningCall = [string, { type: string; code: string }]

describe('lifecycleLogger misuse', () => {
  let lines: Line[]
  let warnings: WarningCall[]

  beforeEach(() => {
    resetContainer()
    forgetLifecycleLoggers()
    resetWarnings()
    lines = captureLines()
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    warnings = emitWarning.mock.calls as unknown as WarningCall[]
  })

  afterEach(() => {
    jest.restoreAllMocks()
    resetWarnings()
  })

  const codes = (): string[] => warnings.map(([, options]) => options.code)

  it('warns once, naming the fix, when containerLifetime() is not in the chain', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(lifecycleLogger({ logger }))
      .handler(async () => 'ok')

    // Act
    await handler({}, lambdaContext('req-1'))
    await handler({}, lambdaContext('req-2'))

    // Assess
    expect(lines).toEqual([])
    expect(codes()).toEqual(['LAMBDA_LIFETIME_LOGGER_NO_CONTAINER'])
    expect(warnings[0]?.[0]).toContain('middy().use(containerLifetime()).use(lifecycleLogger({ logger }))')
    expect(warnings[0]?.[1].type).toBe('LambdaLifetimeWarning')
  })

  it('warns when containerLifetime() comes after it, and still writes every lifecycle line once', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(lifecycleLogger({ logger }))
      .use(containerLifetime())
      .handler(async () => 'ok')

    // Act
    await handler({}, lambdaContext('req-1'))

    // Assess
    expect(codes()).toEqual(['LAMBDA_LIFETIME_LOGGER_NO_CONTAINER'])
    expect(lines.map((line) => [line.message, line.function_request_id])).toEqual([
      ['container.start', 'req-1'],
      ['invocation.end', 'req-1'],
    ])
  })

  it.each([
    [
      'two lifecycleLoggers',
      (logger: Logger) => [
        lifecycleLogger({ logger, logEvent: true }),
        lifecycleLogger({ logger, logEvent: true }),
      ],
    ],
    [
      'the same lifecycleLogger twice',
      (logger: Logger) => {
        const once = lifecycleLogger({ logger, logEvent: true })
        return [once, once]
      },
    ],
  ])('warns about %s in one chain and writes every line once', async (_case, twice) => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(twice(logger))
      .handler(async () => {
        logger.info('handling')
        return 'ok'
      })

    // Act
    await handler({ id: 1 }, lambdaContext('req-1'))
    await handler({ id: 2 }, lambdaContext('req-2'))

    // Assess
    expect(codes()).toEqual(['LAMBDA_LIFETIME_LOGGER_TWICE'])
    expect(warnings[0]?.[0]).toContain('lifecycleLogger({ logger: [a, b] })')
    const messages = lines
      .map((line) => line.message)
      .filter((message) => message !== 'Lambda invocation event')
    expect(messages).toEqual(['container.start', 'handling', 'invocation.end', 'handling', 'invocation.end'])
    expect(lines.filter((line) => line.message === 'Lambda invocation event')).toHaveLength(2)
  })

  it('serves two handlers in one process, each through its own logger, with every line once', async () => {
    // Prepare: two handler modules bundled together, each with its own Logger and lifecycleLogger
    const ordersLogger = new Logger({ serviceName: 'orders' })
    const usersLogger = new Logger({ serviceName: 'users' })
    const orders = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger: ordersLogger }))
      .handler(async () => {
        ordersLogger.info('order placed')
        emitLifecycle({ type: 'pool.create', at: Date.now(), resource: 'pg' } as unknown as LifecycleEvent)
        return 'ok'
      })
    const users = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger: usersLogger }))
      .use(warmup())
      .handler(async () => {
        usersLogger.info('user read')
        return 'ok'
      })

    // Act
    await users({}, lambdaContext('req-1'))
    await orders({}, lambdaContext('req-2'))
    await users({ source: 'serverless-plugin-warmup' }, lambdaContext('req-3'))
    emitLifecycle({ type: 'breaker.open', at: Date.now(), breaker: 'payments' } as unknown as LifecycleEvent)
    await deliverSigterm()

    // Assess
    expect(codes()).toEqual([])
    expect(lines.map((line) => [line.service, line.message, line.function_request_id])).toEqual([
      ['users', 'container.start', 'req-1'],
      ['users', 'user read', 'req-1'],
      ['users', 'invocation.end', 'req-1'],
      ['orders', 'order placed', 'req-2'],
      ['orders', 'pool.create', 'req-2'],
      ['orders', 'invocation.end', 'req-2'],
      ['users', 'invocation.end', 'req-3'],
      ['orders', 'breaker.open', undefined],
      ['orders', 'container.shutdown', undefined],
    ])
    expect(linesOf(lines, 'invocation.end').map((line) => line.invocation)).toEqual([1, 2, 3])
  })

  it('writes an invocation that no lifecycleLogger reached once, through the first one', async () => {
    // Prepare: an early return between containerLifetime() and the logger, with two loggers around
    const first = new Logger({ serviceName: 'first' })
    const second = new Logger({ serviceName: 'second' })
    lifecycleLogger({ logger: first })
    const handler = middy()
      .use(containerLifetime())
      .use(warmup())
      .use(lifecycleLogger({ logger: second }))
      .handler(async () => 'ok')

    // Act
    await handler({ source: 'serverless-plugin-warmup' }, lambdaContext('req-1'))

    // Assess
    expect(lines.map((line) => [line.service, line.message, line.outcome, line.function_request_id])).toEqual(
      [
        ['first', 'container.start', undefined, 'req-1'],
        ['first', 'invocation.end', 'early-return', 'req-1'],
      ],
    )
  })

  it('warns when created during an invocation, and leaves that invocation alone', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .handler(async () => {
        lifecycleLogger({ logger })
        return 'ok'
      })

    // Act
    await handler({}, lambdaContext('req-1'))

    // Assess
    expect(codes()).toEqual(['LAMBDA_LIFETIME_LOGGER_PER_REQUEST'])
    expect(warnings[0]?.[0]).toContain('create it once, at module scope')
    expect(lines).toEqual([])
  })
})

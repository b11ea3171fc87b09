import { Logger } from '@aws-lambda-powertools/logger'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime } from '@lambda-lifetime/container'
import { type LifecycleLoggerOptions, lifecycleLogger } from '@lambda-lifetime/logger'
import middy from '@middy/core'
import fc from 'fast-check'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'
import { captureLines, forgetLifecycleLoggers, type Line, linesOf } from './capture.js'

type Options = Omit<LifecycleLoggerOptions, 'logger'>

const eventLines = (lines: Line[]): Line[] =>
  lines.filter((line) => line.message === 'Lambda invocation event')

describe('logEvent and bad input', () => {
  let lines: Line[]

  beforeEach(() => {
    resetContainer()
    forgetLifecycleLoggers()
    lines = captureLines()
  })

  afterEach(() => {
    jest.restoreAllMocks()
  })

  /** A handler that logs its event; returns the logged event value of one invocation. */
  const logged = async (event: unknown, options: Options = {}, context = lambdaContext('req-1')) => {
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, logEvent: true, ...options }))
      .handler(async () => 'ok')
    const response = await handler(event, context)
    const [line] = eventLines(lines).slice(-1)
    return { response, line: line as Line, event: line?.event }
  }

  it('redacts credential headers, case-insensitively, wherever they appear, and leaves the event untouched', async () => {
    // Prepare
    const event = {
      headers: { Authorization: 'Bearer t', cookie: 'c=1', 'X-API-Key': 'k', accept: '*/*' },
      multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], 'x-trace': ['1'] },
      cookies: ['session=secret'],
      requestContext: { http: { method: 'GET' } },
    }
    const original = structuredClone(event)

    // Act
    const { event: value } = await logged(event)

    // Assess
    expect(value).toEqual({
      headers: {
        Authorization: '[REDACTED]',
        cookie: '[REDACTED]',
        'X-API-Key': '[REDACTED]',
        accept: '*/*',
      },
      multiValueHeaders: { 'Set-Cookie': '[REDACTED]', 'x-trace': ['1'] },
      cookies: '[REDACTED]',
      requestContext: { http: { method: 'GET' } },
    })
    expect(event).toEqual(original)
  })

  it('redacts configured headers and paths, with * matching any key or index', async () => {
    // Prepare
    const event = {
      headers: { 'X-Tenant-Token': 't', host: 'h' },
      body: '{"password":"p"}',
      requestContext: { authorizer: { jwt: { claims: { sub: 'u' } }, lambda: { role: 'r' } }, stage: 'prod' },
      Records: [
        { body: 'one', id: 1 },
        { body: 'two', id: 2 },
      ],
    }

    // Act
    const { event: value } = await logged(event, {
      redactHeaders: ['x-tenant-token'],
      redactPaths: ['body', 'requestContext.authorizer.*', 'requestContext.stage', 'Records.*.body'],
    })

    // Assess
    expect(value).toEqual({
      headers: { 'X-Tenant-Token': '[REDACTED]', host: 'h' },
      body: '[REDACTED]',
      requestContext: { authorizer: { jwt: '[REDACTED]', lambda: '[REDACTED]' }, stage: '[REDACTED]' },
      Records: [
        { body: '[REDACTED]', id: 1 },
        { body: '[REDACTED]', id: 2 },
      ],
    })
  })

  it('logs events that are not objects', async () => {
    for (const event of ['a string event', 42, null, [1, 'two'], true]) {
      // Act
      const { response, event: value } = await logged(event)

      // Assess
      expect(response).toBe('ok')
      // Powertools drops null-valued keys from its lines.
      expect(value).toEqual(event ?? undefined)
    }
  })

  it('cuts circular references, unreadable properties and values JSON has no place for', async () => {
    // Prepare
    const event: Record<string, unknown> = {
      when: new Date('2026-11-27T08:00:00.000Z'),
      big: 10n ** 20n,
      error: new TypeError('bad'),
      bytes: Buffer.from('abc'),
      fn: () => 'x',
      symbol: Symbol('s'),
      spread: { shared: 1 },
    }
    event.self = event
    event.again = event.spread
    Object.defineProperty(event, 'broken', {
      enumerable: true,
      get: () => {
        throw new Error('getter')
      },
    })
    event.proxy = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('trap')
        },
      },
    )
    Object.defineProperty(event, '__proto__', { enumerable: true, value: { polluted: true } })

    // Act
    const { response, event: value } = await logged(event)

    // Assess
    expect(response).toBe('ok')
    expect(value).toEqual({
      when: '2026-11-27T08:00:00.000Z',
      big: '100000000000000000000',
      error: { name: 'TypeError', message: 'bad' },
      bytes: '[Binary 3 bytes]',
      spread: { shared: 1 },
      self: '[Circular]',
      again: { shared: 1 },
      broken: '[Unreadable]',
      proxy: '[Unreadable]',
    })
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
  })

  it('cuts huge and deep events short and says so, keeping the line valid and bounded', async () => {
    // Prepare
    let deep: unknown = 'bottom'
    for (let depth = 0; depth < 10_000; depth++) deep = { deep }
    const huge = { body: 'x'.repeat(2_000_000), items: Array.from({ length: 100_000 }, (_, index) => index) }

    // Act
    const deepResult = await logged(deep)
    const hugeResult = await logged(huge, { eventMaxBytes: 4_096 })

    // Assess
    expect(deepResult.response).toBe('ok')
    expect(deepResult.line.event_truncated).toBe(true)
    expect(JSON.stringify(deepResult.event)).toContain('[Truncated]')
    expect(hugeResult.line.event_truncated).toBe(true)
    const printed = JSON.stringify(hugeResult.event)
    expect(printed.length).toBeLessThan(4_096 + 200)
    expect((hugeResult.event as { body: string }).body).toMatch(/^x+…$/)
  })

  it('stops adding entries once the size budget is spent', async () => {
    // Act
    const { line, event: value } = await logged(
      { first: 'a'.repeat(40), second: 'b', third: 'c' },
      { eventMaxBytes: 64 },
    )

    // Assess
    expect(line.event_truncated).toBe(true)
    expect(Object.keys(value as object)).toEqual(['first', 'second'])
  })

  it('never fails an invocation over an arbitrary event', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, logEvent: true, redactPaths: ['a.*', 'b'], eventMaxBytes: 2_048 }))
      .handler(async () => 'ok')

    // Act, Assess: every captured line was parsed as JSON by the capture
    await fc.assert(
      fc.asyncProperty(
        fc.anything({ withBigInt: true, withDate: true, withTypedArray: true, withMap: true }),
        async (event) => {
          expect(await handler(event, lambdaContext('req'))).toBe('ok')
        },
      ),
      { numRuns: 150 },
    )
    expect(eventLines(lines)).toHaveLength(150)
  })

  it('runs with a context that is not an object', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .handler(async () => 'ok')

    // Act
    const response = await handler({}, 'not a context' as unknown as ReturnType<typeof lambdaContext>)

    // Assess
    expect(response).toBe('ok')
    expect(linesOf(lines, 'invocation.end')).toEqual([
      expect.objectContaining({ invocation: 1, duration_ms: expect.any(Number) }),
    ])
  })

  it('runs with a context missing its fields, and with a frozen one', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, logEvent: true }))
      .handler(async () => {
        logger.info('handling')
        return 'ok'
      })

    // Act
    const bare = await handler({}, {} as ReturnType<typeof lambdaContext>)
    const frozen = await handler({}, Object.freeze(lambdaContext('req-2')))

    // Assess
    expect([bare, frozen]).toEqual(['ok', 'ok'])
    const ends = linesOf(lines, 'invocation.end')
    expect(ends.map((line) => [line.invocation, line.function_request_id])).toEqual([
      [1, undefined],
      [2, 'req-2'],
    ])
    expect(lines.filter((line) => line.message === 'handling').map((line) => line.invocation)).toEqual([1, 2])
  })
})

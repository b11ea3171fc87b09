/**
 * Issue 21: nothing one request appends to the logger is on the next request's lines. Real Middy, real
 * Powertools Logger (its output parsed as JSON), real invoke store for the Managed Instances cases.
 */
import { InvokeStoreBase } from '@aws/lambda-invoke-store'
import { Logger } from '@aws-lambda-powertools/logger'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime } from '@lambda-lifetime/container'
import { lifecycleLogger } from '@lambda-lifetime/logger'
import middy from '@middy/core'
import warmup from '@middy/warmup'
import fc from 'fast-check'
import {
  type InvokeStoreInstance,
  lambdaContext,
  resetContainer,
  startManagedInstancesStore,
} from '../../../test/support/container.js'
import { captureLines, forgetLifecycleLoggers, type Line, linesOf, userLines } from './capture.js'

type Ending = 'success' | 'error' | 'early-return'

interface KeyEvent {
  readonly user: string
  readonly ending: Ending
  readonly source?: string
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

interface Step {
  readonly op: 'append' | 'remove' | 'persist' | 'log'
  readonly key: string
}

/**
 * Runs one step of a property's invocation on the logger. A temporary value names its request
 * (`t:req-3`), a persistent one too (`p:req-3`); `mine` models the temporary keys this request holds,
 * and each `log` step records what its line must show for the keys that are never persistent.
 */
const applyStep = (
  logger: Logger,
  id: string,
  [index, step]: [number, Step],
  mine: Record<string, string>,
  expected: Record<string, Record<string, string>>,
): void => {
  if (step.op === 'append') {
    logger.appendKeys({ [step.key]: `t:${id}` })
    mine[step.key] = `t:${id}`
  } else if (step.op === 'remove') {
    logger.removeKeys([step.key])
    delete mine[step.key]
  } else if (step.op === 'persist') {
    logger.appendPersistentKeys({ [step.key]: `p:${id}` })
  } else {
    logger.info(`${id} step ${index}`)
    expected[`${id} step ${index}`] = { ...mine }
  }
}

/**
 * A chain whose handler appends a temporary key and a persistent key, then ends as asked: a result, a
 * thrown error, or an early return by @middy/warmup (after a middleware that appended the key).
 */
const keyedHandler = (logger: Logger, options: { resetKeys?: boolean } = {}) =>
  middy<KeyEvent>()
    .use(containerLifetime())
    .use(lifecycleLogger({ logger, ...options }))
    .use({
      before: (request) => {
        if (request.event.user !== '') logger.appendKeys({ user: request.event.user })
        logger.appendPersistentKeys({ region: 'eu-west-1' })
        logger.info('keys appended')
      },
    })
    .use(warmup({ isWarmingUp: (event: unknown) => (event as KeyEvent).ending === 'early-return' }))
    .handler(async (event: KeyEvent) => {
      logger.info('handling')
      if (event.ending === 'error') throw new Error('refused')
      return 'ok'
    })

describe('lifecycleLogger resets the keys an invocation appended', () => {
  let lines: Line[]

  beforeEach(() => {
    resetContainer()
    forgetLifecycleLoggers()
    lines = captureLines()
  })

  afterEach(() => {
    jest.useRealTimers()
    jest.restoreAllMocks()
  })

  it.each<Ending>(['success', 'error', 'early-return'])(
    'drops a temporary key when the invocation ends (%s), keeps persistent and container keys',
    async (ending) => {
      // Prepare
      const logger = new Logger({ serviceName: 'orders' })
      const handler = keyedHandler(logger)
      const invoke = (event: KeyEvent, id: string) => handler(event, lambdaContext(id)).catch(() => 'failed')

      // Act
      await invoke({ user: 'alice', ending }, 'req-1')
      logger.info('between invocations')
      await invoke({ user: '', ending: 'success' }, 'req-2')

      // Assess: alice is on her own request's lines, the end line included, and nowhere after
      const first = lines.filter(
        (line) => line.function_request_id === 'req-1' && line.message !== 'between invocations',
      )
      expect(first.map((line) => line.message)).toEqual(
        ending === 'early-return'
          ? ['container.start', 'keys appended', 'invocation.end']
          : ['container.start', 'keys appended', 'handling', 'invocation.end'],
      )
      expect(first.slice(1).every((line) => line.user === 'alice')).toBe(true)
      expect(linesOf(lines, 'invocation.end')[0]?.outcome ?? 'success').toBe(ending)
      const later = lines.slice(lines.findIndex((line) => line.message === 'between invocations'))
      expect(later.map((line) => line.message)).toEqual([
        'between invocations',
        'keys appended',
        'handling',
        'invocation.end',
      ])
      for (const line of later) {
        expect(line).not.toHaveProperty('user')
        expect(line).toEqual(
          expect.objectContaining({ region: 'eu-west-1', container_id: expect.any(String) }),
        )
      }
    },
  )

  it("drops them when Middy's early timeout ends a handler that never returns", async () => {
    // Prepare: Middy gives up 100 ms before the deadline, here 50 ms after the start; the handler never ends
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy<{ user: string; hang: boolean }>({ timeoutEarlyInMillis: 100 })
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, timeoutWarningMs: false }))
      .handler(async (event) => {
        logger.appendKeys({ user: event.user })
        if (event.hang) await new Promise(() => undefined)
        logger.info('handled')
        return 'ok'
      })

    // Act
    const outcome = await handler({ user: 'alice', hang: true }, lambdaContext('req-1', 150)).then(
      () => 'answered',
      () => 'failed',
    )
    await handler({ user: 'bob', hang: false }, lambdaContext('req-2', 1_000))
    logger.info('after')

    // Assess
    expect(outcome).toBe('failed')
    expect(linesOf(lines, 'invocation.end').map((line) => [line.outcome ?? 'success', line.user])).toEqual([
      ['error', 'alice'],
      ['success', 'bob'],
    ])
    expect(userLines(lines).map((line) => [line.message, line.user])).toEqual([
      ['handled', 'bob'],
      ['after', undefined],
    ])
  })

  it('keeps a key appended at module scope for the first invocation only, as Powertools resetKeys does', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    logger.appendKeys({ boot: 'appended at module scope' })
    const handler = keyedHandler(logger)

    // Act
    await handler({ user: '', ending: 'success' }, lambdaContext('req-1'))
    await handler({ user: '', ending: 'success' }, lambdaContext('req-2'))

    // Assess
    expect(lines.map((line) => [line.function_request_id, line.message, line.boot])).toEqual([
      ['req-1', 'container.start', 'appended at module scope'],
      ['req-1', 'keys appended', 'appended at module scope'],
      ['req-1', 'handling', 'appended at module scope'],
      ['req-1', 'invocation.end', 'appended at module scope'],
      ['req-2', 'keys appended', undefined],
      ['req-2', 'handling', undefined],
      ['req-2', 'invocation.end', undefined],
    ])
  })

  it('keeps them with resetKeys: false, the risk the option documents', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = keyedHandler(logger, { resetKeys: false })

    // Act
    await handler({ user: 'alice', ending: 'success' }, lambdaContext('req-1'))
    logger.info('between invocations')

    // Assess: alice stays on the logger
    expect(userLines(lines).at(-1)).toEqual(expect.objectContaining({ user: 'alice' }))
  })

  it('drops a key appended during an invocation from every logger of the set, and the correlation id', async () => {
    // Prepare: a plain dot-path search stands in for Powertools' JMESPath `search` (an optional peer)
    const search = (path: string, data: unknown): unknown =>
      path
        .split('.')
        .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], data)
    const main = new Logger({ serviceName: 'main', correlationIdSearchFn: search })
    const audit = new Logger({ serviceName: 'audit', correlationIdSearchFn: search })
    const handler = middy<{ requestContext: { requestId: string } }>()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger: [main, audit], correlationIdPath: 'requestContext.requestId' }))
      .handler(async () => {
        audit.appendKeys({ user: 'alice' })
        audit.info('audited')
        return 'ok'
      })

    // Act
    await handler({ requestContext: { requestId: 'corr-1' } }, lambdaContext('req-1'))
    main.info('main after')
    audit.info('audit after')

    // Assess
    expect(lines.map((line) => [line.service, line.message, line.correlation_id, line.user])).toEqual([
      ['main', 'container.start', 'corr-1', undefined],
      ['audit', 'audited', 'corr-1', 'alice'],
      ['main', 'invocation.end', 'corr-1', undefined],
      ['main', 'main after', undefined, undefined],
      ['audit', 'audit after', undefined, undefined],
    ])
  })

  it('lets Powertools warn when correlationIdPath is set on a Logger without a search function', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, correlationIdPath: 'requestContext.requestId' }))
      .handler(async () => 'ok')

    // Act
    await handler({ requestContext: { requestId: 'corr-1' } }, lambdaContext('req-1'))

    // Assess
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ['WARN', expect.stringContaining('no search function')],
      ['INFO', 'container.start'],
      ['INFO', 'invocation.end'],
    ])
    expect(lines[2]).not.toHaveProperty('correlation_id')
  })

  it('property: over random sequential invocations, no temporary key outlives its invocation', async () => {
    const key = fc.constantFrom('a', 'b', 'shared')
    const step = fc.oneof(
      fc.record({ op: fc.constant('append' as const), key }),
      fc.record({ op: fc.constant('remove' as const), key }),
      fc.record({ op: fc.constant('persist' as const), key: fc.constantFrom('p', 'shared') }),
      fc.record({ op: fc.constant('log' as const), key: fc.constant('') }),
    )
    const invocation = fc.record({
      steps: fc.array(step, { maxLength: 8 }),
      ending: fc.constantFrom<Ending>('success', 'error', 'early-return'),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(invocation, { minLength: 1, maxLength: 5 }), async (plans) => {
        // Prepare
        resetContainer()
        forgetLifecycleLoggers()
        lines.length = 0
        const logger = new Logger({ serviceName: 'orders' })
        const expected: Record<string, Record<string, string>> = {}
        const handler = middy<{ id: string; plan: (typeof plans)[number] }>()
          .use(containerLifetime())
          .use(lifecycleLogger({ logger }))
          .use({
            before: ({ event }) => {
              const mine: Record<string, string> = {}
              for (const entry of event.plan.steps.entries())
                applyStep(logger, event.id, entry, mine, expected)
              if (event.plan.ending === 'early-return') return 'early'
            },
          })
          .handler(async ({ plan }) => {
            if (plan.ending === 'error') throw new Error('failed')
            return 'ok'
          })

        // Act
        for (const [index, plan] of plans.entries()) {
          const id = `req-${index}`
          await handler({ id, plan }, lambdaContext(id)).catch(() => undefined)
        }
        logger.info('after all')

        // Assess: a temporary value is only ever on its own request's lines; `a` and `b` (never
        // persistent) are exactly what that request appended and did not remove
        for (const line of lines) {
          const own = line.message === 'after all' ? undefined : `t:${line.function_request_id}`
          for (const name of ['a', 'b', 'shared', 'p']) {
            const value = line[name]
            if (typeof value === 'string' && value.startsWith('t:')) expect(value).toBe(own)
          }
          const model = expected[line.message as string]
          if (model !== undefined) {
            expect(line.a).toBe(model.a)
            expect(line.b).toBe(model.b)
          }
        }
      }),
      { numRuns: 150 },
    )
  })
})

describe('Managed Instances: keys appended by one invocation never reach a concurrent one', () => {
  let store: InvokeStoreInstance
  let stopStore: () => void
  let lines: Line[]

  beforeAll(async () => {
    ;({ store, stop: stopStore } = await startManagedInstancesStore())
  })

  afterAll(() => stopStore())

  beforeEach(() => {
    resetContainer()
    forgetLifecycleLoggers()
    lines = captureLines()
  })

  afterEach(() => {
    jest.restoreAllMocks()
  })

  const inStore = <T>(id: string, run: () => Promise<T>): Promise<T> =>
    store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: id }, run)

  it('keeps each of 20 interleaved invocations’ keys on its own lines, and drops them at its end', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy<{ user: string; turns: number }>()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .handler(async (event) => {
        logger.appendKeys({ user: event.user })
        logger.info('received')
        for (let turn = 0; turn < event.turns; turn++) await nextTurn()
        logger.removeKeys(['user'])
        logger.appendKeys({ user: event.user, step: 2 })
        logger.info('done')
        return 'ok'
      })
    const ids = Array.from({ length: 20 }, (_, index) => index)
    logger.appendKeys({ boot: 'appended at module scope' })

    // Act
    await Promise.all(
      ids.map((index) =>
        inStore(`req-${index}`, () =>
          handler({ user: `user-${index}`, turns: (index * 7) % 5 }, lambdaContext(`req-${index}`)),
        ),
      ),
    )
    await inStore('req-late', async () => logger.info('a later invocation'))

    // Assess
    const user = userLines(lines).filter((line) => line.message !== 'a later invocation')
    const ends = linesOf(lines, 'invocation.end')
    expect(user).toHaveLength(40)
    expect(ends).toHaveLength(20)
    for (const line of [...user, ...ends]) {
      expect(line.user).toBe(`user-${String(line.function_request_id).slice('req-'.length)}`)
    }
    const order = user.map((line) => line.function_request_id)
    expect(order.lastIndexOf('req-1')).toBeGreaterThan(order.indexOf('req-19'))
    // Powertools starts each invocation with its own set: a key appended outside every invocation is on none
    for (const line of lines) expect(line).not.toHaveProperty('boot')
    const [late] = lines.filter((line) => line.message === 'a later invocation')
    expect(late).not.toHaveProperty('user')
    expect(late).not.toHaveProperty('step')
  })

  it('property: over random interleavings, a temporary key is only on its own invocation’s lines', async () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant('append' as const), key: fc.constantFrom('a', 'b') }),
      fc.record({ op: fc.constant('remove' as const), key: fc.constantFrom('a', 'b') }),
      fc.record({ op: fc.constant('persist' as const), key: fc.constant('p') }),
      fc.record({ op: fc.constant('log' as const), key: fc.constant('') }),
    )
    const plans = fc.array(fc.array(step, { maxLength: 6 }), { minLength: 1, maxLength: 6 })
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), plans, async (scheduler, invocations) => {
        // Prepare
        resetContainer()
        forgetLifecycleLoggers()
        lines.length = 0
        const logger = new Logger({ serviceName: 'orders' })
        const expected: Record<string, Record<string, string>> = {}
        const handler = middy<{ id: string; steps: (typeof invocations)[number] }>()
          .use(containerLifetime())
          .use(lifecycleLogger({ logger }))
          .handler(async ({ id, steps }) => {
            const mine: Record<string, string> = {}
            for (const entry of steps.entries()) {
              await scheduler.schedule(Promise.resolve(), `${id} step ${entry[0]}`)
              applyStep(logger, id, entry, mine, expected)
            }
            return 'ok'
          })

        // Act
        const running = invocations.map((steps, index) =>
          inStore(`req-${index}`, () =>
            handler({ id: `req-${index}`, steps }, lambdaContext(`req-${index}`)),
          ),
        )
        await scheduler.waitAll()
        await Promise.all(running)
        await inStore('req-after', async () => logger.info('after all'))

        // Assess
        for (const line of lines) {
          for (const name of ['a', 'b']) {
            const value = line[name]
            if (value !== undefined) expect(value).toBe(`t:${line.function_request_id}`)
          }
          const model = expected[line.message as string]
          if (model !== undefined) {
            expect(line.a).toBe(model.a)
            expect(line.b).toBe(model.b)
          }
        }
      }),
      { numRuns: 100 },
    )
  })
})

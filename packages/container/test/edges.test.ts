/**
 * Edge behaviours the mutation run (npm run mutate -- container) found untested: odd contexts and
 * responses, defaults before the first invocation, listener and hook bookkeeping, warning codes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { InvokeStore } from '@aws/lambda-invoke-store'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  containerLifetime,
  currentInvocation,
  emitLifecycle,
  getContainer,
  type InvocationEndEvent,
  type LifecycleEvent,
  onLifecycle,
  onShutdown,
  resetContainerState,
} from '@lambda-lifetime/container'
import middy from '@middy/core'
import warmup from '@middy/warmup'
import { deliverSigterm, lambdaContext } from '../../../test/support/container.js'

type Report = Array<{ name: string; status: string; durationMs: number }>

const STREAM = '2026/12/04/[$LATEST]0123456789abcdef0123456789abcdef'

const gate = (): { opened: Promise<void>; open: () => void } => {
  let open: () => void = () => undefined
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

let warn: ReturnType<typeof jest.spyOn>

beforeEach(() => {
  resetContainerState()
  warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
})

afterEach(() => {
  jest.restoreAllMocks()
  resetContainerState()
  delete process.env.AWS_LAMBDA_LOG_STREAM_NAME
  delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE
})

describe('the invocation view', () => {
  it.each([
    ['without a request id', {}],
    ['with a request id that is not a string', { awsRequestId: 42 }],
  ])('has no request id for a context %s, and the invocation still runs', async (_case, context) => {
    // Prepare
    const handler = middy()
      .use(containerLifetime())
      .handler(async () => 'done')
    const ends: InvocationEndEvent[] = []
    onLifecycle((event) => {
      if (event.type === 'invocation.end') ends.push(event)
    })

    // Act
    const result = await handler({}, context as never)

    // Assess
    expect(result).toBe('done')
    expect(ends.map((end) => [end.view.requestId, end.outcome])).toEqual([[null, 'success']])
  })

  it('runs for a caller other than Middy that passes a null context', () => {
    // Prepare: the middleware object driven by hand, as a Middy look-alike framework would.
    const middleware = containerLifetime()
    // biome-ignore lint/suspicious/noExplicitAny: a null context is what the types rule out; a caller may still pass it
    const request: any = { event: {}, context: null, response: undefined, error: undefined, internal: {} }

    // Act
    middleware.before?.(request)
    request.response = 'done'
    middleware.after?.(request)

    // Assess
    expect(getContainer()).toMatchObject({ invocations: 1, inFlight: 0 })
  })

  it('has no idle time on a first invocation nor while another invocation runs', async () => {
    // Prepare
    const held = gate()
    const handler = middy<{ hold: boolean }>()
      .use(containerLifetime())
      .handler(async (event, context) => {
        if (event.hold) await held.opened
        return context.container
      })

    // Act
    const first = await handler({ hold: false }, lambdaContext('a'))
    const holding = handler({ hold: true }, lambdaContext('b'))
    const during = await handler({ hold: false }, lambdaContext('c'))
    held.open()
    await holding

    // Assess
    expect(first.idleMs).toBe(0)
    expect(during.idleMs).toBe(0)
    expect(during.inFlight).toBe(2)
  })

  it('dates the invocation on the wall clock and measures its duration', async () => {
    // Prepare
    const handler = middy()
      .use(containerLifetime())
      .handler(async (_event, context) => {
        await sleep(5)
        return context.container
      })
    const ends: InvocationEndEvent[] = []
    onLifecycle((event) => {
      if (event.type === 'invocation.end') ends.push(event)
    })
    const before = Date.now()
    const clockBefore = performance.now()

    // Act
    const view = await handler({}, lambdaContext('a'))
    const elapsedMs = performance.now() - clockBefore

    // Assess
    expect(view.startedAt).toBeGreaterThanOrEqual(before - 1)
    expect(view.startedAt).toBeLessThanOrEqual(Date.now() + 1)
    expect(ends[0]?.durationMs).toBeGreaterThanOrEqual(4)
    expect(ends[0]?.durationMs).toBeLessThanOrEqual(elapsedMs)
  })

  it('ignores a log stream name that is not a real Lambda one', async () => {
    // Prepare
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = 'local-stream'
    const handler = middy()
      .use(containerLifetime())
      .handler(async (_event, context) => context.container)

    // Act
    const view = await handler({}, lambdaContext('a'))

    // Assess
    expect(view.environmentId).toBeNull()
  })
})

describe('currentInvocation with a classic (single-context) invoke store', () => {
  it('falls back on the one running invocation when the store has no context', async () => {
    // Prepare: the store as the runtime client loads it outside Managed Instances, never run.
    delete process.env.AWS_LAMBDA_MAX_CONCURRENCY
    await InvokeStore.getInstanceAsync()
    const handler = middy()
      .use(containerLifetime())
      .handler(async () => currentInvocation()?.requestId)

    // Act
    const seen = await handler({}, lambdaContext('a')).finally(() => {
      delete (globalThis as { awslambda?: { InvokeStore?: unknown } }).awslambda?.InvokeStore
    })

    // Assess
    expect(seen).toBe('a')
  })
})

describe('getContainer before the first invocation', () => {
  it('reads the environment as it is now, and is not shutting down', () => {
    // Prepare
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = STREAM
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'provisioned-concurrency'

    // Act
    const snapshot = getContainer()

    // Assess
    expect(snapshot).toMatchObject({
      containerId: null,
      environmentId: STREAM,
      initType: 'provisioned-concurrency',
      invocations: 0,
      shuttingDown: false,
    })
  })
})

describe('getContainer after the first invocation', () => {
  it('keeps the identity the first invocation read, and measures its age from the runtime start', async () => {
    // Prepare
    const clockBefore = performance.now()
    resetContainerState()
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = STREAM
    const handler = middy()
      .use(containerLifetime())
      .handler(async (_event, context) => context.container)
    const view = await handler({}, lambdaContext('a'))

    // Act
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = '2026/12/04/[$LATEST]ffffffffffffffffffffffffffffffff'
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'provisioned-concurrency'
    const snapshot = getContainer()

    // Assess
    expect(snapshot).toMatchObject({ environmentId: STREAM, initType: 'on-demand', invocations: 1 })
    expect(view.ageMs).toBeLessThanOrEqual(performance.now() - clockBefore)
    expect(snapshot.ageMs).toBeLessThanOrEqual(performance.now() - clockBefore)
  })
})

describe('without the runtime client', () => {
  it('finds the running invocation when no awslambda global exists, even under Managed Instances', async () => {
    // Prepare
    const holder = globalThis as { awslambda?: unknown }
    const saved = holder.awslambda
    delete holder.awslambda
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'lambda-managed-instances'
    const handler = middy()
      .use(containerLifetime())
      .handler(async () => currentInvocation()?.requestId)

    // Act
    const seen = await handler({}, lambdaContext('a')).finally(() => {
      holder.awslambda = saved
    })

    // Assess
    expect(seen).toBe('a')
  })

  it('ends nothing when a middleware ahead of it failed before it began', async () => {
    // Prepare
    const handler = middy()
      .use({
        before: () => {
          throw new Error('rejected ahead')
        },
      })
      .use(containerLifetime())
      .handler(async () => 'never')
    const ends: string[] = []
    onLifecycle((event) => {
      if (event.type === 'invocation.end') ends.push(event.outcome)
    })

    // Act
    const outcome = handler({}, lambdaContext('a'))

    // Assess
    await expect(outcome).rejects.toThrow('rejected ahead')
    expect(ends).toEqual([])
    expect(getContainer()).toMatchObject({ invocations: 0, inFlight: 0 })
  })
})

describe('early returns', () => {
  it('is an early return even when a middleware cleared the response before another returned early', async () => {
    // Prepare
    const handler = middy()
      .use(containerLifetime())
      .use({
        before: (request) => {
          request.response = undefined
        },
      })
      .use(warmup())
      .handler(async () => 'never')
    const outcomes: string[] = []
    onLifecycle((event) => {
      if (event.type === 'invocation.end') outcomes.push(event.outcome)
    })

    // Act
    await handler({ source: 'serverless-plugin-warmup' }, lambdaContext('a'))

    // Assess
    expect(outcomes).toEqual(['early-return'])
  })
})

describe('the container header', () => {
  const headerHandler = (response: unknown) =>
    middy()
      .use(containerLifetime({ header: 'x-container-id' }))
      .handler(async () => response)

  it('leaves a response that is not HTTP-shaped alone', async () => {
    // Prepare
    const response = { body: 'not http' }

    // Act
    const result = await headerHandler(response)({}, lambdaContext('a'))

    // Assess
    expect(result).toEqual({ body: 'not http' })
  })

  it('adds headers to an HTTP response whose headers are null', async () => {
    // Act
    const result = (await headerHandler({ statusCode: 200, headers: null })({}, lambdaContext('a'))) as {
      headers: Record<string, string>
    }

    // Assess
    expect(result.headers['x-container-id']).toBe(getContainer().containerId)
  })
})

describe('restart markers', () => {
  it('reports an unknown start time for a marker whose start time is not a number', async () => {
    // Prepare
    const tmp = mkdtempSync(join(tmpdir(), 'lambda-lifetime-edges-'))
    const previousTmp = process.env.TMPDIR
    process.env.TMPDIR = tmp
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = STREAM
    try {
      writeFileSync(
        join(tmp, `.lambda-lifetime-runtime-${getContainer().workerId}.json`),
        JSON.stringify({ schema: 1, containerId: 'dead-one', environmentId: STREAM, startedAt: 'yesterday' }),
      )
      const restarts: LifecycleEvent[] = []
      onLifecycle((event) => {
        if (event.type === 'container.restart') restarts.push(event)
      })
      const handler = middy()
        .use(containerLifetime())
        .handler(async () => undefined)

      // Act
      await handler({}, lambdaContext('a'))

      // Assess
      expect(restarts).toEqual([expect.objectContaining({ restartOf: 'dead-one', previousStartedAt: null })])
    } finally {
      if (previousTmp === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = previousTmp
      rmSync(tmp, { recursive: true, force: true })
    }
  })
})

describe('restart markers that are not ours', () => {
  it('takes no restart from a marker whose container id is not a string', async () => {
    // Prepare
    const tmp = mkdtempSync(join(tmpdir(), 'lambda-lifetime-edges-'))
    const previousTmp = process.env.TMPDIR
    process.env.TMPDIR = tmp
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = STREAM
    try {
      writeFileSync(
        join(tmp, `.lambda-lifetime-runtime-${getContainer().workerId}.json`),
        JSON.stringify({ schema: 1, containerId: 42, environmentId: STREAM, startedAt: 1 }),
      )
      const handler = middy()
        .use(containerLifetime())
        .handler(async (_event, context) => context.container)

      // Act
      const view = await handler({}, lambdaContext('a'))

      // Assess
      expect(view.restartOf).toBeNull()
    } finally {
      if (previousTmp === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = previousTmp
      rmSync(tmp, { recursive: true, force: true })
    }
  })
})

describe('lifecycle listeners', () => {
  it('unsubscribes exactly the listener it returned the function for', () => {
    // Prepare
    const heard: string[] = []
    const unsubscribeFirst = onLifecycle(() => heard.push('first'))
    onLifecycle(() => heard.push('second'))

    // Act
    unsubscribeFirst()
    emitLifecycle({ type: 'cache.refresh', at: 0 } as unknown as LifecycleEvent)

    // Assess
    expect(heard).toEqual(['second'])
  })

  it('warns only about a listener that threw, with its code', () => {
    // Prepare
    onLifecycle(() => {
      throw new Error('listener bug')
    })

    // Act
    emitLifecycle({ type: 'cache.refresh', at: 0 } as unknown as LifecycleEvent)
    resetContainerState()
    emitLifecycle({ type: 'cache.refresh', at: 0 } as unknown as LifecycleEvent)

    // Assess
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('"cache.refresh" threw'), {
      type: 'LambdaLifetimeWarning',
      code: 'LAMBDA_LIFETIME_LISTENER_ERROR',
    })
  })

  it('says what it needs when given no function', () => {
    // Assess
    expect(() => onLifecycle(undefined as never)).toThrow(
      '@lambda-lifetime/container: onLifecycle(listener) needs a function',
    )
  })
})

describe('shutdown hooks', () => {
  it('names an anonymous hook, unregisters the first hook too, and warns only about failed hooks', async () => {
    // Prepare
    const ran: string[] = []
    const unregisterFirst = onShutdown(() => ran.push('first'))
    onShutdown(() => {
      ran.push('second')
    })
    unregisterFirst()
    const reasons: string[] = []
    onLifecycle((event) => {
      if (event.type === 'container.shutdown') reasons.push(event.reason)
    })

    // Act
    const report = (await deliverSigterm()) as Report

    // Assess
    expect(ran).toEqual(['second'])
    expect(report).toEqual([{ name: 'anonymous', status: 'ok', durationMs: expect.any(Number) }])
    expect(reasons).toEqual(['SIGTERM'])
    expect(warn).not.toHaveBeenCalled()
  })

  it('measures a failed hook and warns with its code', async () => {
    // Prepare
    onShutdown(
      () => {
        throw new Error('drain failed')
      },
      { name: 'failing' },
    )

    const clockBefore = performance.now()

    // Act
    const report = (await deliverSigterm()) as Report
    const elapsedMs = performance.now() - clockBefore

    // Assess
    expect(report[0]?.status).toBe('error')
    expect(report[0]?.durationMs).toBeGreaterThanOrEqual(0)
    expect(report[0]?.durationMs).toBeLessThanOrEqual(elapsedMs)
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('"failing" ended with error'), {
      type: 'LambdaLifetimeWarning',
      code: 'LAMBDA_LIFETIME_SHUTDOWN_HOOK',
    })
  })

  it('gives each hook without a timeout a fair share of what is left of the budget', async () => {
    // Prepare: three hooks in a 300 ms budget, the last two registered hang.
    const { containerState } = await import('../src/state.js')
    containerState().shutdownBudgetMs = 300
    onShutdown(() => undefined, { name: 'quick' })
    onShutdown(() => new Promise(() => undefined), { name: 'hangs-second' })
    onShutdown(() => new Promise(() => undefined), { name: 'hangs-first' })

    // Act
    const report = (await deliverSigterm()) as Report

    // Assess: the first gets 300 / 3, the second half of what the first left; the quick one still runs.
    expect(report.map((entry) => [entry.name, entry.status])).toEqual([
      ['hangs-first', 'timeout'],
      ['hangs-second', 'timeout'],
      ['quick', 'ok'],
    ])
    const firstMs = report[0]?.durationMs as number
    expect(report[1]?.durationMs).toBeGreaterThanOrEqual((300 - firstMs) / 2 - 5)
  })

  it('names its options in the error for options that are not an object', () => {
    // Assess
    expect(() => onShutdown(() => undefined, null as never)).toThrow(
      '@lambda-lifetime/container: onShutdown options must be an object, got null',
    )
  })

  it('exits the process once the hooks ran on a real SIGTERM, unless told not to', async () => {
    // Prepare
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    const exited = new Promise<unknown>((resolve) => {
      exit.mockImplementation(((code: number) => resolve(code)) as never)
    })
    onShutdown(() => undefined)

    // Act
    process.emit('SIGTERM', 'SIGTERM')
    const code = await exited

    // Assess
    expect(code).toBe(0)
  })
})

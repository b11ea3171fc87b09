/**
 * The pool's choices (which environment takes an invocation, when one is started or replaced) with a
 * stand-in environment made by the pool's factory: no runtime process, the test sets each
 * environment's state by hand.
 */
import { beforeEach, describe, expect, test } from '@jest/globals'
import type { EnvironmentContext, Invocation } from '../src/environment.js'
import { type ResolvedFunction, resolveFunction } from '../src/options.js'
import { type EnvironmentFactory, FunctionPool, type PooledEnvironment } from '../src/pool.js'
import type {
  EmulatorInitType,
  EnvironmentInfo,
  EnvironmentState,
  FunctionConfig,
  ShutdownReason,
} from '../src/types.js'

const created: FakeEnvironment[] = []

class FakeEnvironment implements PooledEnvironment {
  readonly id = `env-${created.length}`
  readonly createdAt = 0
  readonly fn: ResolvedFunction
  readonly initType: EmulatorInitType
  readonly context: EnvironmentContext
  readonly assigned: Invocation[] = []
  state: EnvironmentState = 'initializing'
  lastActiveAt = 0
  finishing = false
  retiring = false
  stopReason: ShutdownReason | null = null

  constructor(fn: ResolvedFunction, initType: EmulatorInitType, context: EnvironmentContext) {
    this.fn = fn
    this.initType = initType
    this.context = context
    created.push(this)
  }

  get managed(): boolean {
    return this.fn.managedInstances !== null
  }

  get capacity(): number {
    return this.state === 'stopped' ? 0 : 1 - this.assigned.length
  }

  start(): Promise<void> {
    return Promise.resolve()
  }

  assign(invocation: Invocation): void {
    this.assigned.push(invocation)
  }

  retire(): void {
    this.retiring = true
  }

  shutdown(reason: ShutdownReason): Promise<void> {
    this.stopReason ??= reason
    this.state = 'stopped'
    this.context.stopped()
    return Promise.resolve()
  }

  /** Init done: what the real environment announces when the runtime first asks for work. */
  ready(): void {
    this.state = 'idle'
    this.context.emit({
      type: 'environment.ready',
      at: Date.now(),
      environment: this.info(),
      initDurationMs: 1,
    })
  }

  info(): EnvironmentInfo {
    return {
      id: this.id,
      functionName: this.fn.name,
      state: this.state,
      frozen: false,
      initType: this.initType,
      pid: null,
      runtimes: 1,
      invocations: this.assigned.length,
      inFlight: this.assigned.length,
      extensions: [],
      createdAt: this.createdAt,
      lastInvocationEndAt: null,
      tmpDir: '/unused',
      logFile: '/unused',
    }
  }
}

const fakeEnvironment: EnvironmentFactory = (fn, initType, context) =>
  new FakeEnvironment(fn, initType, context)

const poolOf = (rules: Partial<FunctionConfig>) =>
  new FunctionPool(
    resolveFunction({ functions: [] }, { name: 'fn', handler: 'index.handler', codeDir: '.', ...rules }),
    { logDir: '/unused', runtimeClient: '/unused', emit: () => {} },
    fakeEnvironment,
  )

const invocation = (requestId: string): Invocation => ({
  requestId,
  payload: '{}',
  clientContext: null,
  tail: false,
  settle: () => {},
})

const flush = () => new Promise((resolve) => setImmediate(resolve))

beforeEach(() => {
  created.length = 0
})

describe('FunctionPool with provisioned concurrency', () => {
  test('start() waits for every environment initialized ahead, whatever the order of their events', async () => {
    // Prepare
    const pool = poolOf({ provisioned: 2 })
    let started = false

    // Act
    const starting = pool.start().then(() => {
      started = true
    })
    created[1]?.ready()
    created[0]?.context.emit({ type: 'environment.start', at: Date.now(), environment: created[0].info() })
    await flush()
    const startedBeforeLast = started
    created[0]?.ready()
    await starting

    // Assess
    expect(startedBeforeLast).toBe(false)
    expect(created.map((environment) => environment.initType)).toEqual([
      'provisioned-concurrency',
      'provisioned-concurrency',
    ])
  })

  test('among idle environments, the most recently used takes the invocation', async () => {
    // Prepare
    const pool = poolOf({ provisioned: 3 })
    const starting = pool.start()
    for (const environment of created) environment.ready()
    await starting
    for (const [index, lastActiveAt] of [10, 30, 20].entries())
      (created[index] as FakeEnvironment).lastActiveAt = lastActiveAt

    // Act
    pool.invoke(invocation('r1'))

    // Assess
    expect(created.map((environment) => environment.assigned.length)).toEqual([0, 1, 0])
  })

  test('an invocation waits for an environment still initializing rather than starting a cold one', () => {
    // Prepare: the provisioned environment has not finished its init
    const pool = poolOf({ provisioned: 1 })
    void pool.start()

    // Act
    pool.invoke(invocation('r1'))

    // Assess
    expect(created).toHaveLength(1)
    expect(created[0]?.assigned.map((assigned) => assigned.requestId)).toEqual(['r1'])
  })

  test('an environment kept ahead is replaced when it stops, unless its init failed or the pool stopped', async () => {
    // Prepare
    const pool = poolOf({ provisioned: 1 })
    const starting = pool.start()
    created[0]?.ready()
    await starting

    // Act
    await created[0]?.shutdown('max-lifetime')
    const afterRetire = created.length
    await created[1]?.shutdown('init-failed')
    const afterInitFailure = created.length
    void pool.start()
    await pool.stop()

    // Assess
    expect(afterRetire).toBe(2)
    expect(created[1]?.initType).toBe('provisioned-concurrency')
    expect(afterInitFailure).toBe(2)
    expect(created).toHaveLength(3)
    expect(created[2]?.stopReason).toBe('stop')
  })
})

describe('FunctionPool with Managed Instances', () => {
  test('a full environment throttles the invocation instead of starting another one', async () => {
    // Prepare: one environment, whose room the first invocation takes
    const emitted: string[] = []
    const pool = new FunctionPool(
      resolveFunction(
        { functions: [] },
        { name: 'fn', handler: 'index.handler', codeDir: '.', managedInstances: { maxConcurrency: 1 } },
      ),
      { logDir: '/unused', runtimeClient: '/unused', emit: (event) => emitted.push(event.type) },
      fakeEnvironment,
    )
    const starting = pool.start()
    created[0]?.ready()
    await starting
    pool.invoke(invocation('r1'))

    // Act
    let refused: unknown
    try {
      pool.invoke(invocation('r2'))
    } catch (error) {
      refused = error
    }

    // Assess
    expect(refused).toMatchObject({ code: 'TooManyRequestsException', statusCode: 429 })
    expect(created).toHaveLength(1)
    expect(created[0]?.initType).toBe('lambda-managed-instances')
    expect(emitted).toContain('invocation.throttle')
  })
})

/**
 * One Environment with the real runtime client: a failure while an invocation is handed to the
 * runtime fails that invocation alone, the Runtime API answers only the environment's own
 * processes, and the environment's /tmp goes when it is shut down.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import { Environment, findRuntimeClient, type Invocation, type InvocationResult } from '../src/environment.js'
import { resolveFunction } from '../src/options.js'
import type { EmulatorEvent, FunctionConfig } from '../src/types.js'

const fixtures = fileURLToPath(new URL('../../../test/emulator/fixtures', import.meta.url))
const live: Environment[] = []
let logDir: string

// Made in beforeAll, not at import: Jest runs no hooks for a file whose tests are all filtered out.
beforeAll(() => {
  logDir = mkdtempSync(join(tmpdir(), 'emulator-environment-logs-'))
})

afterEach(async () => {
  await Promise.all(live.splice(0).map((environment) => environment.shutdown('stop')))
})

afterAll(() => rmSync(logDir, { recursive: true, force: true }))

const environmentOf = (config: Partial<FunctionConfig> = {}) => {
  const events: EmulatorEvent[] = []
  const fn = resolveFunction(
    { functions: [] },
    {
      // A name of its own, so that its folder under $TMPDIR/lambda-lifetime is this test's alone.
      name: `env-${process.pid}-${live.length}-${Date.now()}`,
      handler: 'answers.handler',
      codeDir: fixtures,
      ...config,
    },
  )
  const environment = new Environment(fn, 'on-demand', {
    logDir,
    runtimeClient: findRuntimeClient(),
    emit: (event) => events.push(event),
    available: () => {},
    stopped: () => {},
  })
  live.push(environment)
  void environment.start()
  return { environment, events }
}

/** Assigns an invocation and resolves with its result. */
const run = (environment: Environment, invocation: Omit<Invocation, 'settle'>): Promise<InvocationResult> =>
  new Promise((settle) => {
    environment.assign({
      get requestId() {
        return invocation.requestId
      },
      get payload() {
        return invocation.payload
      },
      clientContext: invocation.clientContext,
      tail: invocation.tail,
      settle,
    })
  })

const plain = (requestId: string): Omit<Invocation, 'settle'> => ({
  requestId,
  payload: '{}',
  clientContext: null,
  tail: false,
})

const waitFor = async (check: () => boolean, what: string, timeoutMs = 8_000): Promise<void> => {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('a failure while handing an invocation to the runtime', () => {
  test('fails that invocation with the reason and frees the environment for the next one', async () => {
    // Prepare: a client context no HTTP header can carry (CR LF), and a payload that throws when read
    const { environment, events } = environmentOf()
    await run(environment, plain('warm-up'))

    // Act
    const badHeader = await run(environment, { ...plain('bad-header'), clientContext: '{"a":"\r\n"}' })
    const stateAfterBadHeader = environment.state
    const throwing = await run(environment, {
      ...plain('throwing'),
      get payload(): string {
        throw new Error('payload unavailable')
      },
    })
    const next = await run(environment, plain('next'))

    // Assess
    expect(badHeader).toMatchObject({ functionError: true, outcome: 'error' })
    expect(JSON.parse(badHeader.payload)).toMatchObject({
      errorType: 'Runtime.DispatchError',
      errorMessage: expect.stringContaining('Lambda-Runtime-Client-Context'),
    })
    expect(JSON.parse(throwing.payload).errorMessage).toContain('payload unavailable')
    expect(stateAfterBadHeader).not.toBe('busy')
    expect(next).toMatchObject({ functionError: false, outcome: 'success', payload: '{"ok":true}' })
    expect(environment.info()).toMatchObject({ runtimes: 1, inFlight: 0 })
    await waitFor(() => environment.state === 'idle', 'the environment to be idle')
    expect(environment.capacity).toBe(1)
    expect(events.filter((event) => event.type === 'environment.reset')).toEqual([])
    const log = readFileSync(environment.info().logFile, 'utf8')
    expect(log).toMatch(/END RequestId: bad-header\nREPORT RequestId: bad-header\t/)
  })

  test('a client context with any Unicode reaches the handler as the caller wrote it', async () => {
    // Prepare
    const { environment } = environmentOf()
    const clientContext = JSON.stringify({ custom: { who: 'Zoë', price: '€ 5', clef: '𝄞', han: '漢' } })

    // Act
    const result = await run(environment, {
      ...plain('unicode'),
      payload: '{"clientContext":true}',
      clientContext,
    })

    // Assess
    expect(result.outcome).toBe('success')
    expect(JSON.parse(result.payload)).toEqual(JSON.parse(clientContext))
  })
})

describe('the Runtime API of an environment', () => {
  test('answers its own runtime, and a process outside the environment gets 403 and no payload', async () => {
    // Prepare: the runtime's address, as any local process could read it
    const { environment } = environmentOf()
    await run(environment, plain('warm-up'))
    const pid = environment.info().pid as number
    const api = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((entry) => entry.startsWith('AWS_LAMBDA_RUNTIME_API='))
      ?.split('=')[1]

    // Act: this test process is not one of the environment's processes
    const outsider = fetch(`http://${api}/2018-06-01/runtime/invocation/next`)
    const served = await run(environment, { ...plain('secret'), payload: '{"secret":"s3cr3t"}' })
    const refused = await outsider
    const body = await refused.text()

    // Assess
    expect(refused.status).toBe(403)
    expect(body).not.toContain('s3cr3t')
    expect(JSON.parse(body)).toMatchObject({ errorType: 'AccessDeniedException' })
    expect(served.outcome).toBe('success')
  })
})

describe('retirement and failed inits', () => {
  test('an idle environment that retires shuts down at once; one still starting, before it spawns', async () => {
    // Prepare
    const idle = environmentOf()
    await run(idle.environment, plain('only'))
    await waitFor(() => idle.environment.state === 'idle', 'the environment to be idle')
    const starting = environmentOf()

    // Act
    starting.environment.retire()
    idle.environment.retire()
    await waitFor(
      () => idle.environment.state === 'stopped' && starting.environment.state === 'stopped',
      'both to stop',
    )

    // Assess
    expect(idle.environment.stopReason).toBe('max-lifetime')
    expect(starting.environment.stopReason).toBe('max-lifetime')
    expect(starting.events.map((event) => event.type)).toEqual([
      'environment.shutdown',
      'environment.stopped',
    ])
    expect(starting.environment.info()).toMatchObject({ runtimes: 0, pid: null })
  })

  test('an environment that retires while starting runs the invocation it has, then shuts down', async () => {
    // Prepare: the invocation is assigned before the Runtime API even listens
    const { environment } = environmentOf()
    const result = run(environment, plain('only'))

    // Act
    environment.retire()
    const capacityWhileRetiring = environment.capacity

    // Assess
    expect(capacityWhileRetiring).toBe(0)
    expect(await result).toMatchObject({ outcome: 'success', payload: '{"ok":true}' })
    await waitFor(() => environment.state === 'stopped', 'the environment to stop')
    expect(environment.stopReason).toBe('max-lifetime')
  })

  test('a busy environment that retires and then times out shuts down instead of restarting', async () => {
    // Prepare
    const { environment, events } = environmentOf({ handler: 'lifetime.handler', timeoutMs: 1_000 })
    await run(environment, plain('warm-up'))
    const slow = run(environment, { ...plain('slow'), payload: '{"sleepMs":5000}' })
    await waitFor(() => environment.info().inFlight === 1, 'the slow invocation to start')

    // Act
    environment.retire()
    const capacityWhileRetiring = environment.capacity
    const result = await slow
    await waitFor(() => environment.state === 'stopped', 'the environment to stop')

    // Assess
    expect(capacityWhileRetiring).toBe(0)
    expect(environment.retiring).toBe(false)
    expect(result.outcome).toBe('timeout')
    expect(environment.stopReason).toBe('max-lifetime')
    expect(environment.info().runtimes).toBe(1)
    expect(events.filter((event) => event.type === 'environment.reset')).toHaveLength(1)
  })

  test('a runtime that exits during init is retried inside the invocation, then fails it with START/END/REPORT; the next invocation tries again', async () => {
    // Prepare
    const { environment, events } = environmentOf({ handler: 'exits-at-init.handler' })

    // Act
    const result = await run(environment, { ...plain('doomed'), tail: true })
    await waitFor(() => environment.state === 'idle', 'the environment to wait for the next invocation')
    const next = await run(environment, plain('again'))

    // Assess
    expect(result).toMatchObject({ functionError: true, outcome: 'init-error' })
    expect(JSON.parse(result.payload)).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: 'RequestId: doomed Error: Runtime exited without providing a reason',
    })
    const tail = Buffer.from(result.logResult ?? '', 'base64').toString()
    expect(tail).toMatch(
      // The failed init's INIT_REPORT comes first: the tail holds the invocation's part of the stream.
      /^INIT_REPORT Init Duration: [^\n]*Phase: invoke\tStatus: error[^\n]*\nSTART RequestId: doomed Version: \$LATEST\nEND RequestId: doomed\nREPORT RequestId: doomed\t/,
    )
    expect(tail).toContain('Status: error\tError Type: Runtime.ExitError')
    const failures = events.flatMap((event) =>
      event.type === 'environment.init-failed' ? [event.reason] : [],
    )
    expect(failures).toEqual(['exit', 'exit', 'exit'])
    expect(next).toMatchObject({ functionError: true, outcome: 'init-error' })
    expect(environment.stopReason).toBeNull()
    expect(environment.info().runtimes).toBe(3)
  })
})

describe('an environment that cannot start', () => {
  test('fails the invocations it took with the reason, and stops', async () => {
    // Prepare: a file where the function's /tmp folders go, so that the environment's cannot be made
    const name = `unlucky-${process.pid}-${Date.now()}`
    const inTheWay = join(tmpdir(), 'lambda-lifetime', name)
    mkdirSync(dirname(inTheWay), { recursive: true })
    writeFileSync(inTheWay, '')
    try {
      const { environment, events } = environmentOf({ name })

      // Act
      const result = await run(environment, plain('unlucky'))
      await waitFor(() => environment.state === 'stopped', 'the environment to stop')

      // Assess
      expect(result).toMatchObject({ functionError: true, outcome: 'init-error' })
      expect(JSON.parse(result.payload)).toMatchObject({
        errorType: 'Runtime.StartError',
        errorMessage: expect.stringContaining('the environment could not start'),
      })
      expect(environment.stopReason).toBe('init-failed')
      expect(events.map((event) => event.type)).toContain('environment.init-failed')
    } finally {
      rmSync(inTheWay, { force: true })
      try {
        rmdirSync(dirname(inTheWay))
      } catch {
        // Another environment lives in the shared folder: it removes it when it goes.
      }
    }
  })
})

describe('shutdown', () => {
  test('removes the /tmp of the environment and its empty function folder; a reset keeps them', async () => {
    // Prepare
    const { environment, events } = environmentOf({ timeoutMs: 500, handler: 'lifetime.handler' })
    await run(environment, plain('first'))
    const { tmpDir } = environment.info()
    const timedOut = await run(environment, { ...plain('slow'), payload: '{"sleepMs":5000}' })
    await waitFor(() => events.some((event) => event.type === 'environment.reset'), 'the reset')
    const keptAfterReset = existsSync(tmpDir)

    // Act
    await environment.shutdown('stop')

    // Assess
    expect(timedOut.outcome).toBe('timeout')
    expect(keptAfterReset).toBe(true)
    expect(existsSync(tmpDir)).toBe(false)
    expect(existsSync(dirname(tmpDir))).toBe(false)
    expect(environment.state).toBe('stopped')
    expect(environment.stopReason).toBe('stop')
  })
})

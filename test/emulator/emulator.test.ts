/**
 * The emulator end to end: the real AWS runtime client in each environment, driven by the AWS SDK's
 * LambdaClient through the Invoke API, and by fetch through the HTTP front door. Each test starts an
 * emulator of its own with only the functions it uses.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InvokeCommand } from '@aws-sdk/client-lambda'
import { beforeAll, describe, expect, test } from '@jest/globals'
import { ended, fn, processState, waitFor, withEmulator } from './harness.js'

const containerLib = fileURLToPath(new URL('../../packages/container/lib/index.js', import.meta.url))

beforeAll(() => {
  if (!existsSync(containerLib)) {
    throw new Error('packages/container/lib/index.js is missing: run `npx tsc --build` before these tests')
  }
})

describe('reuse and scale-out', () => {
  test('sequential invokes reuse one environment and its container', () =>
    withEmulator([fn('open', 'lifetime.handler', { freeze: false })], {}, async ({ invoke, emulator }) => {
      // Act
      const results = [await invoke('open'), await invoke('open'), await invoke('open')]

      // Assess
      const views = results.map((result) => result.body.view)
      expect(new Set(views.map((view) => view.containerId)).size).toBe(1)
      expect(views.map((view) => view.invocation)).toEqual([1, 2, 3])
      expect(views.map((view) => view.startType)).toEqual(['cold', 'warm', 'warm'])
      expect(views[0]?.environmentId).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/)
      expect(emulator.environments('open')).toHaveLength(1)
    }))

  test('concurrent invokes scale out to new environments, up to the limit, then 429', () =>
    withEmulator(
      [fn('life', 'lifetime.handler', { timeoutMs: 5_000, concurrency: 2 })],
      {},
      async ({ invoke, events }) => {
        // Act: three at once against a concurrency limit of 2, each busy long enough to overlap
        const settled = await Promise.allSettled([1, 2, 3].map(() => invoke('life', { sleepMs: 1_000 })))

        // Assess
        const served = settled.flatMap((result) =>
          result.status === 'fulfilled' ? [result.value.body.view] : [],
        )
        const refused = settled.flatMap((result) =>
          result.status === 'rejected' ? [result.reason as Error] : [],
        )
        expect(new Set(served.map((view) => view.environmentId)).size).toBe(2)
        expect(refused.map((error) => error.name)).toEqual(['TooManyRequestsException'])
        expect(
          events.some((event) => event.type === 'invocation.throttle' && event.functionName === 'life'),
        ).toBe(true)
      },
    ))
})

describe('freeze', () => {
  test('between invocations the runtime is stopped and its timers do not tick; with freeze off they do', () =>
    withEmulator(
      [fn('frozen', 'lifetime.handler'), fn('open', 'lifetime.handler', { freeze: false })],
      {},
      async ({ invoke, emulator, events }) => {
        // Prepare: the fixture ticks every 50 ms
        const frozenBefore = (await invoke('frozen')).body.ticks
        const frozenPid = emulator.environments('frozen')[0]?.pid as number
        await waitFor(() => processState(frozenPid) === 'T', 'the idle runtime to be stopped')
        const openBefore = (await invoke('open')).body.ticks
        const openPid = emulator.environments('open')[0]?.pid as number

        // Act: let the unfrozen runtime tick 20 times (a second of its time), however long that takes here
        let openAfter = openBefore
        await waitFor(async () => {
          openAfter = (await invoke('open')).body.ticks
          return openAfter - openBefore >= 20
        }, 'the unfrozen runtime to tick')
        const stoppedMeanwhile = processState(frozenPid)
        const frozenAfter = (await invoke('frozen')).body.ticks

        // Assess: the frozen one ticked only around its thaw and freeze
        expect(stoppedMeanwhile).toBe('T')
        expect(frozenAfter - frozenBefore).toBeLessThan(5)
        expect(openAfter - openBefore).toBeGreaterThanOrEqual(20)
        expect(processState(openPid)).not.toBe('T')
        const frozenIds = events.flatMap((event) =>
          event.type === 'environment.freeze' ? [event.environment.functionName] : [],
        )
        expect(new Set(frozenIds)).toEqual(new Set(['frozen']))
      },
    ))

  test('a process the handler started detached is frozen with the runtime, and ends with the environment', () =>
    withEmulator([fn('detached', 'detached.handler')], {}, async ({ invoke, stop }) => {
      // Prepare: a detached child (its own process group) and an orphan adopted by init
      const { runtime, child, orphan } = (await invoke('detached')).body as unknown as Record<string, number>
      await waitFor(
        () => processState(runtime as number) === 'T' && processState(child as number) === 'T',
        'the runtime and its detached child to be stopped',
      )

      // Act
      await stop()

      // Assess
      await waitFor(
        () => [runtime, child, orphan].every((pid) => ended(pid as number)),
        'every process of the environment to end',
      )
    }))
})

describe('shutdown', () => {
  test('an idle environment is reaped after the idle timeout, and the next invoke is a cold start', () =>
    withEmulator(
      [fn('reaped', 'lifetime.handler', { idleTimeoutMs: 300 })],
      {},
      async ({ invoke, emulator, events }) => {
        // Prepare
        const first = (await invoke('reaped')).body.view

        // Act
        await waitFor(() => emulator.environments('reaped').length === 0, 'the idle environment to be reaped')
        const next = (await invoke('reaped')).body.view

        // Assess
        expect(next.environmentId).not.toBe(first.environmentId)
        expect(next.startType).toBe('cold')
        const shutdown = events.find(
          (event) =>
            event.type === 'environment.shutdown' &&
            event.environment.id === first.environmentId &&
            event.reason === 'idle',
        )
        expect(shutdown).toBeDefined()
      },
    ))

  test('SIGTERM reaches the runtime only when an extension registered', () =>
    withEmulator(
      [
        fn('graceful', 'graceful.handler', { idleTimeoutMs: 300 }),
        fn('abrupt', 'no-extension.handler', { idleTimeoutMs: 300 }),
      ],
      {},
      async ({ invoke, emulator, events }) => {
        // Prepare
        const graceful = (await invoke('graceful')).body.view
        const abrupt = (await invoke('abrupt')).body.view
        // From the events: an environment may be reaped before the other one answered.
        const logOf = (id: string) =>
          events.flatMap((event) =>
            'environment' in event && event.environment.id === id ? [event.environment.logFile] : [],
          )[0] as string
        const gracefulLog = logOf(graceful.environmentId)
        const abruptLog = logOf(abrupt.environmentId)

        // Act: both are reaped
        await waitFor(() => emulator.environments().length === 0, 'both environments to be reaped')

        // Assess
        const signals = events.flatMap((event) =>
          event.type === 'environment.shutdown' ? [[event.environment.functionName, event.signal]] : [],
        )
        expect(signals).toContainEqual(['graceful', 'SIGTERM'])
        expect(signals).toContainEqual(['abrupt', 'SIGKILL'])
        expect(readFileSync(gracefulLog, 'utf8')).toContain('shutdown hook ran')
        expect(readFileSync(abruptLog, 'utf8')).not.toContain('shutdown hook ran')
      },
    ))

  test('stop removes the /tmp of every environment, with what the handler wrote there', () =>
    withEmulator([fn('scratch', 'lifetime.handler')], {}, async ({ invoke, stop }) => {
      // Prepare
      const { tmpDir } = (await invoke('scratch')).body
      writeFileSync(join(tmpDir, 'left-behind.txt'), 'x')

      // Act
      await stop()

      // Assess
      expect(existsSync(tmpDir)).toBe(false)
    }))
})

describe('reset', () => {
  test('a timeout resets the environment: new runtime, same log stream and /tmp, restartOf set', () =>
    withEmulator(
      // The re-init after the timeout counts in the next invocation's timeout: it must fit in it.
      [fn('timing', 'lifetime.handler', { timeoutMs: 3_000, concurrency: 1 })],
      {},
      async ({ invoke }) => {
        // Prepare
        const before = (await invoke('timing')).body

        // Act
        const timedOut = await invoke('timing', { sleepMs: 4_000 })
        const after = (await invoke('timing')).body

        // Assess
        expect(timedOut.output.FunctionError).toBe('Unhandled')
        expect(timedOut.body.errorType).toBe('Sandbox.Timedout')
        expect(after.view.environmentId).toBe(before.view.environmentId)
        expect(after.tmpDir).toBe(before.tmpDir)
        expect(existsSync(after.tmpDir)).toBe(true)
        expect(after.view.containerId).not.toBe(before.view.containerId)
        expect(after.view.restartOf).toBe(before.view.containerId)
      },
    ))

  test('a crash resets the environment the same way', () =>
    withEmulator([fn('open', 'lifetime.handler', { freeze: false })], {}, async ({ invoke }) => {
      // Prepare
      const before = (await invoke('open')).body

      // Act
      const crashed = await invoke('open', { crash: true })
      const after = (await invoke('open')).body

      // Assess
      expect(crashed.body.errorType).toBe('Runtime.ExitError')
      expect(after.view.environmentId).toBe(before.view.environmentId)
      expect(after.view.restartOf).toBe(before.view.containerId)
    }))
})

describe('init', () => {
  test('a handler that fails to load reports its init error, and the emulator keeps serving', () =>
    withEmulator(
      [fn('broken', 'broken.handler'), fn('open', 'lifetime.handler')],
      {},
      async ({ invoke, events }) => {
        // Act
        const failed = await invoke('broken')
        const healthy = await invoke('open')

        // Assess
        expect(failed.output.FunctionError).toBe('Unhandled')
        expect(failed.body.errorMessage).toBe('broken at init')
        expect(healthy.output.FunctionError).toBeUndefined()
        expect(
          events.some((event) => event.type === 'environment.init-failed' && event.reason === 'error'),
        ).toBe(true)
      },
    ))

  test('an init past the init limit is retried inside the first invocation', () =>
    withEmulator(
      [fn('slow', 'slow-init.handler', { initTimeoutMs: 300, env: { INIT_DELAY_MS: '700' } })],
      {},
      async ({ invoke, events }) => {
        // Act
        const result = await invoke('slow')

        // Assess
        expect(result.body).toEqual({ initialized: true })
        const failures = events.flatMap((event) =>
          event.type === 'environment.init-failed' ? [event.reason] : [],
        )
        expect(failures).toEqual(['timeout'])
      },
    ))

  test('provisioned concurrency initializes ahead: the first invocation is pre-initialized', () =>
    withEmulator([fn('provisioned', 'lifetime.handler', { provisioned: 1 })], {}, async ({ invoke }) => {
      // Act
      const seen = (await invoke('provisioned')).body

      // Assess
      expect(seen.initType).toBe('provisioned-concurrency')
      expect(seen.view.startType).toBe('pre-initialized')
    }))

  test('Managed Instances run several invocations at once in one environment, never frozen', () =>
    withEmulator(
      [fn('managed', 'lifetime.handler', { managedInstances: { maxConcurrency: 4, workers: 2 } })],
      {},
      async ({ invoke, events }) => {
        // Act
        const results = await Promise.all([1, 2, 3].map(() => invoke('managed', { sleepMs: 500 })))

        // Assess
        const views = results.map((result) => result.body.view)
        expect(new Set(views.map((view) => view.environmentId)).size).toBe(1)
        expect(results.every((result) => result.body.initType === 'lambda-managed-instances')).toBe(true)
        expect(Math.max(...results.map((result) => result.body.snapshot.inFlight))).toBeGreaterThan(1)
        expect(events.some((event) => event.type === 'environment.freeze')).toBe(false)
      },
    ))
})

describe('logs', () => {
  test('Tail returns the invocation log; the stream file has START/END/REPORT and one Init Duration', () =>
    withEmulator([fn('web', 'http.handler')], {}, async ({ invoke, emulator, logDir }) => {
      // Act
      const event = { rawPath: '/', requestContext: { http: { method: 'GET' } } }
      const first = await invoke('web', event, { LogType: 'Tail' })
      await invoke('web', event)

      // Assess
      const tail = Buffer.from(first.output.LogResult ?? '', 'base64').toString('utf8')
      expect(tail).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST/)
      expect(tail).toContain('REPORT RequestId:')
      const info = emulator.environments('web')[0]
      const file = readFileSync(info?.logFile as string, 'utf8')
      expect(info?.logFile).toBe(join(logDir, 'web', `${info?.id.replaceAll('/', '-')}.log`))
      expect(file.match(/^REPORT /gm)).toHaveLength(2)
      expect(file.match(/Init Duration: /g)).toHaveLength(1)
    }))

  test('characters written a byte at a time stay whole, and an unfinished last line ends before END', () =>
    withEmulator([fn('logs', 'logs.handler')], {}, async ({ emulator }) => {
      // Prepare
      const text = 'Grüße: € 5, 𝄞 and 漢字'

      // Act
      const result = await emulator.invoke(
        'logs',
        { text, unfinished: 'no newline at the end' },
        { tail: true },
      )

      // Assess
      const tail = Buffer.from(result.logResult ?? '', 'base64').toString('utf8')
      const file = readFileSync(emulator.environments('logs')[0]?.logFile as string, 'utf8')
      for (const log of [tail, file]) {
        expect(log).toContain(`\n${text}\n`)
        expect(log).toContain('\nno newline at the end\nEND RequestId: ')
        expect(log).not.toContain('\uFFFD')
      }
    }))
})

describe('front doors and bad input', () => {
  test('the HTTP front door turns a request into an HTTP API v2 event and the result into a response', () =>
    withEmulator([fn('web', 'http.handler')], { httpPort: 0 }, async ({ emulator }) => {
      // Act
      const response = await fetch(`${emulator.httpUrl}/hello?x=1`, { method: 'POST', body: 'hi' })

      // Assess
      expect(response.status).toBe(200)
      expect(response.headers.get('x-fixture')).toBe('http')
      expect(await response.json()).toEqual({
        rawPath: '/hello',
        query: { x: '1' },
        method: 'POST',
        body: 'hi',
      })
    }))

  test('unknown functions, malformed and oversize payloads get Lambda errors; Event returns 202', () =>
    withEmulator([fn('open', 'lifetime.handler')], {}, async ({ lambda, emulator, invoke }) => {
      // Act
      const unknown = lambda.send(new InvokeCommand({ FunctionName: 'nope' }))
      const malformed = lambda.send(
        new InvokeCommand({ FunctionName: 'open', Payload: Buffer.from('{nope') }),
      )
      const oversize = lambda.send(
        new InvokeCommand({ FunctionName: 'open', Payload: Buffer.alloc(6 * 1024 * 1024 + 1, 0x20) }),
      )
      const queued = await lambda.send(
        new InvokeCommand({ FunctionName: 'open', InvocationType: 'Event', Payload: Buffer.from('{}') }),
      )
      const raw = await fetch(`${emulator.invokeUrl}/2015-03-31/functions/open/invocations`, {
        method: 'POST',
        headers: { 'X-Amz-Invocation-Type': 'Sideways' },
        body: '{}',
      })

      // Assess
      await expect(unknown).rejects.toMatchObject({ name: 'ResourceNotFoundException' })
      await expect(malformed).rejects.toMatchObject({ name: 'InvalidRequestContentException' })
      await expect(oversize).rejects.toMatchObject({ name: 'RequestEntityTooLargeException' })
      expect(queued.StatusCode).toBe(202)
      expect(queued.ExecutedVersion).toBeUndefined()
      expect((await invoke('open')).output.ExecutedVersion).toBe('$LATEST')
      expect(raw.status).toBe(400)
      expect(raw.headers.get('x-amzn-errortype')).toBe('InvalidParameterValueException')
      expect((await invoke('open')).output.StatusCode).toBe(200)
    }))
})

describe('lifetime limits and the runtime contract', () => {
  test('an environment past its maximum lifetime is retired after its current invocation', () =>
    withEmulator(
      [fn('aging', 'lifetime.handler', { maxLifetimeMs: 500 })],
      {},
      async ({ invoke, emulator, events }) => {
        // Prepare: busy past the 500 ms maximum lifetime
        const busy = await invoke('aging', { sleepMs: 800 })

        // Act
        await waitFor(() => emulator.environments('aging').length === 0, 'the old environment to retire')

        // Assess
        expect(busy.output.FunctionError).toBeUndefined()
        const retired = events.find(
          (event) =>
            event.type === 'environment.shutdown' && event.environment.id === busy.body.view.environmentId,
        )
        expect(retired).toMatchObject({ reason: 'max-lifetime' })
      },
    ))

  test('the Runtime and Extensions API refuse calls out of contract', () =>
    withEmulator([fn('probe', 'probe.handler')], {}, async ({ invoke }) => {
      // Act
      const statuses = (await invoke('probe')).body

      // Assess
      expect(statuses).toEqual({
        registerWithoutName: 400,
        registerBadBody: 400,
        registerAfterInit: 403,
        pollUnknown: 403,
        unknownRoute: 404,
        unknownRequest: 400,
      })
    }))

  test('internal extensions may not take SHUTDOWN; INVOKE subscribers get INVOKE events', () =>
    withEmulator([fn('extensions', 'extensions.handler')], {}, async ({ invoke, emulator }) => {
      // Act
      await invoke('extensions')
      const second = (await invoke('extensions')).body

      // Assess
      expect(second.refusedStatus).toBe(403)
      expect(second.refusal).toEqual({
        errorType: 'Extension.InvalidEventType',
        errorMessage: 'SHUTDOWN: ShutdownEventNotSupportedForInternalExtension',
      })
      expect(second.seen).toContain('INVOKE')
      expect(emulator.environments('extensions')[0]?.extensions).toEqual(['watcher'])
    }))

  test('a response over 6 MB and a thrown error come back as function errors', () =>
    withEmulator([fn('answers', 'answers.handler')], {}, async ({ invoke }) => {
      // Act
      const oversize = await invoke('answers', { oversize: true })
      const failed = await invoke('answers', { fail: true })

      // Assess
      expect(oversize.body).toEqual({
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size (${6 * 1024 * 1024 + 102} bytes) exceeded maximum allowed payload size (6291556 bytes).`,
      })
      expect(failed.output.FunctionError).toBe('Unhandled')
      expect(failed.body).toMatchObject({ errorType: 'TypeError', errorMessage: 'asked to fail' })
    }))

  test('in-process invoke: Event, client context (any Unicode), Tail, unknown function', () =>
    withEmulator([fn('answers', 'answers.handler')], {}, async ({ emulator }) => {
      // Act
      const queued = await emulator.invoke('answers', {}, { type: 'Event' })
      const tailed = await emulator.invoke('answers', {}, { tail: true })
      const context = await emulator.invoke(
        'answers',
        { clientContext: true },
        { clientContext: { custom: { who: 'Zoë', price: '€ 5' } } },
      )
      const unknown = emulator.invoke('nope')

      // Assess
      expect(queued).toMatchObject({ statusCode: 202, payload: '', environmentId: null })
      expect(JSON.parse(tailed.payload)).toEqual({ ok: true })
      expect(Buffer.from(tailed.logResult ?? '', 'base64').toString()).toContain('END RequestId')
      expect(JSON.parse(context.payload)).toEqual({ custom: { who: 'Zoë', price: '€ 5' } })
      await expect(unknown).rejects.toMatchObject({ code: 'ResourceNotFoundException', statusCode: 404 })
    }))

  test('the emulator lists its environments over HTTP and answers unknown operations with 404', () =>
    withEmulator([fn('open', 'lifetime.handler')], {}, async ({ lambda, emulator, invoke }) => {
      // Prepare
      await invoke('open')

      // Act
      const listed = await fetch(`${emulator.invokeUrl}/_lambda-lifetime/environments`)
      const unknown = await fetch(`${emulator.invokeUrl}/2015-03-31/functions`)
      const dryRun = await lambda.send(new InvokeCommand({ FunctionName: 'open', InvocationType: 'DryRun' }))
      const badLogType = await fetch(`${emulator.invokeUrl}/2015-03-31/functions/open/invocations`, {
        method: 'POST',
        headers: { 'X-Amz-Log-Type': 'Everything' },
      })
      const badContext = await fetch(`${emulator.invokeUrl}/2015-03-31/functions/open/invocations`, {
        method: 'POST',
        headers: { 'X-Amz-Client-Context': '%%%' },
      })

      // Assess
      expect(((await listed.json()) as { functionName: string }[]).map((info) => info.functionName)).toEqual([
        'open',
      ])
      expect(unknown.status).toBe(404)
      expect(dryRun.StatusCode).toBe(204)
      expect(badLogType.status).toBe(400)
      expect(badContext.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException')
    }))
})

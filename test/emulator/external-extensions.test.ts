/**
 * External extensions by Lambda's rules, driven through the AWS SDK against a real emulator: real
 * extension processes (test/emulator/fixtures/external-extensions/recorder.mjs, linked under the names they
 * register with) beside the real runtime client.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from '@jest/globals'
import type { FunctionConfig } from '@lambda-lifetime/emulator'
import { ended, fixtures, fn, processState, waitFor, withEmulator } from './harness.js'

const RECORDER = join(fixtures, 'external-extensions', 'recorder.mjs')
const scratch = mkdtempSync(join(tmpdir(), 'emulator-extensions-'))

afterAll(() => rmSync(scratch, { recursive: true, force: true }))

interface Recorded {
  readonly name: string
  readonly pid: number
  readonly at: number
  readonly type: 'start' | 'register' | 'event' | 'done' | 'init-error'
  readonly status?: number
  readonly body?: Record<string, unknown>
  readonly env?: Record<string, string | null>
  readonly event?: Record<string, unknown>
  readonly requestId?: string
}

let folders = 0

/** An extensions folder with the recorder linked under each name, and the file it records to. */
const setUp = (names: readonly string[]): { dir: string; record: string; read: () => Recorded[] } => {
  folders += 1
  const dir = join(scratch, `extensions-${folders}`)
  const record = join(scratch, `record-${folders}.jsonl`)
  mkdirSync(dir, { recursive: true })
  for (const name of names) symlinkSync(RECORDER, join(dir, name))
  const read = (): Recorded[] =>
    existsSync(record)
      ? readFileSync(record, 'utf8')
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line) as Recorded)
      : []
  return { dir, record, read }
}

const withExtensions = (
  extras: Partial<FunctionConfig>,
  env: Record<string, string>,
  record: string,
): FunctionConfig => ({
  name: 'observed',
  handler: 'function.handler',
  codeDir: join(fixtures, 'external-extensions'),
  timeoutMs: 3_000,
  shutdownTimeoutMs: 500,
  ...extras,
  env: { EXT_RECORD: record, EXT_CUSTOM: 'from the function', ...env },
})

const logOf = (logDir: string): string => {
  const files: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else files.push(path)
    }
  }
  walk(logDir)
  return files.map((file) => readFileSync(file, 'utf8')).join('')
}

const errorOf = (text: string): { errorType: string; errorMessage: string } =>
  JSON.parse(text) as { errorType: string; errorMessage: string }

describe('external extensions', () => {
  test('they start before the runtime, register by file name, get INVOKE, and SHUTDOWN (spindown) at the end', async () => {
    // Prepare
    const { dir, record, read } = setUp(['alpha', 'beta'])
    let stoppedAt = 0
    // Each registers 300 ms after it started: a runtime started beside them would start that much earlier.
    await withEmulator(
      [withExtensions({ extensionsDir: dir }, { EXT_REGISTER_DELAY_MS: '300' }, record)],
      {},
      async ({ invoke, stop, logDir }) => {
        // Act
        const first = await invoke('observed')
        const second = await invoke('observed')
        await waitFor(
          () => read().filter((entry) => entry.type === 'done').length === 4,
          'both extensions done',
        )
        const log = logOf(logDir)
        await stop()
        stoppedAt = Date.now()

        // Assess: registration answered as Lambda does, with the function's environment minus the runtime's own.
        const registrations = read().filter((entry) => entry.type === 'register')
        expect(registrations.map((entry) => entry.name).sort()).toEqual(['alpha', 'beta'])
        for (const registration of registrations) {
          expect(registration.status).toBe(200)
          expect(registration.body).toEqual({
            functionName: 'observed',
            functionVersion: '$LATEST',
            handler: 'function.handler',
            accountId: '000000000000',
          })
          expect(registration.env).toMatchObject({ functionName: 'observed', custom: 'from the function' })
          expect(registration.env).toMatchObject({ handler: null, logStream: null })
        }
        // The runtime process started after the last registration.
        const lastRegistration = Math.max(...registrations.map((entry) => entry.at))
        expect(first.body.startedAt as number).toBeGreaterThan(lastRegistration - 100)
        // Each got both invocations, in order.
        for (const name of ['alpha', 'beta']) {
          const invokes = read().filter(
            (entry) => entry.name === name && entry.type === 'event' && entry.event?.eventType === 'INVOKE',
          )
          expect(invokes.map((entry) => entry.event?.requestId)).toEqual([
            first.body.requestId,
            second.body.requestId,
          ])
          expect(invokes[0]?.event).toMatchObject({
            invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:observed',
            tracing: { type: 'X-Amzn-Trace-Id' },
          })
        }
        // Their output is in the log stream as they wrote it, and the init's EXTENSION lines.
        expect(log).toContain('EXTENSION Name: alpha\tState: Ready\tEvents: [INVOKE,SHUTDOWN]\n')
        expect(log).toContain('EXTENSION Name: beta\tState: Ready\tEvents: [INVOKE,SHUTDOWN]\n')
        expect(log).toMatch(/^\[alpha\] \{"name":"alpha"/m)
      },
    )

    // Assess: SHUTDOWN with reason and a deadline within Lambda's 2 s budget; both exited on their own.
    const shutdowns = read().filter((entry) => entry.event?.eventType === 'SHUTDOWN')
    expect(shutdowns.map((entry) => entry.name).sort()).toEqual(['alpha', 'beta'])
    for (const shutdown of shutdowns) {
      expect(shutdown.event?.shutdownReason).toBe('spindown')
      const deadline = shutdown.event?.deadlineMs as number
      expect(deadline - shutdown.at).toBeLessThanOrEqual(2_000)
      expect(deadline).toBeGreaterThan(shutdown.at)
      expect(ended(shutdown.pid)).toBe(true)
    }
    expect(stoppedAt).toBeGreaterThan(0)
  })

  test('an extension that exits during init fails the init with Extension.Crash', async () => {
    // Prepare
    const { dir, record } = setUp(['fragile'])
    await withEmulator(
      [withExtensions({ extensionsDir: dir }, { EXT_MODE: 'crash-init' }, record)],
      {},
      async ({ invoke, logDir, events }) => {
        // Act
        const answer = await invoke('observed')

        // Assess
        expect(answer.output.FunctionError).toBe('Unhandled')
        const error = errorOf(answer.text)
        expect(error.errorType).toBe('Extension.Crash')
        expect(error.errorMessage).toMatch(/^RequestId: [0-9a-f-]{36} Error: exit status 1$/)
        expect(logOf(logDir)).toMatch(
          /INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Extension.Crash/,
        )
        expect(
          events.some(
            (event) => event.type === 'environment.init-failed' && event.errorType === 'Extension.Crash',
          ),
        ).toBe(true)
      },
    )
  })

  test('/extension/init/error then exit fails the init with Extension.InitError', async () => {
    // Prepare
    const { dir, record, read } = setUp(['misconfigured'])
    await withEmulator(
      [withExtensions({ extensionsDir: dir }, { EXT_MODE: 'init-error' }, record)],
      {},
      async ({ invoke, logDir }) => {
        // Act
        const answer = await invoke('observed')

        // Assess
        expect(errorOf(answer.text).errorType).toBe('Extension.InitError')
        expect(read().find((entry) => entry.type === 'init-error')?.status).toBe(202)
        expect(logOf(logDir)).toContain(
          'EXTENSION Name: misconfigured\tState: InitError\tEvents: [INVOKE,SHUTDOWN]\n',
        )
      },
    )
  })

  test('an extension that cannot be executed is an Extension.LaunchError', async () => {
    // Prepare: a file without the execute bit.
    const { dir, record } = setUp([])
    writeFileSync(join(dir, 'not-executable'), '#!/bin/sh\n', { mode: 0o644 })
    await withEmulator([withExtensions({ extensionsDir: dir }, {}, record)], {}, async ({ invoke }) => {
      // Act
      const answer = await invoke('observed')

      // Assess
      expect(errorOf(answer.text).errorType).toBe('Extension.LaunchError')
    })
  })

  test('the caller has the answer when the runtime answers; the next invocation waits for the extension', async () => {
    // Prepare
    const { dir, record, read } = setUp(['slow'])
    await withEmulator(
      [
        withExtensions(
          { extensionsDir: dir, concurrency: 1 },
          { EXT_MODE: 'slow-invoke', EXT_DELAY_MS: '800' },
          record,
        ),
      ],
      {},
      async ({ invoke }) => {
        // Act
        const first = await invoke('observed')
        const answeredAt = Date.now()
        const second = await invoke('observed')

        // Assess
        const done = read().filter((entry) => entry.type === 'done')
        const firstDone = done.find((entry) => entry.requestId === first.body.requestId)
        expect(firstDone).toBeDefined()
        expect(answeredAt).toBeLessThan(firstDone?.at as number)
        // The second invocation reached the runtime only after the extension was through with the first.
        expect(second.body.answeredAt as number).toBeGreaterThanOrEqual(firstDone?.at as number)
      },
    )
  })

  test('an extension that crashes mid-invoke fails the invocation and resets the environment', async () => {
    // Prepare
    const { dir, record, read } = setUp(['crashy', 'steady'])
    await withEmulator(
      [withExtensions({ extensionsDir: dir }, { EXT_MODE_CRASHY: 'crash-invoke' }, record)],
      {},
      async ({ invoke, events, logDir }) => {
        // Act: the runtime answers long after the extension crashed.
        const answer = await invoke('observed', { delayMs: 1_500 })
        await waitFor(
          () => read().some((entry) => entry.name === 'steady' && entry.event?.eventType === 'SHUTDOWN'),
          'the SHUTDOWN of the other extension',
        )

        // Assess
        const error = errorOf(answer.text)
        expect(error.errorType).toBe('Extension.Crash')
        expect(error.errorMessage).toMatch(/Error: exit status 3$/)
        expect(events.find((event) => event.type === 'environment.reset')).toMatchObject({ reason: 'crash' })
        expect(logOf(logDir)).toContain(
          `RequestId: ${error.errorMessage.slice(11, 47)} Error: exit status 3\nExtension.Crash\nEND RequestId:`,
        )
        const shutdown = read().find(
          (entry) => entry.name === 'steady' && entry.event?.eventType === 'SHUTDOWN',
        )
        expect(shutdown?.event?.shutdownReason).toBe('failure')
      },
    )
  })

  test('/extension/exit/error then exit is an Extension.ExitError', async () => {
    // Prepare
    const { dir, record } = setUp(['quitter'])
    await withEmulator(
      [withExtensions({ extensionsDir: dir }, { EXT_MODE: 'exit-error' }, record)],
      {},
      async ({ invoke }) => {
        // Act
        const answer = await invoke('observed', { delayMs: 1_500 })

        // Assess
        expect(errorOf(answer.text)).toMatchObject({ errorType: 'Extension.ExitError' })
      },
    )
  })

  test('a timeout resets the environment with SHUTDOWN reason timeout', async () => {
    // Prepare
    const { dir, record, read } = setUp(['watcher'])
    await withEmulator(
      [withExtensions({ extensionsDir: dir, timeoutMs: 1_000 }, {}, record)],
      {},
      async ({ invoke }) => {
        // Act
        const answer = await invoke('observed', { delayMs: 5_000 })
        await waitFor(() => read().some((entry) => entry.event?.eventType === 'SHUTDOWN'), 'the SHUTDOWN')

        // Assess
        expect(errorOf(answer.text).errorType).toBe('Sandbox.Timedout')
        expect(read().find((entry) => entry.event?.eventType === 'SHUTDOWN')?.event?.shutdownReason).toBe(
          'timeout',
        )
      },
    )
  })

  test('an extension that ignores SHUTDOWN is killed at the deadline', async () => {
    // Prepare
    const { dir, record, read } = setUp(['stubborn'])
    await withEmulator(
      [withExtensions({ extensionsDir: dir }, { EXT_MODE: 'ignore-shutdown' }, record)],
      {},
      async ({ invoke, stop }) => {
        await invoke('observed')

        // Act
        await stop()
        const stoppedAt = Date.now()

        // Assess: it got its SHUTDOWN, outlived nothing, and was let be until the deadline.
        const shutdown = read().find((entry) => entry.event?.eventType === 'SHUTDOWN')
        expect(shutdown).toBeDefined()
        expect(stoppedAt).toBeGreaterThanOrEqual(shutdown?.event?.deadlineMs as number)
        expect(ended(shutdown?.pid as number)).toBe(true)
      },
    )
  })

  test('an extension still at work when the invocation times out gets its SHUTDOWN (timeout) at its next poll', async () => {
    // Prepare
    const { dir, record, read } = setUp(['busy'])
    await withEmulator(
      [
        withExtensions(
          { extensionsDir: dir, timeoutMs: 1_000 },
          { EXT_MODE: 'slow-invoke', EXT_DELAY_MS: '1500' },
          record,
        ),
      ],
      {},
      async ({ invoke, events }) => {
        // Act: the reset comes while the extension is busy with the INVOKE.
        const answer = await invoke('observed', { delayMs: 5_000 })
        await waitFor(() => read().some((entry) => entry.event?.eventType === 'SHUTDOWN'), 'the SHUTDOWN')

        // Assess
        expect(errorOf(answer.text).errorType).toBe('Sandbox.Timedout')
        const reset = events.find((event) => event.type === 'environment.reset')
        const shutdown = read().find((entry) => entry.event?.eventType === 'SHUTDOWN')
        expect(shutdown?.event?.shutdownReason).toBe('timeout')
        expect(shutdown?.at as number).toBeGreaterThan(reset?.at as number)
        expect(read().some((entry) => entry.type === 'done')).toBe(true)
      },
    )
  })

  test('with the JSON log format each extension, internal or external, is a platform.extension record', async () => {
    // Prepare: the extensions.mjs handler registers an internal extension too.
    const { dir, record } = setUp(['agent'])
    await withEmulator(
      [
        fn('both', 'extensions.handler', {
          extensionsDir: dir,
          loggingConfig: { logFormat: 'JSON' },
          env: { EXT_RECORD: record },
        }),
      ],
      {},
      async ({ invoke, logDir, stop }) => {
        // Act
        await invoke('both')
        await stop()

        // Assess
        const records = logOf(logDir)
          .split('\n')
          .filter((line) => line.includes('"platform.extension"'))
          .map((line) => JSON.parse(line).record)
        expect(records).toEqual([
          { name: 'agent', state: 'Ready', events: ['INVOKE', 'SHUTDOWN'] },
          { name: 'watcher', state: 'Ready', events: ['INVOKE'] },
        ])
      },
    )
  })

  test('extensions that never register are ended with an environment shut down during its init', async () => {
    // Prepare: its extension never registers, so the init waits (up to the init limit).
    const { dir, record, read } = setUp(['silent'])
    await withEmulator(
      [withExtensions({ extensionsDir: dir }, { EXT_MODE: 'never-register' }, record)],
      {},
      async ({ invoke, stop }) => {
        const pending = invoke('observed').catch((error: unknown) => error)
        await waitFor(() => read().some((entry) => entry.type === 'start'), 'the extension process')

        // Act
        await stop()
        await pending

        // Assess
        const started = read().find((entry) => entry.type === 'start')
        expect(ended(started?.pid as number)).toBe(true)
      },
    )
  })

  test('extensions are frozen with the runtime between invocations; one not subscribed to SHUTDOWN is killed at once', async () => {
    // Prepare
    const { dir, record, read } = setUp(['frozen', 'no-shutdown'])
    await withEmulator(
      [withExtensions({ extensionsDir: dir }, { EXT_MODE_NO_SHUTDOWN: 'invoke-only' }, record)],
      {},
      async ({ invoke, events, stop }) => {
        await invoke('observed')
        await waitFor(() => events.some((event) => event.type === 'environment.freeze'), 'the freeze')
        const pids = read()
          .filter((entry) => entry.type === 'start')
          .map((entry) => entry.pid)

        // Act
        const whileIdle = pids.map((pid) => processState(pid))
        const second = await invoke('observed')
        await stop()

        // Assess
        expect(whileIdle).toEqual(['T', 'T'])
        expect(second.output.FunctionError).toBeUndefined()
        const shutdowns = read().filter((entry) => entry.event?.eventType === 'SHUTDOWN')
        expect(shutdowns.map((entry) => entry.name)).toEqual(['frozen'])
        for (const pid of pids) expect(ended(pid)).toBe(true)
      },
    )
  })
})

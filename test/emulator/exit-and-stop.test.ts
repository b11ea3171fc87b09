/**
 * What the emulator does about runtime processes when it ends: the exit hook that kills them if this
 * process exits without stop(), and stop() failing the invocations still running.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import { type Emulator, type EmulatorEvent, startEmulator } from '@lambda-lifetime/emulator'

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url))
const containerLib = fileURLToPath(new URL('../../packages/container/lib/index.js', import.meta.url))

let emulator: Emulator
let exitHook: () => void
let logDir: string
const events: EmulatorEvent[] = []

const waitFor = async (check: () => boolean, what: string, timeoutMs = 8_000): Promise<void> => {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

beforeAll(async () => {
  if (!existsSync(containerLib)) {
    throw new Error('packages/container/lib/index.js is missing: run `npx tsc --build` before these tests')
  }
  logDir = mkdtempSync(join(tmpdir(), 'emulator-exit-logs-'))
  const hooksBefore = new Set(process.listeners('exit'))
  emulator = await startEmulator({
    logDir,
    onEvent: (event) => events.push(event),
    functions: [
      { name: 'kept', handler: 'lifetime.handler', codeDir: fixtures, provisioned: 1 },
      { name: 'busy', handler: 'lifetime.handler', codeDir: fixtures },
    ],
  })
  exitHook = process.listeners('exit').find((listener) => !hooksBefore.has(listener)) as () => void
})

afterAll(async () => {
  await emulator?.stop()
  rmSync(logDir, { recursive: true, force: true })
})

test('the exit hook SIGKILLs every runtime process group, skipping environments not spawned yet', async () => {
  // Prepare: a provisioned runtime, and an environment created for an invocation but not spawned yet
  const kept = emulator.environments('kept')[0]
  const invoked = emulator.invoke('busy', {})
  const unspawnedPid = emulator.environments('busy')[0]?.pid

  // Act
  exitHook()

  // Assess
  expect(kept?.pid).toEqual(expect.any(Number))
  expect(unspawnedPid).toBeNull()
  await waitFor(
    () => events.some((event) => event.type === 'environment.reset' && event.environment.id === kept?.id),
    'the killed runtime to be noticed',
  )
  const reset = events.find(
    (event) => event.type === 'environment.reset' && event.environment.id === kept?.id,
  )
  expect(reset).toMatchObject({ reason: 'crash' })
  expect((await invoked).functionError).toBeUndefined()
})

test('stop() fails the invocations still running with Runtime.ExitError', async () => {
  // Prepare
  const running = emulator.invoke('busy', { sleepMs: 5_000 })
  await waitFor(
    () => emulator.environments('busy').some((info) => info.inFlight > 0),
    'the invocation to start',
  )

  // Act
  await emulator.stop()

  // Assess
  const result = await running
  expect(result.functionError).toBe('Unhandled')
  expect(JSON.parse(result.payload)).toMatchObject({
    errorType: 'Runtime.ExitError',
    errorMessage: expect.stringContaining('the environment was shut down (stop)'),
  })
  expect(emulator.environments()).toEqual([])
})

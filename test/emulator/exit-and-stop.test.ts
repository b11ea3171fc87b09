/**
 * What the emulator does about runtime processes when it ends: the exit hooks that kill them (and
 * what they started) if this process exits without stop(), and stop() failing the invocations still
 * running. Each test has an emulator of its own.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, expect, test } from '@jest/globals'
import { ended, fn, waitFor, withEmulator } from './harness.js'

const containerLib = fileURLToPath(new URL('../../packages/container/lib/index.js', import.meta.url))

beforeAll(() => {
  if (!existsSync(containerLib)) {
    throw new Error('packages/container/lib/index.js is missing: run `npx tsc --build` before these tests')
  }
})

test('the exit hooks SIGKILL every runtime and what it started, skipping environments not spawned yet', async () => {
  const hooksBefore = new Set(process.listeners('exit'))
  await withEmulator(
    [
      fn('kept', 'lifetime.handler', { provisioned: 1 }),
      fn('busy', 'lifetime.handler'),
      fn('detached', 'detached.handler'),
    ],
    {},
    async ({ emulator, events }) => {
      // Prepare: a provisioned runtime, a runtime with a detached child, and an environment created for
      // an invocation but not spawned yet
      const started = JSON.parse((await emulator.invoke('detached')).payload) as Record<string, number>
      const kept = emulator.environments('kept')[0]
      const invoked = emulator.invoke('busy', {})
      const unspawnedPid = emulator.environments('busy')[0]?.pid
      const hooks = process.listeners('exit').filter((listener) => !hooksBefore.has(listener))

      // Act: what Node runs when this process exits
      for (const hook of hooks) (hook as () => void)()

      // Assess
      expect(hooks.length).toBeGreaterThan(0)
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
      await waitFor(
        () => [started.runtime, started.child, started.orphan].every((pid) => ended(pid as number)),
        'the detached processes to end',
      )
      expect((await invoked).functionError).toBeUndefined()
    },
  )
})

test('stop() fails the invocations still running with Runtime.ExitError', () =>
  withEmulator([fn('busy', 'lifetime.handler', { timeoutMs: 30_000 })], {}, async ({ emulator, stop }) => {
    // Prepare
    const running = emulator.invoke('busy', { sleepMs: 20_000 })
    await waitFor(
      () => emulator.environments('busy').some((info) => info.inFlight > 0),
      'the invocation to start',
    )

    // Act
    await stop()

    // Assess
    const result = await running
    expect(result.functionError).toBe('Unhandled')
    expect(JSON.parse(result.payload)).toMatchObject({
      errorType: 'Runtime.ExitError',
      errorMessage: expect.stringContaining('the environment was shut down (stop)'),
    })
    expect(emulator.environments()).toEqual([])
  }))

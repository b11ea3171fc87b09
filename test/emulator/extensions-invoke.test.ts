/**
 * An invocation is over when the runtime and every extension that got its INVOKE asked for their
 * next event, as Lambda has it: the caller has the answer at once, the environment waits.
 */
import { describe, expect, test } from '@jest/globals'
import { fn, waitFor, withEmulator } from './harness.js'

describe('extensions and the end of an invocation', () => {
  test('the next invocation runs only after the extension finished the previous one', () =>
    withEmulator(
      [fn('ext', 'slow-extension.handler', { concurrency: 1, env: { EXTENSION_WORK_MS: '700' } })],
      {},
      async ({ invoke }) => {
        // Act
        const first = await invoke('ext')
        const second = await invoke('ext')

        // Assess: the extension finished the first invocation before the second began.
        expect(first.body.extensionDone).toEqual([])
        expect(second.body.extensionDone).toEqual([first.body.requestId])
      },
    ))

  test('an extension that never asks again is cut off at the deadline: the environment is reset', () =>
    withEmulator(
      [fn('stuck', 'slow-extension.handler', { timeoutMs: 1_000, env: { EXTENSION_WORK_MS: '-1' } })],
      {},
      async ({ invoke, events }) => {
        // Act
        const answer = await invoke('stuck')
        await waitFor(() => events.some((event) => event.type === 'environment.reset'), 'the reset')

        // Assess
        expect(answer.output.FunctionError).toBeUndefined()
        expect(events.find((event) => event.type === 'environment.reset')).toMatchObject({
          reason: 'timeout',
        })
      },
    ))
})

/** Managed Instances through the AWS SDK: each invocation times out on its own, the others go on. */
import { describe, expect, test } from '@jest/globals'
import { fn, withEmulator } from './harness.js'

describe('Managed Instances', () => {
  test('a call past its timeout gets Sandbox.Timedout while the runtime and its other calls go on', () =>
    withEmulator(
      [
        fn('managed', 'reinit.handler', {
          timeoutMs: 1_000,
          managedInstances: { maxConcurrency: 4, workers: 2 },
        }),
      ],
      {},
      async ({ invoke, events }) => {
        // Act
        const [slow, quick] = await Promise.all([invoke('managed', { sleepMs: 2_500 }), invoke('managed')])
        const after = await invoke('managed')

        // Assess
        expect(slow.output.FunctionError).toBe('Unhandled')
        expect(slow.body).toMatchObject({
          errorType: 'Sandbox.Timedout',
          errorMessage: expect.stringContaining('Task timed out after 1.00 seconds'),
        })
        expect(quick.output.FunctionError).toBeUndefined()
        expect(after.output.FunctionError).toBeUndefined()
        expect(events.some((event) => event.type === 'environment.reset')).toBe(false)
        expect(
          new Set(events.flatMap((event) => ('environment' in event ? [event.environment.id] : []))).size,
        ).toBe(1)
      },
    ))
})

/**
 * After a timeout Lambda re-initializes lazily, inside the next invocation and its timeout: no
 * INIT_START before the failed call's REPORT, no Init Duration on the next REPORT, and a function
 * whose init does not fit its timeout never recovers.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from '@jest/globals'
import { fn, withEmulator } from './harness.js'

const streamOf = (logDir: string, functionName: string): string => {
  const dir = join(logDir, functionName)
  const [file] = readdirSync(dir).filter((name) => name.endsWith('.log'))
  return readFileSync(join(dir, file as string), 'utf8')
}

const reportOf = (log: string, requestId: string): string =>
  log.split('\n').find((line) => line.startsWith(`REPORT RequestId: ${requestId}`)) ?? ''

describe('reset after a timeout', () => {
  test('the re-init runs inside the next invocation: its time is in Duration and spends the timeout', () =>
    withEmulator(
      [fn('lazy', 'reinit.handler', { timeoutMs: 2_000, concurrency: 1, env: { INIT_DELAY_MS: '800' } })],
      {},
      async ({ invoke, logDir }) => {
        // Prepare
        await invoke('lazy')

        // Act
        const timedOut = await invoke('lazy', { sleepMs: 3_000 })
        const next = await invoke('lazy')

        // Assess
        expect(timedOut.body.errorType).toBe('Sandbox.Timedout')
        expect(next.output.FunctionError).toBeUndefined()
        expect(next.body.remainingMs).toBeLessThanOrEqual(2_000 - 800)
        const log = streamOf(logDir, 'lazy')
        const timedOutId = timedOut.output.$metadata.requestId as string
        const nextId = next.output.$metadata.requestId as string
        const initStarts = [...log.matchAll(/^INIT_START/gm)].map((match) => match.index)
        expect(initStarts).toHaveLength(2)
        expect(initStarts[1]).toBeGreaterThan(log.indexOf(`REPORT RequestId: ${timedOutId}`))
        expect(initStarts[1]).toBeLessThan(log.indexOf(`START RequestId: ${nextId}`))
        const report = reportOf(log, nextId)
        expect(report).not.toContain('Init Duration')
        expect(Number(/Duration: ([\d.]+) ms/.exec(report)?.[1])).toBeGreaterThanOrEqual(800)
      },
    ))

  test('a function whose init is longer than its timeout never recovers after a timeout', () =>
    withEmulator(
      [fn('stuck', 'reinit.handler', { timeoutMs: 1_000, concurrency: 1, env: { INIT_DELAY_MS: '1500' } })],
      {},
      async ({ invoke, events }) => {
        // Prepare: the first init has the 10 s init limit, so it succeeds.
        const first = await invoke('stuck')

        // Act
        await invoke('stuck', { sleepMs: 2_000 })
        const again = await invoke('stuck')
        const stillFailing = await invoke('stuck')

        // Assess
        expect(first.output.FunctionError).toBeUndefined()
        for (const failed of [again, stillFailing]) {
          expect(failed.output.FunctionError).toBe('Unhandled')
          expect(failed.body.errorMessage).toMatch(/Task timed out after 1\.00 seconds/)
        }
        const environments = new Set(
          events.flatMap((event) => (event.type === 'environment.start' ? [event.environment.id] : [])),
        )
        expect(environments.size).toBe(1)
      },
    ))
})

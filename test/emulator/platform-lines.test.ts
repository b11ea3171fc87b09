/**
 * The platform lines Lambda writes when things go wrong, through the AWS SDK and the real runtime
 * client: INIT_REPORT after a failed init, the crash lines with Go's signal names, a memory peak that
 * survives the kill, and Billed Duration that includes an on-demand init.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from '@jest/globals'
import { fn, withEmulator } from './harness.js'

const streamOf = (logDir: string, functionName: string): string =>
  readdirSync(join(logDir, functionName))
    .filter((name) => name.endsWith('.log'))
    .map((name) => readFileSync(join(logDir, functionName, name), 'utf8'))
    .join('')

const figure = (line: string, name: string): number =>
  Number(new RegExp(`${name}: ([\\d.]+)`).exec(line)?.[1])

describe('platform lines', () => {
  test('an init past its limit writes INIT_REPORT with Phase and Status', () =>
    withEmulator(
      [fn('slow', 'slow-init.handler', { initTimeoutMs: 300, env: { INIT_DELAY_MS: '700' } })],
      {},
      async ({ invoke, logDir }) => {
        // Act
        await invoke('slow')

        // Assess
        expect(streamOf(logDir, 'slow')).toMatch(
          /^INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: timeout$/m,
        )
      },
    ))

  test('a crash writes Lambda’s lines with Go’s signal name; the REPORT keeps the memory peak', () =>
    withEmulator([fn('open', 'lifetime.handler', { freeze: false })], {}, async ({ invoke, logDir }) => {
      // Prepare
      await invoke('open')

      // Act
      const crashed = await invoke('open', { crash: true })

      // Assess
      const requestId = crashed.output.$metadata.requestId as string
      const log = streamOf(logDir, 'open')
      expect(log).toContain(
        `RequestId: ${requestId} Error: Runtime exited with error: exit status 3\nRuntime.ExitError\nEND RequestId: ${requestId}`,
      )
      const report = log
        .split('\n')
        .find((line) => line.startsWith(`REPORT RequestId: ${requestId}`)) as string
      expect(figure(report, 'Max Memory Used')).toBeGreaterThan(0)
      expect(report).toContain('Status: error\tError Type: Runtime.ExitError')
    }))

  test('a timeout REPORT keeps the memory peak; the first REPORT bills the init', () =>
    withEmulator([fn('timing', 'reinit.handler', { timeoutMs: 1_000 })], {}, async ({ invoke, logDir }) => {
      // Act
      const first = await invoke('timing')
      const timedOut = await invoke('timing', { sleepMs: 2_000 })

      // Assess
      const log = streamOf(logDir, 'timing')
      const reportOf = (id: string) =>
        log.split('\n').find((line) => line.startsWith(`REPORT RequestId: ${id}`)) as string
      const cold = reportOf(first.output.$metadata.requestId as string)
      expect(figure(cold, 'Billed Duration')).toBe(
        Math.ceil(figure(cold, '\tDuration') + figure(cold, 'Init Duration')),
      )
      const late = reportOf(timedOut.output.$metadata.requestId as string)
      expect(late).toContain('Status: timeout')
      expect(figure(late, 'Max Memory Used')).toBeGreaterThan(0)
    }))

  test('with the JSON log format the platform lines are JSON records, filtered by the system log level', () =>
    withEmulator(
      [
        fn('info', 'env.handler', { loggingConfig: { logFormat: 'JSON' } }),
        fn('warn', 'env.handler', { loggingConfig: { logFormat: 'JSON', systemLogLevel: 'WARN' } }),
      ],
      {},
      async ({ invoke, logDir }) => {
        // Act
        const answer = await invoke('info')
        await invoke('warn')

        // Assess
        const records = streamOf(logDir, 'info')
          .split('\n')
          .filter((line) => line.startsWith('{"time"'))
          .map((line) => JSON.parse(line))
        expect(records.map((record) => record.type)).toEqual([
          'platform.initStart',
          'platform.start',
          'platform.report',
        ])
        const report = records[2]
        expect(report.record).toMatchObject({
          requestId: answer.output.$metadata.requestId,
          status: 'success',
          metrics: { memorySizeMB: 128, initDurationMs: expect.any(Number) },
        })
        expect(report.record.metrics.billedDurationMs).toBe(
          Math.max(1, Math.ceil(report.record.metrics.durationMs + report.record.metrics.initDurationMs)),
        )
        const warnLog = streamOf(logDir, 'warn')
        expect(warnLog).not.toContain('"platform.')
        expect(warnLog).not.toMatch(/^(START|END|REPORT) /m)
      },
    ))
})

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from '@jest/globals'
import { PlatformLog } from '../src/platform-log.js'

const dir = mkdtempSync(join(tmpdir(), 'platform-log-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const recordsOf = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))

describe('PlatformLog with the JSON format', () => {
  test('a failed init and a crashed invocation are records with their status and error type', () => {
    // Prepare
    const file = join(dir, 'json.log')
    const log = new PlatformLog(file, { logFormat: 'JSON', systemLogLevel: 'DEBUG' })

    // Act
    log.initReport(12.3456, 'init', 'error', 'Runtime.ExitError')
    log.initReport(5, 'invoke', 'timeout', 'Sandbox.Timedout')
    log.start('r', false)
    log.end({
      requestId: 'r',
      durationMs: 1.5,
      memoryMb: 128,
      maxMemoryUsedMb: null,
      initDurationMs: null,
      status: 'crash',
      errorType: 'Runtime.ExitError',
    })
    log.close()

    // Assess
    const [initError, initTimeout, , report] = recordsOf(file)
    expect(initError).toMatchObject({
      type: 'platform.initReport',
      record: {
        phase: 'init',
        status: 'error',
        errorType: 'Runtime.ExitError',
        metrics: { durationMs: 12.346 },
      },
    })
    expect(initTimeout.record).toEqual({ phase: 'invoke', status: 'timeout', metrics: { durationMs: 5 } })
    expect(report.record).toEqual({
      requestId: 'r',
      metrics: { durationMs: 1.5, billedDurationMs: 2, memorySizeMB: 128, maxMemoryUsedMB: 0 },
      status: 'error',
      errorType: 'Runtime.ExitError',
    })
  })
})

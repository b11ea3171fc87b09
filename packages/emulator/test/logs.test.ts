import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from '@jest/globals'
import { LOG_TAIL_BYTES, LogStream, maxMemoryUsedMb, reportLine } from '../src/logs.js'

const dir = mkdtempSync(join(tmpdir(), 'emulator-logs-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('LogStream', () => {
  test('a tail keeps the last 4 KB; a concurrent capture keeps only its lines; closing twice is harmless', () => {
    // Prepare
    const stream = new LogStream(join(dir, 'fn', 'stream.log'))
    stream.capture('a', false)
    stream.capture('b', true)

    // Act
    stream.write(`${'x'.repeat(LOG_TAIL_BYTES)}\nline for b\nline for a\n`)
    const tailA = Buffer.from(stream.takeTail('a'), 'base64').toString()
    const tailB = Buffer.from(stream.takeTail('b'), 'base64').toString()
    stream.close()
    stream.write('after close\n')
    stream.close()

    // Assess
    expect(Buffer.byteLength(tailA)).toBe(LOG_TAIL_BYTES)
    expect(tailA.endsWith('line for b\nline for a\n')).toBe(true)
    expect(tailB).toBe('line for b\n')
    expect(stream.takeTail('unknown')).toBe('')
    expect(readFileSync(stream.file, 'utf8')).not.toContain('after close')
  })
})

describe('REPORT line', () => {
  test('crash and init errors carry the status and the error type; no /proc entry means 0 MB', () => {
    // Act
    const line = reportLine({
      requestId: 'r',
      durationMs: 0.2,
      memoryMb: 128,
      maxMemoryUsedMb: maxMemoryUsedMb(null),
      initDurationMs: null,
      status: 'crash',
      errorType: 'Runtime.ExitError',
    })

    // Assess
    expect(line).toBe(
      'REPORT RequestId: r\tDuration: 0.20 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 0 MB\tStatus: error\tError Type: Runtime.ExitError\t\n',
    )
  })
})

/**
 * The handler's output in the terminal: log stream lines made readable (runtime lines, Powertools JSON,
 * errors with their stack and a hint, one REPORT line per invocation), `raw` as written, and streams
 * followed across environments, new files included.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { followLogs, formatLogLine } from '@lambda-lifetime/emulator'

const STREAM = '2026-12-04-[$LATEST]0c043fa44889969a82ad0b09bd15493d.log'
const OTHER = '2026-12-04-[$LATEST]6f1c2d3e44889969a82ad0b09bd15493.log'

describe('formatLogLine', () => {
  test('a runtime line shows time, level and message; START and END are left to the invocation line', () => {
    // Act
    const info = formatLogLine('2026-12-04T10:00:01.234Z\tabc\tINFO\tsaved order 42', {})
    const start = formatLogLine('START RequestId: abc Version: $LATEST', {})
    const end = formatLogLine('END RequestId: abc', {})

    // Assess
    expect(info).toBe('10:00:01.234 INFO  saved order 42')
    expect(start).toBeNull()
    expect(end).toBeNull()
  })

  test('a Powertools JSON line shows time, level, message and a few key fields', () => {
    // Act
    const line = formatLogLine(
      JSON.stringify({
        level: 'WARN',
        message: 'slow payment',
        timestamp: '2026-12-04T10:00:02.000Z',
        service: 'orders',
        cold_start: true,
        orderId: '42',
        ms: 900,
      }),
      {},
    )

    // Assess
    expect(line).toBe('10:00:02.000 WARN  slow payment orderId=42 ms=900')
  })

  test('an error logged by the runtime shows its type, message, stack lines and a hint for TypeScript', () => {
    // Prepare
    const error = {
      errorType: 'Runtime.ImportModuleError',
      errorMessage: "Error: Cannot find module 'index'",
      stack: [
        "Runtime.ImportModuleError: Error: Cannot find module 'index'",
        '    at load (/var/task/index.ts:3:7)',
      ],
    }

    // Act
    const line = formatLogLine(
      `2026-12-04T10:00:03.000Z\tundefined\tERROR\tUncaught Exception \t${JSON.stringify(error)}`,
      {},
      true,
    )

    // Assess
    expect(line?.split('\n')).toEqual([
      "10:00:03.000 ERROR Uncaught Exception Runtime.ImportModuleError: Error: Cannot find module 'index'",
      '    at load (/var/task/index.ts:3:7)',
      '    hint: the handler is TypeScript: serve it with --template (bundled with esbuild), or bundle it and point --code-dir at the output',
    ])
  })

  test('a REPORT line becomes one short line with cold or warm, duration, memory and a failed status', () => {
    // Act
    const cold = formatLogLine(
      'REPORT RequestId: a\tDuration: 3.05 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\tMax Memory Used: 63 MB\tInit Duration: 92.09 ms\t',
      {},
    )
    const timedOut = formatLogLine(
      'REPORT RequestId: b\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tStatus: timeout',
      {},
    )

    // Assess
    expect(cold).toBe('REPORT cold (init 92.09 ms), 3.05 ms, memory 63 MB of 128 MB')
    expect(timedOut).toBe('REPORT warm, 3000.00 ms, memory 70 MB of 128 MB status timeout')
  })

  test('raw keeps every line as written; colour is added only when asked', () => {
    // Prepare
    const json = '{"level":"ERROR","message":"boom"}'

    // Act
    const raw = formatLogLine(json, { raw: true })
    const plain = formatLogLine(json, {})
    const coloured = formatLogLine(json, { color: true })

    // Assess
    expect(raw).toBe(json)
    expect(plain).toBe('ERROR boom')
    expect(coloured).toContain('\u001b[')
    expect(stripVTControlCharacters(coloured ?? '')).toBe(plain)
  })

  test('text and JSON that is not a log record pass through', () => {
    expect(formatLogLine('plain text', {})).toBe('plain text')
    expect(formatLogLine('[1,2]', {})).toBe('[1,2]')
    expect(formatLogLine('{"errorType":"Error","errorMessage":"bad"}', {})).toBe('Error: bad')
  })
})

describe('followLogs', () => {
  let logDir = ''
  beforeEach(() => {
    logDir = mkdtempSync(join(tmpdir(), 'follow-logs-'))
  })
  afterEach(() => {
    rmSync(logDir, { recursive: true, force: true })
  })

  const waitFor = async (lines: string[], count: number): Promise<void> => {
    const deadline = Date.now() + 10_000
    while (lines.length < count && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10))
  }

  test('prints new lines of every stream, streams created later included, prefixed by function and short id', async () => {
    // Prepare: one stream with a line already written before the follower starts
    mkdirSync(join(logDir, 'api'))
    writeFileSync(join(logDir, 'api', STREAM), 'written before\n')
    const lines: string[] = []
    const follower = followLogs(logDir, { print: (line) => lines.push(line), pollMs: 10 })
    try {
      // Act
      await follower.ready
      appendFileSync(join(logDir, 'api', STREAM), 'first\nhalf')
      mkdirSync(join(logDir, 'orders'))
      writeFileSync(join(logDir, 'orders', OTHER), 'from a new environment\n')
      await waitFor(lines, 2)
      appendFileSync(join(logDir, 'api', STREAM), ' a line\n')
      await waitFor(lines, 3)
    } finally {
      await follower.stop()
    }

    // Assess
    expect(lines.sort()).toEqual([
      'api 0c043fa4 │ first',
      'api 0c043fa4 │ half a line',
      'orders 6f1c2d3e │ from a new environment',
    ])
  })

  test('a stream written since the given time is printed whole; an older one from its end', async () => {
    // Prepare
    mkdirSync(join(logDir, 'api'))
    writeFileSync(join(logDir, 'api', STREAM), 'old run\n')
    utimesSync(join(logDir, 'api', STREAM), new Date(0), new Date(0))
    writeFileSync(join(logDir, 'api', OTHER), 'started ahead\n')
    const lines: string[] = []

    // Act
    await followLogs(logDir, { since: Date.now() - 60_000, print: (line) => lines.push(line) }).stop()

    // Assess
    expect(lines).toEqual(['api 6f1c2d3e │ started ahead'])
  })

  test('from the start, for one function', async () => {
    // Prepare
    mkdirSync(join(logDir, 'api'))
    mkdirSync(join(logDir, 'orders'))
    writeFileSync(join(logDir, 'api', STREAM), 'kept\n')
    writeFileSync(join(logDir, 'orders', OTHER), 'not this one\n')
    const lines: string[] = []

    // Act
    await followLogs(logDir, {
      functionName: 'api',
      fromStart: true,
      print: (line) => lines.push(line),
    }).stop()

    // Assess
    expect(lines).toEqual(['api 0c043fa4 │ kept'])
  })
})

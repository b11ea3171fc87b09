import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import fc from 'fast-check'
import {
  billedDurationMs,
  LOG_TAIL_BYTES,
  LogStream,
  MAX_LINE_CHARS,
  maxMemoryUsedMb,
  PipeLines,
  reportLine,
} from '../src/logs.js'
import { PlatformLog } from '../src/platform-log.js'

let dir: string

// Made in beforeAll, not at import: Jest runs no hooks for a file whose tests are all filtered out.
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-logs-'))
})
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

describe('Billed Duration', () => {
  test('is the ceiling of the duration and init as the line prints them, whatever the digits beyond (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 900_000, noNaN: true }),
        fc.option(fc.double({ min: 0, max: 900_000, noNaN: true }), { nil: null }),
        (durationMs, initDurationMs) => {
          // Act
          const line = reportLine({
            requestId: 'r',
            durationMs,
            memoryMb: 128,
            maxMemoryUsedMb: 1,
            initDurationMs,
            status: 'success',
          })
          const figure = (name: string) => Number(new RegExp(`${name}: ([\\d.]+) ms`).exec(line)?.[1] ?? 0)

          // Assess: a reader adding up the printed figures gets the billed one
          const printed = Math.round((figure('\tDuration') + figure('Init Duration')) * 100) / 100
          expect(figure('Billed Duration')).toBe(Math.max(1, Math.ceil(printed)))
          expect(billedDurationMs({ durationMs, initDurationMs })).toBe(figure('Billed Duration'))
        },
      ),
      { numRuns: 2_000 },
    )
  })

  test('a sum a hair above a whole millisecond is not billed a millisecond more than its printed figures', () => {
    expect(billedDurationMs({ durationMs: 100.004, initDurationMs: 80.997 })).toBe(181)
    expect(billedDurationMs({ durationMs: 0.001, initDurationMs: null })).toBe(1)
  })
})

/** Cuts bytes at the given offsets, as a pipe may deliver them. */
const chunksOf = (bytes: Buffer, cuts: readonly number[]): Buffer[] => {
  const offsets = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Buffer[] = []
  let start = 0
  for (const offset of [...offsets, bytes.length]) {
    chunks.push(bytes.subarray(start, offset))
    start = offset
  }
  return chunks
}

describe('PipeLines', () => {
  test('any text, cut anywhere (inside characters too), comes out whole, as complete lines', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (text, cuts) => {
          // Prepare
          const lines = new PipeLines()
          const pieces: string[] = []

          // Act
          for (const chunk of chunksOf(Buffer.from(text, 'utf8'), cuts)) pieces.push(lines.push(chunk))
          pieces.push(lines.flush(true))

          // Assess
          const expected = text.length === 0 || text.endsWith('\n') ? text : `${text}\n`
          expect(pieces.join('')).toBe(expected)
          expect(pieces.every((piece) => piece === '' || piece.endsWith('\n'))).toBe(true)
        },
      ),
      { numRuns: 2_000 },
    )
  })

  test('a character whose bytes are not all there yet waits in the decoder through a flush', () => {
    // Prepare
    const lines = new PipeLines()
    const euro = Buffer.from('€', 'utf8')

    // Act
    const first = lines.push(Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]))
    const flushed = lines.flush()
    const rest = lines.push(Buffer.concat([euro.subarray(1), Buffer.from('\n')]))

    // Assess
    expect(first).toBe('')
    expect(flushed).toBe('a\n')
    expect(rest).toBe('€\n')
    expect(lines.flush(true)).toBe('')
  })

  test('a line longer than a log event is written without waiting for its end', () => {
    // Act
    const out = new PipeLines().push(Buffer.from('x'.repeat(MAX_LINE_CHARS + 1)))
    const ended = new PipeLines().push(Buffer.from(`${'y'.repeat(MAX_LINE_CHARS)}\n`))

    // Assess
    expect(out).toBe(`${'x'.repeat(MAX_LINE_CHARS + 1)}\n`)
    expect(ended).toBe(`${'y'.repeat(MAX_LINE_CHARS)}\n`)
  })
})

describe('PlatformLog', () => {
  test('END and REPORT start on a line of their own, after the unfinished lines of every pipe', () => {
    // Prepare
    const log = new PlatformLog(join(dir, 'fn', 'platform.log'))
    const output = log.runtimeOutput()
    log.start('r1', false)

    // Act
    output.write('stdout', Buffer.from('done\nno newline'))
    output.write('stderr', Buffer.from('warn without newline'))
    const tail = Buffer.from(
      log.end({
        requestId: 'r1',
        durationMs: 1,
        memoryMb: 128,
        maxMemoryUsedMb: null,
        initDurationMs: null,
        status: 'success',
      }),
      'base64',
    ).toString()
    output.write('stdout', Buffer.from(' and later\n'))
    output.end('stdout')
    output.end('stderr')
    log.close()

    // Assess
    const lines = readFileSync(log.file, 'utf8').split('\n')
    expect(lines.slice(0, 5)).toEqual([
      'START RequestId: r1 Version: $LATEST',
      'done',
      'no newline',
      'warn without newline',
      'END RequestId: r1',
    ])
    expect(lines[5]).toMatch(/^REPORT RequestId: r1\t/)
    expect(lines[6]).toBe(' and later')
    expect(tail.startsWith('START RequestId: r1')).toBe(true)
    expect(tail.endsWith('\t\n')).toBe(true)
  })
})

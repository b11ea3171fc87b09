/**
 * Property-based tests of the report's input surface: whatever lines arrive, in whatever pieces, parsing
 * never throws, every line is counted once (used, or skipped by kind), and every renderer answers.
 * FUZZ_RUNS=100000 runs a nightly-size search; the default keeps CI in seconds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from '@jest/globals'
import {
  buildReport,
  parseLifecycleLine,
  readLifecycleLines,
  renderHtml,
  renderJson,
  renderTable,
  runReportCli,
} from '@lambda-lifetime/report'
import fc from 'fast-check'

const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000)
const MAX_LINE_CHARS = 256 * 1024
const EARLIEST_MS = Date.UTC(2000, 0, 1)
const LATEST_MS = Date.UTC(2100, 0, 1)
const KINDS = ['lifecycle', 'newerSchema', 'platform', 'text', 'json', 'invalid', 'tooLong', 'blank']

/** Any UTF-16 code unit: controls, lone surrogates, bidi overrides, quotes and braces included. */
const anyChar = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code))
const weirdString = fc.oneof(
  fc.string({ unit: anyChar, maxLength: 40 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '\u001b]0;title\u0007', '\u001b[2J', '\u009b31m', '\u202e', '\r', '{"a":', '"}'),
)
const weirdNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(1e300, -1e300, 1e15, 1e12, 1e12 + 1, 5e-324, -0, 0, 1, 2 ** 31, Number.MAX_SAFE_INTEGER),
)
const anyValue = fc.oneof(
  weirdNumber,
  weirdString,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
)
const timestamp = fc.oneof(
  fc
    .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
    .map((date) => date.toISOString()),
  fc
    .date({ min: new Date(EARLIEST_MS), max: new Date(LATEST_MS - 1), noInvalidDate: true })
    .map((date) => date.toISOString()),
  fc.constantFrom('+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', 'yesterday'),
  anyValue,
)
const LIFECYCLE_KEYS = [
  'event',
  'environment_id',
  'worker_id',
  'container_age_ms',
  'function_name',
  'invocation',
  'cold_start',
  'start_type',
  'init_type',
  'idle_ms',
  'restart_of',
  'runtime_started_at',
  'outcome',
  'status_code',
  'invocations',
  'reason',
  'breaker',
] as const
const EVENTS = fc.constantFrom(
  'container.start',
  'invocation.end',
  'container.thaw',
  'invocation.timeout-warning',
  'container.shutdown',
  'breaker.open',
  'breaker.halfOpen',
  'breaker.close',
  'pool.create',
)

/** An object that looks like a lifecycle line, with any subset of its keys holding any value. */
const lifecycleObject = fc
  .record(
    {
      lifecycle_schema: fc.oneof(fc.constant(1), fc.constant(1), fc.constant(2), anyValue),
      container_id: fc.oneof(fc.constantFrom('c1', 'c2', 'c3'), weirdString, anyValue),
      timestamp,
      ...Object.fromEntries(LIFECYCLE_KEYS.map((key) => [key, anyValue])),
      event: fc.oneof(EVENTS, anyValue),
      container_age_ms: fc.oneof(fc.integer({ min: 0, max: 86_400_000 }), weirdNumber, anyValue),
      invocation: fc.oneof(fc.integer({ min: 1, max: 50 }), weirdNumber),
      status_code: fc.oneof(fc.constantFrom(200, 400, 404, 500, 502), weirdNumber),
    },
    { requiredKeys: ['lifecycle_schema', 'container_id'] },
  )
  .map((object) => object as Record<string, unknown>)

/** The ways a line reaches the report: bare, the runtime client's text or JSON format, CloudWatch export. */
const wrapped = fc
  .tuple(lifecycleObject, fc.constantFrom('bare', 'text', 'json', 'json-text', 'export'), timestamp)
  .map(([object, wrapper, at]) => {
    const text = JSON.stringify(object)
    switch (wrapper) {
      case 'text':
        return `${String(at)}\treq-1\tINFO\t${text}`
      case 'json':
        return JSON.stringify({ timestamp: at, level: 'INFO', requestId: 'r', message: object })
      case 'json-text':
        return JSON.stringify({ timestamp: at, level: 'INFO', requestId: 'r', message: text })
      case 'export':
        return `${String(at)} ${text}`
      default:
        return text
    }
  })

const anyLine = fc.oneof(
  wrapped,
  wrapped.map((line) => line.slice(0, Math.floor(line.length / 2))),
  fc.string({ unit: anyChar, maxLength: 200 }),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.constantFrom(
    'START RequestId: 1 Version: $LATEST',
    'END RequestId: 1',
    '',
    '   ',
    '{}',
    '{"type":"platform.x"}',
  ),
  fc.constant(`{"lifecycle_schema":1,"container_id":"c1","pad":"${'x'.repeat(MAX_LINE_CHARS)}"}`),
)

const isCounted = (line: string): boolean => line.length > MAX_LINE_CHARS || line.trim() !== ''

describe('parseLifecycleLine, for any line', () => {
  it('answers with one of its kinds and never throws; a lifecycle line has a sane time and an id', () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        // Act
        const parsed = parseLifecycleLine(line)

        // Assess
        expect(KINDS).toContain(parsed.kind)
        if (parsed.kind === 'lifecycle') {
          expect(parsed.at).toBeGreaterThanOrEqual(EARLIEST_MS)
          expect(parsed.at).toBeLessThan(LATEST_MS)
          expect(typeof parsed.fields.container_id).toBe('string')
        }
      }),
      { numRuns: RUNS },
    )
  })
})

describe('the whole pipeline, for any lines', () => {
  it('counts every line once, used or skipped by kind, and renders the table, the HTML and the JSON', async () => {
    const seen = { lifecycle: 0, invalid: 0 }
    await fc.assert(
      fc.asyncProperty(fc.array(anyLine, { maxLength: 25 }), async (lines) => {
        // Act
        const model = await buildReport(lines, { bins: 16 })
        const table = renderTable(model)
        const html = renderHtml(model, { maxRows: 5 })
        const json = renderJson(model)

        // Assess
        const skipped = Object.values(model.skipped).reduce((sum, count) => sum + count, 0)
        expect(model.lines.total).toBe(lines.filter(isCounted).length)
        expect(model.lines.lifecycle + skipped).toBe(model.lines.total)
        expect(model.summary.containers).toBe(model.containers.length)
        expect(table.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u)
        expect(html).toMatch(/<\/html>\n$/)
        expect(JSON.parse(json).lines).toEqual(model.lines)
        seen.lifecycle += model.lines.lifecycle
        seen.invalid += model.skipped.invalid
      }),
      { numRuns: Math.max(1, Math.round(RUNS / 4)) },
    )
    // The arbitraries reach both sides of the parser, not only its rejections.
    expect(seen.lifecycle).toBeGreaterThan(0)
    expect(seen.invalid).toBeGreaterThan(0)
  })
})

describe('reading a stream, for any text cut into any pieces', () => {
  it('gives the same lines as splitting the whole text on \\n, each cut to 256 KiB + 1', async () => {
    const text = fc.array(
      fc.oneof(
        fc.string({ unit: anyChar, maxLength: 30 }),
        fc.constantFrom('\n', '\r', '\r\n', '€', '😀'),
        fc.constant('y'.repeat(MAX_LINE_CHARS - 1)),
      ),
      { maxLength: 12 },
    )
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 8 }), async (parts, cutPoints) => {
        // Prepare: the text as UTF-8 bytes, cut anywhere (inside a multi-byte character too)
        const whole = parts.join('')
        const bytes = Buffer.from(whole)
        const cuts = [...new Set(cutPoints.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
        const chunks = [0, ...cuts, bytes.length]
          .slice(1)
          .map((end, index, ends) => bytes.subarray(index === 0 ? 0 : ends[index - 1], end))
        const expected = new TextDecoder()
          .decode(bytes)
          .split('\n')
          .map((line) => line.slice(0, MAX_LINE_CHARS + 1))
        if (expected.at(-1) === '') expected.pop()

        // Act
        const lines: string[] = []
        for await (const line of readLifecycleLines(Readable.from(chunks, { objectMode: true })))
          lines.push(line)

        // Assess
        expect(lines).toEqual(expected)
      }),
      { numRuns: Math.max(1, Math.round(RUNS / 4)) },
    )
  })
})

describe('the command, for any arguments', () => {
  it('answers with exit code 0, 1 or 2 and never throws', async () => {
    // Prepare: a log file and an empty one; no --out (it would write anywhere) and no --log-group (AWS)
    const dir = await mkdtemp(join(tmpdir(), 'report-fuzz-cli-'))
    try {
      const log = join(dir, 'a.log')
      await writeFile(
        log,
        `${JSON.stringify({ lifecycle_schema: 1, container_id: 'c1', timestamp: '2026-11-27T06:00:00Z' })}\n`,
      )
      await writeFile(join(dir, 'empty.log'), '')
      // Arbitrary text only as option values or option names, never as a path: '.' or '/' would read a tree.
      const argument = fc.oneof(
        fc.tuple(fc.constantFrom('--max-rows', '--title', '--since', '--region'), weirdString),
        fc.constantFrom('--json', '-h', '--help', '-', '-x', '0', '1w').map((arg) => [arg]),
        fc.constantFrom(log, join(dir, 'empty.log'), join(dir, 'missing.log'), dir).map((path) => [path]),
        weirdString.map((name) => [`--${name}`]),
      )
      await fc.assert(
        fc.asyncProperty(fc.array(argument, { maxLength: 5 }), anyLine, async (pieces, input) => {
          const argv = pieces.flat()
          // Act
          const out = { stdout: '', stderr: '' }
          const code = await runReportCli(argv.length === 0 ? [log] : argv, {
            stdin: Readable.from([input]),
            stdout: { write: (text: string) => (out.stdout += text) },
            stderr: { write: (text: string) => (out.stderr += text) },
          })

          // Assess
          expect([0, 1, 2]).toContain(code)
          if (code !== 0) expect(out.stderr).toMatch(/lambda-lifetime report: /)
        }),
        { numRuns: Math.max(1, Math.round(RUNS / 10)) },
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

import { execFile, execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import {
  buildReport,
  ReportBuilder,
  readLifecycleLines,
  renderHtml,
  renderJson,
  renderTable,
  runReportCli,
} from '@lambda-lifetime/report'
import { build } from 'esbuild'
import { lifecycleLine, T0 } from './fixtures.js'

const good = (container = 'c1-aaaaaaaa', at = 1_000, fields: Record<string, unknown> = {}) =>
  lifecycleLine({
    container,
    environment: 'env-1',
    startedAt: 0,
    at,
    fields: { event: 'invocation.end', invocation: 1, outcome: 'success', ...fields },
  })

const emptyModel = () => new ReportBuilder().finish()

const renderAll = (model: Awaited<ReturnType<typeof buildReport>>) => ({
  table: renderTable(model),
  html: renderHtml(model),
  json: renderJson(model),
})

describe('values out of any sane range (issue 12, item 18)', () => {
  it.each([
    ['container_age_ms 1e300', { container_age_ms: 1e300 }],
    ['container_age_ms 1e15', { container_age_ms: 1e15 }],
    ['a negative container_age_ms', { container_age_ms: -5 }],
    ['idle_ms 1e300', { idle_ms: 1e300 }],
    ['invocation 1e300', { invocation: 1e300 }],
    ['a fractional invocation', { invocation: 1.5 }],
    ['worker_id -1', { worker_id: -1 }],
    ['invocations 1e300 on a shutdown', { event: 'container.shutdown', invocations: 1e300 }],
    [
      'runtime_started_at at the end of the Date range',
      { runtime_started_at: '+275760-09-13T00:00:00.000Z' },
    ],
    ['a timestamp at the end of the Date range', { timestamp: '+275760-09-13T00:00:00.000Z' }],
    ['a timestamp at the start of the Date range', { timestamp: '-271821-04-20T00:00:00.000Z' }],
    ['a timestamp before 2000', { timestamp: '1970-01-01T00:00:00.000Z', container_age_ms: 0 }],
  ])('skips a line with %s as invalid and reports the rest', async (_name, fields) => {
    // Prepare
    const lines = [good('c1-aaaaaaaa', 1_000), good('c2-bbbbbbbb', 2_000, fields)]

    // Act
    const model = await buildReport(lines)
    const rendered = renderAll(model)

    // Assess
    expect(model.skipped.invalid).toBe(1)
    expect(model.lines.lifecycle).toBe(1)
    expect(model.containers.map((container) => container.containerId)).toEqual(['c1-aaaaaaaa'])
    expect(rendered.table).toContain('c1-aaaa')
    expect(rendered.html).toContain('c1-aaaa')
  })

  it('draws a few axis ticks, not one per step, when the span covers centuries', async () => {
    // Prepare: the earliest and the latest line the sane range allows
    const lines = [
      good('c1-aaaaaaaa', 0, { timestamp: '2000-01-01T00:00:00.000Z', container_age_ms: 0 }),
      good('c2-bbbbbbbb', 0, { timestamp: '2099-12-31T23:59:59.999Z', container_age_ms: 0 }),
    ]

    // Act
    const model = await buildReport(lines)
    const html = renderHtml(model)

    // Assess
    expect(model.lines.lifecycle).toBe(2)
    const timeline = html.slice(html.indexOf('<div class="chart">'), html.indexOf('</section>'))
    const ticks = timeline.match(/class="axis-label"/g) ?? []
    expect(ticks.length).toBeGreaterThan(1)
    expect(ticks.length).toBeLessThanOrEqual(12)
  })

  it('keeps the activity bins of one container bounded whatever its span', async () => {
    // Prepare
    const lines = [
      good('c1-aaaaaaaa', 0, { timestamp: '2000-01-01T00:00:00.000Z', container_age_ms: 0 }),
      good('c1-aaaaaaaa', 0, { timestamp: '2099-12-31T23:59:59.999Z', container_age_ms: 0, invocation: 2 }),
    ]

    // Act
    const model = await buildReport(lines, { bins: 10 })

    // Assess
    const activity = model.containers[0]?.activity
    expect(activity?.counts).toHaveLength(10)
    expect(activity?.counts.reduce((sum, count) => sum + count, 0)).toBe(2)
  })
})

describe('long lines (issue 12, item 19)', () => {
  it('counts a line above 256 KiB as too long without building it, and reads the lines around it', async () => {
    // Prepare: a 20 MB line arriving in 64 KiB chunks between two good lines
    const chunk = 'x'.repeat(64 * 1024)
    async function* chunks() {
      yield `${good('c1-aaaaaaaa', 1_000)}\n{"lifecycle_schema":1,"pad":"`
      for (let index = 0; index < 320; index += 1) yield chunk
      yield `"}\n${good('c2-bbbbbbbb', 2_000)}\n`
    }
    const longest = { chars: 0 }
    async function* measured(lines: AsyncIterable<string>) {
      for await (const line of lines) {
        longest.chars = Math.max(longest.chars, line.length)
        yield line
      }
    }

    // Act
    const model = await buildReport(measured(readLifecycleLines(Readable.from(chunks()))))

    // Assess
    expect(model.lines).toEqual({ total: 3, lifecycle: 2 })
    expect(model.skipped.tooLong).toBe(1)
    expect(longest.chars).toBeLessThanOrEqual(256 * 1024 + 1)
  })

  it('classifies a line given whole to the builder by its length too', async () => {
    // Act
    const model = await buildReport([good(), `{"lifecycle_schema":1,"pad":"${'y'.repeat(300_000)}"}`])

    // Assess
    expect(model.skipped.tooLong).toBe(1)
    expect(model.lines.lifecycle).toBe(1)
  })

  it('keeps a line of exactly 256 KiB', async () => {
    // Prepare
    const base = good('c1-aaaaaaaa', 1_000, { pad: '' })
    const line = base.replace('"pad":""', `"pad":"${'z'.repeat(256 * 1024 - base.length)}"`)

    // Act
    const model = await buildReport(readLifecycleLines(Readable.from([`${line}\n`])))

    // Assess
    expect(line.length).toBe(256 * 1024)
    expect(model.lines.lifecycle).toBe(1)
  })
})

describe('control characters in the terminal table (issue 12, item 20)', () => {
  it('escapes what a container id, an environment, a breaker or a shutdown reason could send the terminal', async () => {
    // Prepare: set the terminal title, clear the screen, C1 CSI, a bidi override
    const lines = [
      good('\u001b]0;pwned\u0007', 1_000, { environment_id: 'env\u001b[2J' }),
      good('\u001b]0;pwned\u0007', 2_000, { event: 'breaker.open', breaker: 'pay\u009b31m\u202ements' }),
      good('\u001b]0;pwned\u0007', 3_000, { event: 'container.shutdown', reason: 'spin\rdown\u007f' }),
    ]

    // Act
    const model = await buildReport(lines)
    const table = renderTable(model)
    const json = renderJson(model)

    // Assess
    expect(model.lines.lifecycle).toBe(3)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    expect(table.replaceAll('\n', '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/)
    expect(table).toContain('\\x1b]0;pwn')
    expect(table).toContain('pay\\x9b31m\\u202ements')
    expect(table).toContain('spin\\rdown\\x7f')
    expect(json).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/)
    expect(JSON.parse(json).summary.breakers).toHaveProperty(['pay\u009b31m\u202ements'])
  })

  it('escapes everything a line brings into the HTML page', async () => {
    // Prepare
    const evil = '"><img src=x onerror=alert(1)><script>alert(2)</script>&'
    const lines = [
      good(`c-${evil}`, 1_000, { environment_id: evil, function_name: evil, restart_of: evil }),
      good(`c-${evil}`, 2_000, { event: 'breaker.open', breaker: evil }),
      good(`c-${evil}`, 3_000, { event: 'container.shutdown', reason: evil }),
    ]

    // Act
    const html = renderHtml(await buildReport(lines), { title: evil })

    // Assess
    expect(html).not.toContain('<img')
    // The page's own script, and nothing from the logs.
    expect(html.match(/<script/g)).toHaveLength(1)
    expect(html).not.toContain('alert(1)>')
    expect(html).toContain('&#60;script&#62;')
  })
})

describe('folders with broken entries (issue 12, item 21)', () => {
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-hardening-'))
    await mkdir(join(dir, 'logs', 'nested'), { recursive: true })
    await writeFile(join(dir, 'logs', 'a.log'), `${good('c1-aaaaaaaa', 1_000)}\n`)
    await writeFile(join(dir, 'logs', 'nested', 'b.log'), `${good('c2-bbbbbbbb', 2_000)}\n`)
    await symlink(join(dir, 'missing.log'), join(dir, 'logs', 'dangling.log'))
    await symlink(join(dir, 'logs', 'self'), join(dir, 'logs', 'self'))
    await symlink(join(dir, 'logs'), join(dir, 'logs', 'nested', 'back-to-logs'))
    await symlink(join(dir, 'logs', 'a.log'), join(dir, 'logs', 'z-same-file.log'))
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('skips a dangling symlink and symlink loops with a warning each, and reads every file once', async () => {
    // Prepare
    const warnings: string[] = []

    // Act
    const model = await buildReport(
      readLifecycleLines(join(dir, 'logs'), { onWarning: (message) => warnings.push(message) }),
    )

    // Assess
    expect(model.containers.map((container) => container.containerId)).toEqual(['c1-aaaaaaaa', 'c2-bbbbbbbb'])
    expect(model.lines.total).toBe(2)
    expect(warnings).toHaveLength(4)
    expect(warnings.join('\n')).toMatch(/dangling\.log.*ENOENT/)
    expect(warnings.join('\n')).toMatch(/self.*ELOOP/)
    expect(warnings.join('\n')).toMatch(/back-to-logs.*already read/)
    expect(warnings.join('\n')).toMatch(/z-same-file\.log.*already read/)
  })

  it('skips a named pipe in a folder, which would block the read for ever, with a process warning by default', async () => {
    // Prepare
    const folder = join(dir, 'with-fifo')
    await mkdir(folder)
    await writeFile(join(folder, 'a.log'), `${good('c1-aaaaaaaa', 1_000)}\n`)
    execFileSync('mkfifo', [join(folder, 'pipe.log')])
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)

    // Act
    try {
      const model = await buildReport(readLifecycleLines(folder))

      // Assess
      expect(model.lines.lifecycle).toBe(1)
      expect(emitWarning).toHaveBeenCalledWith(
        expect.stringMatching(
          /^@lambda-lifetime\/report: skipped .*pipe\.log: not a regular file or folder$/,
        ),
        { type: 'LambdaLifetimeWarning', code: 'LAMBDA_LIFETIME_REPORT_SKIPPED_ENTRY' },
      )
    } finally {
      emitWarning.mockRestore()
      await rm(folder, { recursive: true, force: true })
    }
  })

  it('skips the rest of a broken gzip file found in a folder, and fails on one named on the command line', async () => {
    // Prepare
    const folder = join(dir, 'with-bad-gzip')
    await mkdir(folder)
    await writeFile(join(folder, 'a.log'), `${good('c1-aaaaaaaa', 1_000)}\n`)
    await writeFile(join(folder, 'b.log.gz'), 'not gzip at all')
    const warnings: string[] = []

    // Act
    try {
      const model = await buildReport(
        readLifecycleLines(folder, { onWarning: (message) => warnings.push(message) }),
      )
      const named = buildReport(readLifecycleLines(join(folder, 'b.log.gz')))

      // Assess
      expect(model.lines.lifecycle).toBe(1)
      expect(warnings).toEqual([`skipped ${join(folder, 'b.log.gz')} (or its rest): Z_DATA_ERROR`])
      await expect(named).rejects.toThrow(/incorrect header check/)
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })

  it('warns on standard error from the command line and still reports', async () => {
    // Prepare
    const out = { stdout: '', stderr: '' }
    const io = {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
    }

    // Act
    const code = await runReportCli([join(dir, 'logs')], io)

    // Assess
    expect(code).toBe(0)
    expect(out.stderr).toMatch(/lambda-lifetime report: skipped .*dangling\.log/)
    expect(out.stdout).toMatch(/containers\s+2/)
  })

  it('still fails on a path given on the command line that does not exist', async () => {
    // Act
    const reading = buildReport(readLifecycleLines(join(dir, 'nowhere')))

    // Assess
    await expect(reading).rejects.toThrow(/ENOENT/)
  })
})

describe('lines of a newer schema only (issue 12, item 22)', () => {
  it('says the lines are of a newer schema and which version reads them, not that the logger is missing', async () => {
    // Prepare
    const out = { stdout: '', stderr: '' }
    const io = {
      stdin: Readable.from([
        `${JSON.stringify({ lifecycle_schema: 3, container_id: 'c9', timestamp: new Date(T0).toISOString() })}\n`,
      ]),
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
    }

    // Act
    const code = await runReportCli(['-'], io)

    // Assess
    expect(code).toBe(1)
    expect(out.stderr).not.toContain('lifecycleLogger()')
    expect(out.stderr).toMatch(/1 line uses lifecycle_schema 3, newer than this report reads/)
    expect(out.stderr).toContain('; it was skipped.')
    expect(out.stderr).toMatch(/@lambda-lifetime\/report \d+\.\d+\.\d+ reads lifecycle_schema 1 and 2/)
    expect(out.stderr).toContain('a version of @lambda-lifetime/report that reads schema 3')
  })
})

describe('bundled (no package.json beside the code)', () => {
  it('still reports lines of a newer schema, naming no version', async () => {
    // Prepare: the command bundled into a folder of its own, as a user's bundler would
    const dir = await mkdtemp(join(tmpdir(), 'report-bundle-'))
    try {
      const bundle = join(dir, 'report.mjs')
      await build({
        entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
        bundle: true,
        platform: 'node',
        format: 'esm',
        external: ['@aws-sdk/*'],
        outfile: bundle,
        logLevel: 'silent',
      })
      const script = `const { runReportCli } = await import(${JSON.stringify(bundle)}); process.exitCode = await runReportCli(['-'])`
      const line = JSON.stringify({
        lifecycle_schema: 3,
        container_id: 'c9',
        timestamp: new Date(T0).toISOString(),
      })

      // Act
      const child = promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, NODE_OPTIONS: '' },
      })
      child.child.stdin?.end(`${line}\n`)
      const failure = await child.then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      )

      // Assess
      expect(failure?.code).toBe(1)
      expect(failure?.stderr).toContain('@lambda-lifetime/report (bundled) reads lifecycle_schema 1 and 2')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('bad options', () => {
  it.each([
    [
      'renderHtml title',
      () => renderHtml(emptyModel(), { title: 42 as unknown as string }),
      'option "title"',
    ],
    ['renderHtml maxRows', () => renderHtml(emptyModel(), { maxRows: 0 }), 'option "maxRows"'],
    ['renderHtml unknown', () => renderHtml(emptyModel(), { rows: 5 } as never), 'rows'],
    ['renderTable top', () => renderTable(emptyModel(), { top: -1 }), 'option "top"'],
    [
      'readLifecycleLines onWarning',
      () => readLifecycleLines('x', { onWarning: 'log' as never }),
      'option "onWarning"',
    ],
    [
      'readLifecycleLines stdin',
      () => readLifecycleLines('-', { stdin: 'input' as never }),
      'option "stdin"',
    ],
  ])('throw a TypeError naming the package and the option (%s)', (_name, act, option) => {
    // Act / Assess
    expect(act).toThrow(TypeError)
    expect(act).toThrow(/^@lambda-lifetime\/report: /)
    expect(act).toThrow(option)
  })
})

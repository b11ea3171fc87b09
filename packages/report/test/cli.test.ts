import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import {
  AccessDeniedException,
  CloudWatchLogsClient,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { runReportCli } from '@lambda-lifetime/report'
import { mockClient } from 'aws-sdk-client-mock'
import { knownLog } from './fixtures.js'

const logs = mockClient(CloudWatchLogsClient)

const capture = (isTTY = false) => {
  const out = { stdout: '', stderr: '' }
  const io = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text), isTTY },
  }
  return { out, io }
}

describe('runReportCli', () => {
  let dir: string
  let logFile: string
  let empty: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-cli-'))
    empty = await mkdtemp(join(tmpdir(), 'report-cli-empty-'))
    logFile = join(dir, 'stream.log')
    await writeFile(logFile, `${knownLog().join('\n')}\n`)
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
    await rm(empty, { recursive: true, force: true })
  })

  afterEach(() => {
    logs.reset()
  })

  it('prints the table for files and writes the HTML report with --out', async () => {
    // Prepare
    const { out, io } = capture()
    const html = join(dir, 'report.html')

    // Act
    const code = await runReportCli([logFile, '--out', html, '--title', 'orders', '--max-rows', '10'], io)

    // Assess
    expect(code).toBe(0)
    expect(out.stdout).toMatch(/containers\s+4 \(2 environments\)/)
    expect(out.stderr).toBe(`wrote ${html} (4 containers)\n`)
    const page = await readFile(html, 'utf8')
    expect(page.match(/class="container-row"/g)).toHaveLength(4)
    expect(page).toContain('<title>orders</title>')
  })

  it("reads the emulator's log folder when given no input", async () => {
    // Prepare
    const { out, io } = capture()
    await mkdir(join(dir, '.lambda-lifetime', 'logs', 'orders-api'), { recursive: true })
    await writeFile(join(dir, '.lambda-lifetime', 'logs', 'orders-api', 'stream.log'), knownLog().join('\n'))
    const cwd = process.cwd()
    process.chdir(dir)

    // Act
    const code = await runReportCli(['--json'], io).finally(() => process.chdir(cwd))

    // Assess
    expect(code).toBe(0)
    expect(JSON.parse(out.stdout)).toMatchObject({ summary: { containers: 4 } })
  })

  it('prints JSON with --json, reading standard input, and warns about a newer schema on stderr', async () => {
    // Prepare
    const { out, io } = capture()
    const stdin = Readable.from([knownLog().join('\n')])

    // Act
    const code = await runReportCli(['-', '--json'], { ...io, stdin })

    // Assess
    expect(code).toBe(0)
    expect(JSON.parse(out.stdout)).toMatchObject({ summary: { containers: 4, invocations: 11 } })
    expect(out.stderr).toContain('2 lines use lifecycle_schema 3, newer than this report reads')
  })

  it('exits 1 and says why when no lifecycle line was found', async () => {
    // Prepare
    const { out, io } = capture()
    const stdin = Readable.from(['START RequestId: 1\nhello\n'])

    // Act
    const code = await runReportCli(['-'], { ...io, stdin })

    // Assess
    expect(code).toBe(1)
    expect(out.stderr).toContain(
      'no lifecycle lines among 2 lines; are the functions using lifecycleLogger()',
    )
  })

  it('exits 1 with the reason when a file cannot be read', async () => {
    // Prepare
    const { out, io } = capture()

    // Act
    const code = await runReportCli([join(dir, 'missing.log')], io)

    // Assess
    expect(code).toBe(1)
    expect(out.stderr).toMatch(/^lambda-lifetime report: ENOENT.*missing\.log/)
  })

  it.each([
    [
      [],
      'give log files or folders, - for standard input, or --log-group NAME (no .lambda-lifetime/logs here)',
    ],
    [['a.log', '--log-group', 'g'], 'read either files or a --log-group, not both'],
    [['a.log', '--max-rows', '0'], '--max-rows must be a positive integer'],
    [['a.log', '--colour'], "Unknown option '--colour'"],
    [
      ['--log-group', 'g', '--since', 'last week'],
      '--since takes 30s, 90m, 24h, 7d, 1w or an ISO date, not last week',
    ],
    [['a.log', '--since', '1w'], '--since, --region and --engine apply to --log-group only'],
    [['a.log', '--region', 'eu-west-1'], '--since, --region and --engine apply to --log-group only'],
  ])('exits 2 with the usage for %j', async (argv, message) => {
    // Prepare: a folder without emulator logs
    const { out, io } = capture()
    const cwd = process.cwd()
    process.chdir(empty)

    // Act
    const code = await runReportCli(argv, io).finally(() => process.chdir(cwd))

    // Assess
    expect(code).toBe(2)
    expect(out.stderr).toContain(message)
    expect(out.stderr).toContain('Usage: lambda-lifetime report')
  })

  it('prints the usage for --help', async () => {
    // Prepare
    const { out, io } = capture()

    // Act
    const code = await runReportCli(['--help'], io)

    // Assess
    expect(code).toBe(0)
    expect(out.stdout).toContain('--log-group NAME')
  })

  it('reads a log group with a progress bar redrawn on a terminal', async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({
        events: knownLog()
          .slice(0, 10)
          .map((message) => ({ message })),
        nextToken: 'next',
      })
      .resolvesOnce({
        events: knownLog()
          .slice(10)
          .map((message) => ({ message })),
      })
    const { out, io } = capture(true)

    // Act
    const code = await runReportCli(
      ['--log-group', '/aws/lambda/orders', '--since', '2h', '--region', 'eu-west-1'],
      io,
    )

    // Assess
    expect(code).toBe(0)
    expect(out.stderr).toMatch(/^\r\[\.{30}\] 0% 1 pages, 10 events\r\[#{30}\] 100% 2 pages, 30 events\n$/)
    expect(out.stdout).toMatch(/containers\s+4/)
  })

  it('prints only the final progress in a pipe', async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [], nextToken: 'next' })
      .resolvesOnce({ events: knownLog().map((message) => ({ message })) })
    const { out, io } = capture(false)

    // Act
    const code = await runReportCli(['--log-group', '/aws/lambda/orders', '--json'], io)

    // Assess
    expect(code).toBe(0)
    expect(out.stderr).toMatch(/^\[#{30}\] 100% 2 pages, 30 events\n/)
  })

  it('writes to the process streams by default', async () => {
    // Prepare
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true)

    // Act
    const cwd = process.cwd()
    process.chdir(empty)
    const codes = [await runReportCli(['--help']), await runReportCli([]).finally(() => process.chdir(cwd))]

    // Assess
    const [printed, complained] = [String(stdout.mock.calls[0]?.[0]), String(stderr.mock.calls[0]?.[0])]
    stdout.mockRestore()
    stderr.mockRestore()
    expect(codes).toEqual([0, 2])
    expect(printed).toContain('Usage: lambda-lifetime report')
    expect(complained).toContain('give log files or folders')
  })

  it('prints a clear message on access denied', async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [], nextToken: 'next' })
      .rejectsOnce(new AccessDeniedException({ message: 'no', $metadata: {} }))
    const { out, io } = capture(false)

    // Act
    const code = await runReportCli(['--log-group', '/aws/lambda/orders'], io)

    // Assess
    expect(code).toBe(1)
    expect(out.stderr).toBe(
      'lambda-lifetime report: @lambda-lifetime/report: access denied reading /aws/lambda/orders; the credentials need logs:FilterLogEvents on arn:aws:logs:<region>:<account>:log-group:/aws/lambda/orders:*\n',
    )
  })
})

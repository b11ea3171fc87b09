import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, jest, test } from '@jest/globals'
import { parseDuration, runCli } from '@lambda-lifetime/emulator'
import { serveArgsToOptions } from '../src/cli.js'

const fixtures = fileURLToPath(new URL('../../../test/emulator/fixtures', import.meta.url))

const capture = (signal?: AbortSignal, isTTY = false) => {
  const out = Object.assign(new PassThrough(), { isTTY })
  const err = new PassThrough()
  const text = { out: '', err: '' }
  out.on('data', (chunk: Buffer) => (text.out += chunk.toString()))
  err.on('data', (chunk: Buffer) => (text.err += chunk.toString()))
  return { io: { out, err, ...(signal ? { signal } : {}) }, text }
}

const ESC = '\x1b'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Temp folders of this file's tests, removed after each test whatever its outcome. */
const tempDirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'emulator-cli-'))
  tempDirs.push(dir)
  return dir
}

afterEach(() => {
  jest.restoreAllMocks()
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('runCli', () => {
  test('help prints the usage; an unknown command exits 2', async () => {
    // Prepare
    const help = capture()
    const unknown = capture()

    // Act
    const helpCode = await runCli(['help'], help.io)
    const unknownCode = await runCli(['fly'], unknown.io)

    // Assess
    expect(helpCode).toBe(0)
    expect(help.text.out).toContain('Usage: lambda-lifetime <command>')
    expect(unknownCode).toBe(2)
    expect(unknown.text.err).toContain('unknown command "fly"')
  })

  test('--version prints the package version; every command has --help', async () => {
    // Prepare
    const runs = Object.fromEntries(['version', 'serve', 'invoke', 'short'].map((name) => [name, capture()]))
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

    // Act
    const codes = [
      await runCli(['--version'], runs.version?.io),
      await runCli(['serve', '--help'], runs.serve?.io),
      await runCli(['invoke', '--help'], runs.invoke?.io),
      await runCli(['serve', '-h'], runs.short?.io),
    ]

    // Assess
    expect(codes).toEqual([0, 0, 0, 0])
    expect(runs.version?.text.out).toBe(`${version}\n`)
    expect(runs.serve?.text.out).toContain('Usage: lambda-lifetime serve')
    expect(runs.serve?.text.out).toContain('a bare number is seconds')
    expect(runs.invoke?.text.out).toContain('Usage: lambda-lifetime invoke <function>')
    expect(runs.short?.text.out).toBe(runs.serve?.text.out)
  })

  test('serve with nothing to serve says which flags to pass', async () => {
    // Prepare
    const run = capture()

    // Act
    const code = await runCli(['serve'], run.io)

    // Assess
    expect(code).toBe(1)
    expect(run.text.err).toContain(
      'nothing to serve: give a function with --handler index.handler --code-dir DIR',
    )
    expect(run.text.err).toContain('--config emulator.json')
  })

  test('invoke with no emulator listening says so and how to start one', async () => {
    // Prepare: a port that was free a moment ago
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    await new Promise((resolve) => server.close(resolve))
    const run = capture()

    // Act
    const code = await runCli(['invoke', 'hello', '--endpoint', endpoint], run.io)

    // Assess
    expect(code).toBe(1)
    expect(run.text.err).toContain(`no emulator answers at ${endpoint} (ECONNREFUSED)`)
    expect(run.text.err).toContain('lambda-lifetime serve --handler')
  })

  test('invoke with an endpoint that is not a URL says so', async () => {
    // Prepare
    const run = capture()

    // Act
    const code = await runCli(['invoke', 'hello', '--endpoint', 'nope'], run.io)

    // Assess
    expect(code).toBe(1)
    expect(run.text.err).toBe(
      'lambda-lifetime invoke: --endpoint must be a URL like http://127.0.0.1:9001, got nope\n',
    )
  })

  test('serve refuses a code directory that does not exist before it starts anything', async () => {
    // Prepare
    const run = capture()

    // Act
    const code = await runCli(
      ['serve', '--handler', 'index.handler', '--code-dir', '/no/such/dir', '--port', '0'],
      run.io,
    )

    // Assess
    expect(code).toBe(1)
    expect(run.text.err).toContain('codeDir /no/such/dir is not a directory')
    expect(run.text.out).toBe('')
  })

  test('report forwards to @lambda-lifetime/report, or says what is missing', async () => {
    // Prepare
    const forwarded = capture()
    const missing = capture()
    const outdated = capture()

    // Act
    const code = await runCli(['report', '--x'], forwarded.io, async () => ({
      runReportCli: async (argv: string[]) => (argv[0] === '--x' ? 7 : 0),
    }))
    const missingCode = await runCli(['report'], missing.io, () => Promise.reject(new Error('not found')))
    const outdatedCode = await runCli(['report'], outdated.io, async () => ({}))

    // Assess
    expect(code).toBe(7)
    expect(missingCode).toBe(1)
    expect(missing.text.err).toContain('npm install @lambda-lifetime/report')
    expect(outdatedCode).toBe(1)
    expect(outdated.text.err).toContain('does not export runReportCli')
  })

  test('by default it writes to the process streams and loads the installed report', async () => {
    // Prepare
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const report = capture()

    // Act
    const helpCode = await runCli(['help'])
    const written = write.mock.calls.map(([chunk]) => String(chunk)).join('')
    write.mockRestore()
    const reportCode = await runCli(['report', '--help'], report.io)

    // Assess
    expect(helpCode).toBe(0)
    expect(written).toContain('Usage: lambda-lifetime <command>')
    expect(reportCode).toBe(0)
    expect(report.text.out).toContain('Usage: lambda-lifetime report')
  })

  test('serve runs until stopped, redrawing its table on a terminal; invoke and HTTP reach the function', async () => {
    // Prepare
    const logDir = tempDir()
    const stop = new AbortController()
    const served = capture(stop.signal, true)
    const args = ['--handler', 'http.handler', '--code-dir', fixtures, '--name', 'web', '--port', '0']
    const serving = runCli(
      ['serve', ...args, '--http-port', '0', '--log-dir', logDir, '--env', 'A=1'],
      served.io,
    )
    while (!served.text.out.includes('Invoke API')) await sleep(20)
    const endpoint = /Invoke API\s+(\S+)/.exec(served.text.out)?.[1] as string
    const httpUrl = /HTTP\s+(\S+)/.exec(served.text.out)?.[1] as string
    const invoked = capture()
    const failed = capture()
    const payload = JSON.stringify({ rawPath: '/x', requestContext: { http: { method: 'GET' } } })

    // Act
    const viaHttp = await fetch(`${httpUrl}/front`)
    const code = await runCli(
      ['invoke', 'web', '--endpoint', endpoint, '--payload', payload, '--tail'],
      invoked.io,
    )
    const failedCode = await runCli(['invoke', 'nope', '--endpoint', endpoint], failed.io)
    const missingName = await runCli(['invoke', '--endpoint', endpoint], capture().io)
    // The table redraws each second once something changed: wait for the frozen environment to show.
    while (!/web\s+[0-9a-f]{8}\s+\d+\s+frozen/.test(served.text.out)) await sleep(20)
    stop.abort()
    const serveCode = await serving

    // Assess
    expect(code).toBe(0)
    expect(JSON.parse(invoked.text.out)).toMatchObject({ statusCode: 200 })
    expect(invoked.text.err).toContain('START RequestId')
    expect(failedCode).toBe(1)
    expect(failed.text.err).toContain('ResourceNotFoundException')
    expect(missingName).toBe(1)
    expect(viaHttp.headers.get('x-fixture')).toBe('http')
    expect(await viaHttp.json()).toMatchObject({ rawPath: '/front' })
    expect(serveCode).toBe(0)
    expect(served.text.out).toMatch(/web\s+[0-9a-f]{8}\s+\d+\s+frozen/)
    // On a terminal the table is redrawn in place: cursor up over the previous table, then clear.
    expect(served.text.out).toMatch(new RegExp(`${ESC}\\[\\d+A${ESC}\\[J`))
    expect(served.text.out).toContain('stopping')
    rmSync(logDir, { recursive: true, force: true })
  })

  test('serve in a pipe prints a line per invocation, and on stop says which Events never ran and where they are kept', async () => {
    // Prepare: one environment kept busy, so the second Event waits in the queue
    const logDir = tempDir()
    const own = fileURLToPath(new URL('./fixtures', import.meta.url))
    const stop = new AbortController()
    const served = capture(stop.signal)
    const args = [
      '--handler',
      'respond.handler',
      '--code-dir',
      own,
      '--port',
      '0',
      '--no-http',
      '--concurrency',
      '1',
    ]
    const serving = runCli(['serve', ...args, '--log-dir', logDir], served.io)
    try {
      while (!served.text.out.includes('Invoke API')) await sleep(20)
      const endpoint = /Invoke API\s+(\S+)/.exec(served.text.out)?.[1] as string
      await runCli(
        ['invoke', 'function', '--endpoint', endpoint, '--payload', '{"answer":{"statusCode":404}}'],
        capture().io,
      )
      for (const payload of ['{"sleepMs":3000}', '{"n":2}'])
        await runCli(
          ['invoke', 'function', '--endpoint', endpoint, '--async', '--payload', payload],
          capture().io,
        )

      // Act
      stop.abort()
      const code = await serving

      // Assess
      expect(code).toBe(0)
      expect(served.text.out).toMatch(/function env [0-9a-f]{8} invocation 1: client error 404 in \d+ ms/)
      expect(served.text.err).toMatch(
        /^[12] accepted Event invocation\(s\) never ran; kept as JSON files in .*unrun-events\n$/,
      )
      expect(served.text.out).toContain('stopped\n')
    } finally {
      stop.abort()
      await serving
      rmSync(logDir, { recursive: true, force: true })
    }
  })

  test('serve reports bad flags as errors', async () => {
    // Prepare
    const bad = capture()

    // Act
    const code = await runCli(['serve', '--handler', 'index.handler', '--memory', 'lots'], bad.io)

    // Assess
    expect(code).toBe(1)
    expect(bad.text.err).toContain('--memory must be an integer')
  })

  test('serve with an aborted signal stops at once; --quiet prints the addresses but no table', async () => {
    // Prepare
    const logDir = tempDir()
    const served = capture(AbortSignal.abort())
    const args = ['--handler', 'http.handler', '--code-dir', fixtures, '--port', '0', '--http-port', '0']

    // Act
    const code = await runCli(['serve', ...args, '--quiet', '--log-dir', logDir], served.io)

    // Assess
    expect(code).toBe(0)
    expect(served.text.out).toMatch(/^HTTP {8}http:\/\/127\.0\.0\.1:\d+ /m)
    expect(served.text.out).toContain('stopping')
    expect(served.text.out).not.toContain('no environments')
    rmSync(logDir, { recursive: true, force: true })
  })

  test('serve without a signal stops on SIGINT or SIGTERM', async () => {
    // Prepare: keep the signal listeners instead of registering them on this process
    const logDir = tempDir()
    const listeners = new Map<string, () => void>()
    const once = process.once.bind(process)
    jest.spyOn(process, 'once').mockImplementation(((event: string, listener: () => void) => {
      if (event !== 'SIGINT' && event !== 'SIGTERM') return once(event, listener)
      listeners.set(event, listener)
      return process
    }) as typeof process.once)
    const { out, err } = capture().io
    const args = ['--handler', 'http.handler', '--code-dir', fixtures, '--port', '0', '--no-http']
    const serving = runCli(['serve', ...args, '--quiet', '--log-dir', logDir], { out, err })
    while (!listeners.has('SIGTERM')) await sleep(20)

    // Act
    listeners.get('SIGTERM')?.()
    const code = await serving

    // Assess
    expect([...listeners.keys()].sort()).toEqual(['SIGINT', 'SIGTERM'])
    expect(code).toBe(0)
    rmSync(logDir, { recursive: true, force: true })
  })

  test('invoke sends the invocation and log types asked for; any failure status exits 1', async () => {
    // Prepare: a stand-in endpoint that records the headers and fails without a Lambda error type
    const seen: IncomingHttpHeaders[] = []
    const server = createServer((request, response) => {
      seen.push(request.headers)
      request.resume()
      response.writeHead(seen.length === 1 ? 202 : 502).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    const queued = capture()
    const failed = capture()

    // Act
    const queuedCode = await runCli(['invoke', 'fn', '--endpoint', endpoint, '--async'], queued.io)
    const failedCode = await runCli(['invoke', 'fn', '--endpoint', endpoint, '--payload', '{}'], failed.io)
    server.close()
    server.closeAllConnections()

    // Assess
    expect(queuedCode).toBe(0)
    expect(seen.map((headers) => headers['x-amz-invocation-type'])).toEqual(['Event', 'RequestResponse'])
    expect(seen.map((headers) => headers['x-amz-log-type'])).toEqual(['None', 'None'])
    expect(failedCode).toBe(1)
    expect(failed.text.err).toBe('status 502 \n')
  })
})

describe('serveArgsToOptions', () => {
  test.each([
    [
      '{"functions":[{"name":"hello","handler":"index.handler"}]}',
      'option "functions[0].codeDir" (function "hello") is required',
    ],
    ['{"functions":"x"}', 'option "functions" must be an array, got "x"'],
    ['null', 'options must be an object, got null'],
    [
      '{"functions":[{"name":"a","handler":"a.handler","codeDir":"."}],"port":"x"}',
      'option "port" must be an integer',
    ],
    ['{ nope', 'is not JSON'],
  ])('a config file %s is refused naming the file and the field', (text, message) => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'emulator-config-'))
    const config = join(dir, 'emulator.json')
    writeFileSync(config, text)

    // Act / Assess
    try {
      expect(() => serveArgsToOptions({ config })).toThrow(`config file ${config}`)
      expect(() => serveArgsToOptions({ config })).toThrow(message)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a config file that cannot be read is named', () => {
    // Act / Assess
    expect(() => serveArgsToOptions({ config: '/no/such/emulator.json' })).toThrow(
      'config file /no/such/emulator.json cannot be read',
    )
  })

  test('a config file gives the functions (paths relative to it); flags override', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'emulator-config-'))
    const config = join(dir, 'emulator.json')
    writeFileSync(
      config,
      JSON.stringify({
        functions: [{ name: 'a', handler: 'a.handler', codeDir: 'code' }],
        port: 1,
        logDir: 'logs',
      }),
    )

    // Act
    const options = serveArgsToOptions({
      config,
      'idle-timeout': '2m',
      'max-lifetime': '1h',
      'init-timeout': '10s',
      'no-freeze': true,
      provisioned: '1',
      concurrency: '3',
      'managed-instances': '16',
      'http-port': '8080',
      timeout: '5s',
    })

    // Assess
    expect(options).toMatchObject({
      functions: [{ name: 'a', codeDir: join(dir, 'code') }],
      port: 1,
      logDir: join(dir, 'logs'),
      httpPort: 8080,
      idleTimeoutMs: 120_000,
      maxLifetimeMs: 3_600_000,
      initTimeoutMs: 10_000,
      freeze: false,
      provisioned: 1,
      concurrency: 3,
      managedInstances: { maxConcurrency: 16 },
    })
    rmSync(dir, { recursive: true, force: true })
  })

  test('a single function from flags, with defaults for the ports', () => {
    // Act
    const options = serveArgsToOptions({
      handler: 'index.handler',
      env: ['A=1=2'],
      memory: '256',
      timeout: '5s',
    })

    // Assess
    expect(options).toMatchObject({
      port: 9001,
      httpPort: 3000,
      functions: [
        { name: 'function', handler: 'index.handler', env: { A: '1=2' }, memoryMb: 256, timeoutMs: 5_000 },
      ],
    })
    expect(() => serveArgsToOptions({ handler: 'index.handler', env: ['nope'] })).toThrow('KEY=VALUE')
  })

  test('a config file without functions takes them from the flags; --no-http turns the front door off', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'emulator-config-'))
    const config = join(dir, 'emulator.json')
    writeFileSync(config, JSON.stringify({ port: 2, httpPort: 4 }))

    // Act
    const options = serveArgsToOptions({ config, handler: 'index.handler', 'no-http': true })

    // Assess
    expect(options).toMatchObject({ port: 2, httpPort: false, functions: [{ handler: 'index.handler' }] })
    expect(options.functions).toHaveLength(1)
    rmSync(dir, { recursive: true, force: true })
  })
})

describe('parseDuration', () => {
  test.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['30', 30_000],
    ['1.5', 1_500],
    ['1.5s', 1_500],
  ])('%s is %d ms', (text, ms) => {
    // Act / Assess
    expect(parseDuration(text)).toBe(ms)
  })

  test('rejects what is not a duration', () => {
    // Act / Assess
    expect(() => parseDuration('soon')).toThrow('not a duration')
  })
})

describe('duration flags', () => {
  test('--timeout 30 is 30 seconds, as Lambda reads its Timeout', () => {
    // Act
    const options = serveArgsToOptions({ handler: 'index.handler', timeout: '30', 'idle-timeout': '90' })

    // Assess
    expect(options.functions[0]?.timeoutMs).toBe(30_000)
    expect(options.idleTimeoutMs).toBe(90_000)
  })

  test.each([
    [['--timeout', '600h'], "--timeout 600h is longer than 900 s, Lambda's maximum function timeout"],
    [['--timeout', '901'], "--timeout 901 is longer than 900 s, Lambda's maximum function timeout"],
    [
      ['--init-timeout', '600h'],
      "--init-timeout 600h is longer than 2147483647 ms (about 24.8 days), the longest delay Node's timers honour",
    ],
    [['--idle-timeout', '0'], '--idle-timeout 0 is shorter than 1 ms'],
  ])('%j is refused with the limit', async (flags, message) => {
    // Prepare
    const run = capture()

    // Act
    const code = await runCli(['serve', '--handler', 'index.handler', ...flags], run.io)

    // Assess
    expect(code).toBe(1)
    expect(run.text.err).toContain(message)
  })
})

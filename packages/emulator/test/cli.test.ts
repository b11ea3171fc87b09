import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from '@jest/globals'
import { parseDuration, runCli } from '@lambda-lifetime/emulator'
import { serveArgsToOptions } from '../src/cli.js'

const fixtures = fileURLToPath(new URL('../../../test/emulator/fixtures', import.meta.url))

const capture = (signal?: AbortSignal) => {
  const out = new PassThrough()
  const err = new PassThrough()
  const text = { out: '', err: '' }
  out.on('data', (chunk: Buffer) => (text.out += chunk.toString()))
  err.on('data', (chunk: Buffer) => (text.err += chunk.toString()))
  return { io: { out, err, ...(signal ? { signal } : {}) }, text }
}

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

  test('serve runs until stopped; invoke calls it through the Invoke API', async () => {
    // Prepare
    const logDir = mkdtempSync(join(tmpdir(), 'emulator-cli-'))
    const stop = new AbortController()
    const served = capture(stop.signal)
    const args = ['--handler', 'http.handler', '--code-dir', fixtures, '--name', 'web', '--port', '0']
    const serving = runCli(['serve', ...args, '--no-http', '--log-dir', logDir, '--env', 'A=1'], served.io)
    while (!served.text.out.includes('Invoke API')) await new Promise((resolve) => setTimeout(resolve, 20))
    const endpoint = /Invoke API\s+(\S+)/.exec(served.text.out)?.[1] as string
    const invoked = capture()
    const failed = capture()
    const payload = JSON.stringify({ rawPath: '/x', requestContext: { http: { method: 'GET' } } })

    // Act
    const code = await runCli(
      ['invoke', 'web', '--endpoint', endpoint, '--payload', payload, '--tail'],
      invoked.io,
    )
    const failedCode = await runCli(['invoke', 'nope', '--endpoint', endpoint], failed.io)
    const missingName = await runCli(['invoke', '--endpoint', endpoint], capture().io)
    stop.abort()
    const serveCode = await serving

    // Assess
    expect(code).toBe(0)
    expect(JSON.parse(invoked.text.out)).toMatchObject({ statusCode: 200 })
    expect(invoked.text.err).toContain('START RequestId')
    expect(failedCode).toBe(1)
    expect(failed.text.err).toContain('ResourceNotFoundException')
    expect(missingName).toBe(1)
    expect(serveCode).toBe(0)
    expect(served.text.out).toMatch(/web\s+[0-9a-f]{8}\s+\d+\s+frozen/)
    expect(served.text.out).toContain('stopping')
    rmSync(logDir, { recursive: true, force: true })
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
})

describe('serveArgsToOptions', () => {
  test('a config file gives the functions (paths relative to it); flags override', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'emulator-config-'))
    const config = join(dir, 'emulator.json')
    writeFileSync(
      config,
      JSON.stringify({ functions: [{ name: 'a', handler: 'a.handler', codeDir: 'code' }], port: 1 }),
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
})

describe('parseDuration', () => {
  test.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1500', 1_500],
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

import { createSocket } from 'node:dgram'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from '@jest/globals'
import { daemonDatagram, runCli } from '@lambda-lifetime/emulator'
import { fixtures, fn, waitFor, withEmulator } from './harness.js'

/** `lambda-lifetime serve` in a pipe (line mode) until the test aborts it; what it printed. */
const serveInPipe = (args: string[], logDir: string) => {
  const out = Object.assign(new PassThrough(), { isTTY: false })
  const err = new PassThrough()
  const text = { out: '', err: '' }
  out.on('data', (chunk: Buffer) => {
    text.out += chunk.toString()
  })
  err.on('data', (chunk: Buffer) => {
    text.err += chunk.toString()
  })
  const stop = new AbortController()
  const args_ = ['serve', '--code-dir', fixtures, '--port', '0', '--no-http', '--log-dir', logDir, ...args]
  const code = runCli(args_, { out, err, signal: stop.signal })
  return { text, code, stop: () => stop.abort() }
}

const invokeThrough = async (endpoint: string): Promise<void> => {
  const out = new PassThrough()
  out.resume()
  await runCli(['invoke', 'traced', '--endpoint', endpoint, '--payload', '{}'], {
    out,
    err: new PassThrough(),
  })
}

/** The emulator's X-Ray daemon as a runtime and a stranger see it. */
describe("the emulator's X-Ray daemon", () => {
  it('hands each environment its address and the sampled trace header; garbage is counted, said once and dropped', () =>
    withEmulator([fn('vars', 'env.handler')], { tracing: 'Active' }, async ({ emulator, invoke, events }) => {
      // Prepare
      const xray = emulator.xray
      if (xray === null) throw new Error('the receiver is not running')
      const [host, port] = xray.address.split(':') as [string, string]
      const stranger = createSocket('udp4')

      // Act
      const { body } = await invoke('vars', { keys: ['AWS_XRAY_DAEMON_ADDRESS', '_X_AMZN_TRACE_ID'] })
      try {
        for (const datagram of [Buffer.from('not a segment'), Buffer.alloc(2_000, 0xff), daemonDatagram({})])
          stranger.send(datagram, Number(port), host)
        await waitFor(() => xray.counts.refused === 3, 'three refusals')
      } finally {
        stranger.close()
      }

      // Assess
      expect(body.AWS_XRAY_DAEMON_ADDRESS).toBe(xray.address)
      expect(body._X_AMZN_TRACE_ID).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/)
      const notices = events.filter(
        (event) => event.type === 'emulator.notice' && event.message.startsWith('xray:'),
      )
      expect(notices).toHaveLength(1)
      // The function's own segment is still kept: a stranger's garbage changes nothing.
      await waitFor(() => xray.traces('vars').length === 1, "the function's trace")
      expect(xray.counts).toMatchObject({ refused: 3, dropped: 0 })
    }))

  it('with xray: false, runtimes send to a daemon of your own at 127.0.0.1:2000', () =>
    withEmulator([fn('vars', 'env.handler')], { xray: false }, async ({ emulator, invoke }) => {
      // Act
      const { body } = await invoke('vars', { keys: ['AWS_XRAY_DAEMON_ADDRESS'] })

      // Assess
      expect(emulator.xray).toBeNull()
      expect(body.AWS_XRAY_DAEMON_ADDRESS).toBe('127.0.0.1:2000')
    }))

  it('serve --tracing Active prints a line per segment with the container annotations; --no-traces none', async () => {
    // Prepare
    const logDir = mkdtempSync(join(tmpdir(), 'll-xray-cli-'))
    const shown = serveInPipe(
      ['--handler', 'traced.handler', '--name', 'traced', '--tracing', 'Active'],
      logDir,
    )
    const hidden = serveInPipe(
      ['--handler', 'traced.handler', '--name', 'traced', '--tracing', 'Active', '--no-traces'],
      logDir,
    )
    try {
      await waitFor(
        () => shown.text.out.includes('Invoke API') && hidden.text.out.includes('Invoke API'),
        'both servers',
      )
      const endpoint = (text: string) => /Invoke API\s+(\S+)/.exec(text)?.[1] as string

      // Act
      await invokeThrough(endpoint(shown.text.out))
      await invokeThrough(endpoint(hidden.text.out))
      await waitFor(() => shown.text.out.includes('## traced.handler'), 'the segment line')
      await waitFor(() => hidden.text.out.includes('invocation 1'), 'the invocation line')
      shown.stop()
      hidden.stop()

      // Assess
      expect(await shown.code).toBe(0)
      expect(await hidden.code).toBe(0)
      expect(shown.text.out).toMatch(
        /traced env [0-9a-f]{8} trace 1-[0-9a-f]{8}-…[0-9a-f]{8} ## traced\.handler \d+ ms container_id=[0-9a-f]{8} invocation=1 start_type=cold idle_ms=0\n/,
      )
      expect(hidden.text.out).not.toContain('## traced.handler')
    } finally {
      shown.stop()
      hidden.stop()
      await Promise.allSettled([shown.code, hidden.code])
      rmSync(logDir, { recursive: true, force: true })
    }
  }, 60_000)

  it('serve refuses a tracing mode Lambda does not have', async () => {
    // Prepare
    const err = new PassThrough()
    let said = ''
    err.on('data', (chunk: Buffer) => {
      said += chunk.toString()
    })

    // Act
    const code = await runCli(
      ['serve', '--handler', 'traced.handler', '--code-dir', fixtures, '--tracing', 'On'],
      {
        out: new PassThrough(),
        err,
      },
    )

    // Assess
    expect(code).toBe(1)
    expect(said).toContain('--tracing must be Active or PassThrough, got On')
  })
})

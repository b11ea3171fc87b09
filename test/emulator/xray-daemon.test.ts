import { createSocket } from 'node:dgram'
import { describe, expect, it } from '@jest/globals'
import { daemonDatagram } from '@lambda-lifetime/emulator'
import { fn, waitFor, withEmulator } from './harness.js'

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
})

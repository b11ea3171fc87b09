import { createServer, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from '@jest/globals'
import { EventStream, type EventStreamLimits } from '../../src/dashboard/event-stream.js'
import { close, listen } from '../../src/http-server.js'

const running: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of running.splice(0)) await stop()
})

const serveStream = async (limits: EventStreamLimits) => {
  const stream = new EventStream(limits)
  const server: Server = createServer((_request, response) => {
    stream.open(response, '{"snapshot":true}')
  })
  const url = await listen(server, 0, '127.0.0.1')
  running.push(async () => {
    stream.close()
    await close(server)
  })
  return { stream, url, port: Number(new URL(url).port) }
}

/** Waits for a condition with a generous bound, checking between turns of the loop. */
const waitFor = async (check: () => boolean, what: string): Promise<void> => {
  const until = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** A client that asks for the stream and then never reads a byte. */
const stalledClient = (port: number): Socket => {
  const socket = connect(port, '127.0.0.1')
  socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
  socket.pause()
  socket.on('error', () => {})
  return socket
}

describe('the event stream', () => {
  it('cuts a client that stops reading once its buffer is full, and keeps serving one that reads', async () => {
    // Prepare
    const maxBufferedBytes = 64 * 1024
    const { stream, url, port } = await serveStream({ maxBufferedBytes })
    const reader = await fetch(url)
    let received = 0
    const reading = (async () => {
      for await (const chunk of reader.body as ReadableStream<Uint8Array>) received += chunk.length
    })().catch(() => {})
    const stalled = stalledClient(port)
    await waitFor(() => stream.size === 2, 'both clients')
    const message = JSON.stringify({ text: 'x'.repeat(1000) })

    // Act: up to 64 MB, far more than the kernel buffers hold, yielding so that the reader can read
    let sent = 0
    while (stream.size === 2 && sent < 64 * 1024) {
      stream.send(message)
      sent += 1
      if (sent % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    const sentWhenCut = sent
    for (let index = 0; index < 100; index++) {
      stream.send(message)
      if (index % 20 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    await waitFor(() => received >= (sentWhenCut + 100) * message.length, 'the reader to get every message')

    // Assess
    expect(stream.dropped).toBe(1)
    expect(stream.size).toBe(1)
    expect(sentWhenCut).toBeLessThan(64 * 1024)
    stalled.destroy()
    void reading
  }, 30_000)

  it('forgets a client that went away, and sends nothing when nobody listens', async () => {
    // Prepare
    const { stream, url } = await serveStream({})
    const controller = new AbortController()
    await fetch(url, { signal: controller.signal })
    await waitFor(() => stream.size === 1, 'the client')

    // Act
    controller.abort()
    await waitFor(() => stream.size === 0, 'the client to be forgotten')
    stream.send('{"late":true}')

    // Assess
    expect(stream.dropped).toBe(0)
  })

  it('refuses clients past the limit with 503, and pings the others', async () => {
    // Prepare
    const { stream, url } = await serveStream({ maxClients: 1, heartbeatMs: 20 })
    const first = await fetch(url)

    // Act
    const second = await fetch(url)
    const reader = (first.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    while (!text.includes(': ping')) text += new TextDecoder().decode((await reader.read()).value)
    await reader.cancel()

    // Assess
    expect(second.status).toBe(503)
    expect(((await second.json()) as { message: string }).message).toContain(
      'too many dashboards are open (1)',
    )
    expect(text.startsWith('retry: 1000\nevent: snapshot\ndata: {"snapshot":true}\n\n')).toBe(true)
    expect(stream.size).toBeLessThanOrEqual(1)
  })
})

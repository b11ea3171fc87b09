/**
 * The Telemetry API's parts alone: the subscription body (Lambda's bounds and answers), who may
 * subscribe, and delivery to real HTTP and TCP listeners on loopback (batching, slow subscribers,
 * flush, close).
 */
import { randomUUID } from 'node:crypto'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createTcpServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, test } from '@jest/globals'
import fc from 'fast-check'
import { RETRY_DELAYS_MS, TelemetryHub } from '../src/telemetry.js'
import { subscribeTelemetry } from '../src/telemetry-api.js'
import { versionedEvent } from '../src/telemetry-records.js'
import {
  BUFFERING_LIMITS,
  isRefusal,
  parseSubscription,
  type TelemetrySubscription,
} from '../src/telemetry-subscription.js'

const body = (value: unknown) => Buffer.from(JSON.stringify(value))

const valid = (port = 4243, extra: Record<string, unknown> = {}) => ({
  schemaVersion: '2022-12-13',
  types: ['platform', 'function'],
  destination: { protocol: 'HTTP', URI: `http://sandbox.localdomain:${port}/in` },
  ...extra,
})

const subscription = (port: number, extra: Record<string, unknown> = {}): TelemetrySubscription => {
  const parsed = parseSubscription(body(valid(port, extra)))
  if (isRefusal(parsed)) throw new Error(parsed.errorMessage)
  return parsed
}

const event = (n: number, category: 'platform' | 'function' = 'platform') => ({
  category,
  time: new Date().toISOString(),
  type: category === 'platform' ? 'platform.start' : 'function',
  record: category === 'platform' ? { requestId: `r${n}`, version: '$LATEST' } : `line ${n}`,
})

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** An HTTP listener that records each batch; `hold` keeps answers back until released. */
const httpListener = async (hold = false, status = 200) => {
  const batches: { type: string; record: unknown }[][] = []
  const held: ServerResponse[] = []
  const server = createHttpServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      batches.push(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      response.statusCode = status
      if (hold) held.push(response)
      else response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return {
    port: (server.address() as { port: number }).port,
    batches,
    release: () => {
      for (const response of held.splice(0)) response.end()
    },
  }
}

const until = async (check: () => boolean, what: string) => {
  const end = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('parseSubscription', () => {
  test('fills in Lambda defaults and sends sandbox.localdomain to loopback', () => {
    // Act
    const parsed = parseSubscription(body(valid()))

    // Assess
    expect(parsed).toEqual({
      schemaVersion: '2022-12-13',
      types: ['platform', 'function'],
      destination: { protocol: 'HTTP', host: '127.0.0.1', port: 4243, path: '/in' },
      buffering: { maxItems: 10_000, maxBytes: 262_144, timeoutMs: 1_000 },
    })
  })

  test.each([
    ['not JSON', Buffer.from('{'), 'not JSON'],
    ['an unknown version', body(valid(1, { schemaVersion: '2021-01-01' })), 'schemaVersion'],
    ['no types', body(valid(1, { types: [] })), 'types'],
    ['an unknown type', body(valid(1, { types: ['platform', 'trace'] })), 'types[1]'],
    ['no destination', body({ schemaVersion: '2022-07-01', types: ['platform'] }), 'destination'],
    [
      'a host outside the sandbox',
      body(valid(1, { destination: { protocol: 'HTTP', URI: 'http://example.com:80/' } })),
      'sandbox.localdomain',
    ],
    [
      'no port',
      body(valid(1, { destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain/' } })),
      'port is not provided',
    ],
    ['HTTP without URI', body(valid(1, { destination: { protocol: 'HTTP', port: 80 } })), 'URI is required'],
    ['TCP without port', body(valid(1, { destination: { protocol: 'TCP' } })), 'port is required'],
    [
      'a URI that is not one',
      body(valid(1, { destination: { protocol: 'HTTP', URI: 'nope' } })),
      'not a URI',
    ],
    ['maxItems below 1000', body(valid(1, { buffering: { maxItems: 999 } })), 'buffering.maxItems'],
    ['maxBytes above 1 MiB', body(valid(1, { buffering: { maxBytes: 1_048_577 } })), 'buffering.maxBytes'],
    ['timeoutMs below 25', body(valid(1, { buffering: { timeoutMs: 24 } })), 'buffering.timeoutMs'],
    ['a fractional timeoutMs', body(valid(1, { buffering: { timeoutMs: 100.5 } })), 'buffering.timeoutMs'],
  ])('refuses %s with a ValidationError naming it', (_what, request, named) => {
    // Act
    const parsed = parseSubscription(request)

    // Assess
    expect(parsed).toEqual({ errorType: 'ValidationError', errorMessage: expect.stringContaining(named) })
  })

  test('TCP by port (2025-01-29) or by a sandbox URI', () => {
    // Act
    const byPort = parseSubscription(body(valid(1, { destination: { protocol: 'TCP', port: 9000 } })))
    const byUri = parseSubscription(
      body(valid(1, { destination: { protocol: 'TCP', URI: 'tcp://sandbox:9001' } })),
    )

    // Assess
    expect(byPort).toMatchObject({ destination: { protocol: 'TCP', host: '127.0.0.1', port: 9000 } })
    expect(byUri).toMatchObject({ destination: { protocol: 'TCP', host: '127.0.0.1', port: 9001 } })
  })

  test('any body gets an answer: a subscription within the bounds, or a ValidationError', () => {
    const limits = (name: keyof typeof BUFFERING_LIMITS) =>
      fc
        .oneof(fc.integer({ min: -10, max: 2_000_000 }), fc.double(), fc.string(), fc.constant(undefined))
        .map((value) => [name, value] as const)
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({
            maxItems: limits('maxItems'),
            maxBytes: limits('maxBytes'),
            timeoutMs: limits('timeoutMs'),
          }),
        ),
        fc.anything(),
        (buffering, types) => {
          // Act
          const parsed = parseSubscription(
            body({ ...valid(), buffering: Array.isArray(buffering) ? buffering : buffering, types }),
          )

          // Assess
          if (isRefusal(parsed)) {
            expect(parsed.errorType).toBe('ValidationError')
            return
          }
          for (const name of ['maxItems', 'maxBytes', 'timeoutMs'] as const) {
            expect(parsed.buffering[name]).toBeGreaterThanOrEqual(BUFFERING_LIMITS[name].min)
            expect(parsed.buffering[name]).toBeLessThanOrEqual(BUFFERING_LIMITS[name].max)
          }
          expect(parsed.types.length).toBeGreaterThan(0)
        },
      ),
    )
  })
})

describe('subscribeTelemetry: who may subscribe', () => {
  const id = randomUUID()
  const registry = { nameOf: (asked: string) => (asked === id ? 'watcher' : undefined) }

  test.each([
    [null, 'Extension.MissingExtensionIdentifier'],
    ['not-a-uuid', 'Extension.InvalidExtensionIdentifier'],
    [randomUUID(), 'Extension.UnknownExtensionIdentifier'],
  ])('identifier %s: 403 %s (the runtime has none)', (asked, errorType) => {
    // Act
    const answer = subscribeTelemetry(registry, new TelemetryHub(), asked, body(valid()))

    // Assess
    expect(answer).toEqual({ status: 403, body: { errorType, errorMessage: expect.any(String) } })
  })

  test('a registered extension: 200 "OK"; a bad body 400; after init 403 Telemetry.SubscriptionClosed', () => {
    // Prepare
    const hub = new TelemetryHub()
    cleanups.push(() => hub.close())

    // Act
    const ok = subscribeTelemetry(registry, hub, id, body(valid()))
    const bad = subscribeTelemetry(registry, hub, id, body({}))
    hub.closeSubscriptions()
    const late = subscribeTelemetry(registry, hub, id, body(valid()))

    // Assess
    expect(ok).toEqual({ status: 200, body: 'OK' })
    expect(bad).toMatchObject({ status: 400, body: { errorType: 'ValidationError' } })
    expect(late).toMatchObject({ status: 403, body: { errorType: 'Telemetry.SubscriptionClosed' } })
  })
})

describe('TelemetryHub delivery', () => {
  test('replays the init to a late subscriber, then batches by timeoutMs', async () => {
    // Prepare
    const listener = await httpListener()
    const hub = new TelemetryHub()
    cleanups.push(() => hub.close())
    hub.publish(event(0))

    // Act
    hub.subscribe('watcher', subscription(listener.port, { buffering: { timeoutMs: 25 } }))
    hub.publish(event(1))
    hub.publish(event(2, 'function'))
    await until(() => listener.batches.flat().length >= 4, 'the batch')

    // Assess
    expect(listener.batches.flat().map((each) => each.type)).toEqual([
      'platform.start',
      'platform.telemetrySubscription',
      'platform.start',
      'function',
    ])
  })

  test('a slow subscriber: full batches are dropped and reported with platform.logsDropped', async () => {
    // Prepare: the listener holds its answers, so the first batch stays in flight.
    const listener = await httpListener(true)
    const hub = new TelemetryHub()
    cleanups.push(() => hub.close())
    hub.subscribe('slow', subscription(listener.port, { buffering: { maxItems: 1_000, timeoutMs: 25 } }))
    hub.closeSubscriptions()
    await until(() => listener.batches.length === 1, 'the first batch')

    // Act: 2,500 events while the first is on its way; two full batches cannot go.
    for (let n = 0; n < 2_500; n++) hub.publish(event(n))
    listener.release()
    hub.publish(event(9_999))
    await hub.flush(200)
    listener.release()
    await until(
      () => listener.batches.flat().some((each) => each.type === 'platform.logsDropped'),
      'the report',
    )

    // Assess
    const dropped = listener.batches.flat().find((each) => each.type === 'platform.logsDropped')
    expect(dropped?.record).toEqual({
      droppedRecords: 2_000,
      droppedBytes: expect.any(Number),
      reason: expect.stringContaining('slower'),
    })
  })

  test('a failed POST is retried with backoff; a batch that never arrives is reported with the next events', async () => {
    // Prepare: a listener that refuses every batch with 500.
    const listener = await httpListener(false, 500)
    const hub = new TelemetryHub()
    cleanups.push(() => hub.close())
    hub.subscribe('refusing', subscription(listener.port, { buffering: { timeoutMs: 25 } }))
    hub.closeSubscriptions()
    const attempts = RETRY_DELAYS_MS.length + 1
    await until(() => listener.batches.length === attempts, 'every attempt')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const quiet = listener.batches.length

    // Act
    hub.publish(event(1))
    await until(() => listener.batches.length === quiet + 1, 'the next batch')

    // Assess: the same batch each time, then nothing more until an event came.
    expect(quiet).toBe(attempts)
    expect(new Set(listener.batches.slice(0, attempts).map((batch) => JSON.stringify(batch))).size).toBe(1)
    expect(listener.batches.at(-1)?.map((each) => each.type)).toEqual([
      'platform.logsDropped',
      'platform.start',
    ])
    expect(listener.batches.at(-1)?.[0]?.record).toMatchObject({ droppedRecords: 1 })
  })

  test('a listener that fails once gets the batch on the retry, and nothing is reported dropped', async () => {
    // Prepare: the first POST is refused, the rest taken.
    let refused = 0
    const batches: { type: string }[][] = []
    const server = createHttpServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        if (refused++ === 0) response.statusCode = 503
        else batches.push(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        response.end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const hub = new TelemetryHub()
    cleanups.push(() => hub.close())

    // Act
    hub.subscribe(
      'flaky',
      subscription((server.address() as { port: number }).port, { buffering: { timeoutMs: 25 } }),
    )
    hub.publish(event(1))
    await until(() => batches.flat().length >= 2, 'the retried batch')

    // Assess
    expect(batches.flat().map((each) => each.type)).toEqual([
      'platform.telemetrySubscription',
      'platform.start',
    ])
  })

  test('TCP: newline-delimited JSON on one connection; flush sends at once, close stops', async () => {
    // Prepare
    let text = ''
    const sockets: Socket[] = []
    const server: Server = createTcpServer((socket) => {
      sockets.push(socket)
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    })
    const port = (server.address() as { port: number }).port
    const hub = new TelemetryHub()
    hub.subscribe(
      'tcp',
      subscription(1, { destination: { protocol: 'TCP', port }, buffering: { timeoutMs: 30_000 } }),
    )

    // Act
    hub.publish(event(1))
    await hub.flush(5_000)
    await until(() => text.split('\n').length >= 3, 'two lines')
    hub.close()
    hub.publish(event(2))

    // Assess
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).type)
    expect(lines).toEqual(['platform.telemetrySubscription', 'platform.start'])
    expect(sockets).toHaveLength(1)
  })

  test('a listener that never answers: the flush ends at its budget, and close lets go', async () => {
    // Prepare: the first batch stays in flight for good.
    const listener = await httpListener(true)
    const hub = new TelemetryHub()
    cleanups.push(() => hub.close())
    hub.subscribe('stuck', subscription(listener.port, { buffering: { timeoutMs: 25 } }))
    await until(() => listener.batches.length === 1, 'the first batch')
    hub.publish(event(1))

    // Act
    const started = performance.now()
    await hub.flush(300)
    const elapsed = performance.now() - started
    hub.close()

    // Assess
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(listener.batches).toHaveLength(1)
  })
})

describe('versionedEvent', () => {
  test('2022-07-01 keeps the fields it knew and its three statuses', () => {
    // Act
    const initStart = versionedEvent(
      {
        category: 'platform',
        time: 't',
        type: 'platform.initStart',
        record: { initializationType: 'on-demand', phase: 'init', functionName: 'f', instanceId: 'i' },
      },
      '2022-07-01',
    )
    const report = versionedEvent(
      {
        category: 'platform',
        time: 't',
        type: 'platform.report',
        record: { requestId: 'r', status: 'timeout' },
      },
      '2022-07-01',
    )
    const newer = versionedEvent(
      {
        category: 'platform',
        time: 't',
        type: 'platform.report',
        record: { requestId: 'r', status: 'timeout' },
      },
      '2025-01-29',
    )

    // Assess
    expect(initStart.record).toEqual({ initializationType: 'on-demand', phase: 'init' })
    expect(report.record).toEqual({ requestId: 'r', status: 'error', errorType: 'Sandbox.Timedout' })
    expect(newer.record).toEqual({ requestId: 'r', status: 'timeout' })
  })
})

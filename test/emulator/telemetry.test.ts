/**
 * The Telemetry API through the real runtime client: an internal extension in the function subscribes
 * (Lambda looks subscribers up among internal and external extensions alike), and what it receives is
 * passed on to a collector here, then checked against the published event schemas, in order. The
 * invocations go through the AWS SDK's LambdaClient. An external extension would subscribe the same
 * way: the variant is the same test with its process in place of this fixture.
 */
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import type { FunctionConfig } from '@lambda-lifetime/emulator'
import { fn, waitFor, withEmulator } from './harness.js'
import { telemetryProblems } from './telemetry-schemas.js'

interface Received {
  time: string
  type: string
  record: Record<string, unknown> | string
}

let collector: Server
let collectorUrl = ''
let received: Received[] = []

beforeAll(async () => {
  collector = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push(...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received[]))
      response.end()
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  collectorUrl = `http://127.0.0.1:${(collector.address() as { port: number }).port}/`
})

afterAll(async () => {
  await new Promise((resolve) => collector.close(resolve))
})

const relay = (
  version: string,
  extra: { protocol?: 'HTTP' | 'TCP'; types?: string; rules?: Partial<FunctionConfig> } = {},
): FunctionConfig =>
  fn('observed', 'telemetry.handler', {
    shutdownTimeoutMs: 5_000,
    env: {
      COLLECTOR_URL: collectorUrl,
      TELEMETRY_SCHEMA: version,
      TELEMETRY_PROTOCOL: extra.protocol ?? 'HTTP',
      TELEMETRY_TYPES: extra.types ?? 'platform,function',
    },
    ...extra.rules,
  })

const platformTypes = (events: readonly Received[]) =>
  events.map((event) => event.type).filter((type) => type.startsWith('platform.'))

/** Three invocations, then the shutdown that flushes the last telemetry; returns what arrived. */
const observe = async (config: FunctionConfig) => {
  received = []
  const answers: { requestId: string; subscription: unknown; late: unknown }[] = []
  await withEmulator([config], {}, async ({ invoke, stop }) => {
    for (let n = 1; n <= 3; n++) answers.push((await invoke('observed', { n })).body as never)
    await stop()
    await waitFor(
      () => received.filter((event) => event.type === 'platform.report').length >= 3,
      'three reports',
    )
  })
  return { answers, events: [...received] }
}

const INIT = [
  'platform.initStart',
  'platform.telemetrySubscription',
  'platform.initRuntimeDone',
  'platform.extension',
  'platform.initReport',
]
const INVOCATION = ['platform.start', 'platform.runtimeDone', 'platform.report']

describe('Telemetry API', () => {
  test.each(['2022-07-01', '2022-12-13', '2025-01-29'] as const)(
    'schema %s over HTTP: every event valid, in order, one report per invocation',
    async (version) => {
      // Act
      const { answers, events } = await observe(relay(version))

      // Assess: the subscription was answered as Lambda answers it, a late one refused.
      expect(answers[0]?.subscription).toEqual({ status: 200, body: 'OK' })
      expect(answers[0]?.late).toEqual({
        status: 403,
        body: expect.objectContaining({ errorType: 'Telemetry.SubscriptionClosed' }),
      })
      // Every event matches the published schema of the version asked for.
      for (const event of events)
        expect([event.type, telemetryProblems(version, event)]).toEqual([event.type, null])
      // In order: the init (replayed to the subscriber), then each invocation's three.
      expect(platformTypes(events)).toEqual([...INIT, ...INVOCATION, ...INVOCATION, ...INVOCATION])
      const reports = events.filter((event) => event.type === 'platform.report')
      expect(reports.map((event) => (event.record as { requestId: string }).requestId)).toEqual(
        answers.map((answer) => answer.requestId),
      )
      const metrics = reports.map((event) => (event.record as { metrics: Record<string, number> }).metrics)
      expect(metrics[0]).toEqual({
        durationMs: expect.any(Number),
        billedDurationMs: expect.any(Number),
        memorySizeMB: 128,
        maxMemoryUsedMB: expect.any(Number),
        initDurationMs: expect.any(Number),
      })
      expect(metrics[1]).not.toHaveProperty('initDurationMs')
      // The invocation's trace header on its start, runtimeDone and report.
      const traced = events.filter((event) => INVOCATION.includes(event.type))
      expect(traced.map((event) => (event.record as { tracing?: { value: string } }).tracing?.value)).toEqual(
        Array(9).fill(expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}/)),
      )
      expect(metrics[0]?.maxMemoryUsedMB).toBeGreaterThan(0)
      // The function's own lines, as text records, each between its invocation's start and report.
      const lines = events.filter((event) => event.type === 'function').map((event) => event.record)
      expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/\tINFO\thandling 2$/)]))
      const initStart = events[0]?.record as Record<string, unknown>
      if (version === '2022-07-01') expect(initStart).not.toHaveProperty('functionName')
      else expect(initStart).toMatchObject({ functionName: 'observed', functionVersion: '$LATEST' })
    },
    60_000,
  )

  test('TCP destination: newline-delimited events, the JSON log format gives objects', async () => {
    // Act
    const { events } = await observe(
      relay('2022-12-13', { protocol: 'TCP', rules: { loggingConfig: { logFormat: 'JSON' } } }),
    )

    // Assess
    for (const event of events) expect(telemetryProblems('2022-12-13', event)).toBeNull()
    expect(platformTypes(events)).toEqual([...INIT, ...INVOCATION, ...INVOCATION, ...INVOCATION])
    const lines = events.filter((event) => event.type === 'function').map((event) => event.record)
    expect(lines).toEqual(expect.arrayContaining([expect.objectContaining({ message: 'handling 3' })]))
  }, 60_000)

  test('types: a subscriber of platform events alone gets no log lines', async () => {
    // Act
    const { events } = await observe(relay('2025-01-29', { types: 'platform' }))

    // Assess
    expect(events.length).toBeGreaterThan(0)
    expect(events.every((event) => event.type.startsWith('platform.'))).toBe(true)
  }, 60_000)
})

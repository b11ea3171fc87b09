/**
 * examples/orders-api publishes container metrics (EMF in its log stream) and traces (X-Ray segments
 * received by the emulator's daemon), checked against what happened, through the same local stack
 * `npm start` runs. `PRINT_SAMPLES=1` prints one EMF document, one segment and one terminal line of
 * the run: the samples in the metrics, tracer and emulator READMEs come from here.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { type EmulatorEvent, formatSegmentLine, type TraceRecord } from '@lambda-lifetime/emulator'
import { type EmfDocument, emfProblems, holding, total } from '../../packages/metrics/test/emf.js'
import { type LocalStack, startLocalStack } from '../../scripts/local/local-stack.mjs'

interface Answer {
  status: number
  body: { container?: { id: string; invocation: number; startType: string } }
}

let stack: LocalStack
let logDir: string
const events: EmulatorEvent[] = []

beforeAll(async () => {
  logDir = await mkdtemp(join(tmpdir(), 'orders-observability-'))
  stack = await startLocalStack({
    logDir,
    // One environment: the counts below are one container's.
    rules: { concurrency: 1 },
    onEvent: (event) => events.push(event),
  })
}, 60_000)

afterAll(async () => {
  await stack?.stop()
  await rm(logDir, { recursive: true, force: true })
}, 30_000)

const request = async (method: string, path: string, init: RequestInit = {}): Promise<Answer> => {
  const response = await fetch(`${stack.httpUrl}${path}`, { method, ...init })
  return { status: response.status, body: (await response.json()) as Answer['body'] }
}

const order = (traceHeader?: string): Promise<Answer> =>
  request('POST', '/orders', {
    body: JSON.stringify({ item: 'book', quantity: 1, amountCents: 1200 }),
    headers: {
      'content-type': 'application/json',
      ...(traceHeader === undefined ? {} : { 'x-amzn-trace-id': traceHeader }),
    },
  })

/** The EMF documents the orders-api wrote to its log streams. */
const emfDocuments = (): EmfDocument[] => {
  const dir = join(logDir, 'orders-api')
  return readdirSync(dir)
    .filter((file) => file.endsWith('.log'))
    .flatMap((file) => readFileSync(join(dir, file), 'utf8').split('\n'))
    .filter((line) => line.startsWith('{"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument)
}

const eventually = async <T>(read: () => T | null | undefined, what: string): Promise<T> => {
  const until = Date.now() + 10_000
  for (;;) {
    const value = read()
    if (value !== null && value !== undefined) return value
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('examples/orders-api publishes container metrics and traces', () => {
  it('writes valid EMF with the container counts and the business metric, and traces every request', async () => {
    // Act: a cold request, two orders (the second with the caller's own trace), a client error
    const health = await request('GET', '/health')
    const first = await order()
    const callerRoot = `1-${Math.floor(Date.now() / 1000).toString(16)}-${'ab'.repeat(12)}`
    const second = await order(`Root=${callerRoot};Sampled=1`)
    const invalid = await request('POST', '/orders', {
      body: JSON.stringify({ item: 'book', quantity: 0, amountCents: 1 }),
      headers: { 'content-type': 'application/json' },
    })
    const answers = [health, first, second, invalid]

    // Assess: the answers came from one container
    expect(answers.map((answer) => answer.status)).toEqual([200, 201, 201, 400])
    const containerId = health.body.container?.id as string
    expect(second.body.container).toMatchObject({ id: containerId, invocation: 3 })

    // Assess: metrics, read back from the log stream, valid against the EMF specification
    const documents = await eventually(() => {
      const found = emfDocuments()
      return holding(found, 'ContainerAge').length >= 4 ? found : null
    }, 'the EMF documents of four invocations')
    expect(documents.flatMap(emfProblems)).toEqual([])
    expect(total(documents, 'ContainerStart')).toBe(1)
    expect(holding(documents, 'ContainerStart')[0]).toMatchObject({
      start_type: 'cold',
      function_name: 'orders-api',
      container_id: containerId,
      invocation: 1,
    })
    expect(total(documents, 'OrderPlaced')).toBe(2)
    expect(holding(documents, 'ContainerAge').map((document) => document.invocation)).toEqual([1, 2, 3, 4])
    expect(holding(documents, 'IdleTime')).toHaveLength(3)
    // The container's documents name it (a property, not a dimension); the handler's own document does not.
    for (const document of holding(documents, 'ContainerAge')) expect(document.container_id).toBe(containerId)
    expect(holding(documents, 'OrderPlaced')[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']])

    // Assess: traces, one per request, each under the invocation the emulator handed over
    const xray = stack.emulator.xray
    if (xray === null) throw new Error("the emulator's X-Ray receiver is not running")
    const handlerOf = (trace: TraceRecord) =>
      trace.segments.find((segment) => segment.name === '## index.handler')
    const traces = await eventually(() => {
      const kept = xray
        .traces('orders-api')
        .map((summary) => xray.trace(summary.traceId) as TraceRecord)
        .filter((trace) => handlerOf(trace)?.endMs != null)
      return kept.length >= 4 ? kept : null
    }, 'four traces with their handler subsegment')
    const starts = events.filter(
      (event): event is Extract<EmulatorEvent, { type: 'invocation.start' }> =>
        event.type === 'invocation.start' && event.environment.functionName === 'orders-api',
    )
    expect(traces).toHaveLength(4)
    for (const trace of traces) {
      const handedOver = starts.find((start) => start.requestId === trace.requestId)?.traceId ?? ''
      expect(handedOver).toContain(`Root=${trace.traceId};Parent=${handlerOf(trace)?.parentId};Sampled=1`)
    }
    const byInvocation = traces
      .map((trace) => handlerOf(trace)?.annotations ?? {})
      .sort((a, b) => Number(a.invocation) - Number(b.invocation))
    expect(byInvocation).toEqual(
      [1, 2, 3, 4].map((invocation) =>
        expect.objectContaining({
          container_id: containerId,
          invocation,
          start_type: invocation === 1 ? 'cold' : 'warm',
        }),
      ),
    )
    // The caller's trace was followed: its root is the trace of the second order
    expect(xray.trace(callerRoot)?.requestId).toBe(
      starts.find((start) => start.traceId?.startsWith(`Root=${callerRoot}`))?.requestId,
    )
    expect(xray.counts.refused).toBe(0)

    if (process.env.PRINT_SAMPLES === '1') {
      const warmOrder = xray.trace(callerRoot) as TraceRecord
      const note = events.find(
        (event): event is Extract<EmulatorEvent, { type: 'trace.segment' }> =>
          event.type === 'trace.segment' && event.segment.id === handlerOf(warmOrder)?.id,
      )
      process.stdout.write(
        [
          '--- EMF documents of the second order',
          // The handler's own document (OrderPlaced) carries no container property: its second one is this order's.
          ...[
            holding(documents, 'OrderPlaced')[1],
            ...documents.filter((document) => document.invocation === 3),
          ].map((document) => JSON.stringify(document)),
          '--- segments of its trace',
          ...warmOrder.segments.map((segment) => JSON.stringify(segment)),
          '--- terminal line',
          note === undefined ? '' : formatSegmentLine(note, {}),
          '',
        ].join('\n'),
      )
    }
  }, 60_000)
})

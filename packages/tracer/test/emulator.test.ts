/**
 * End to end on the emulator: Powertools Tracer and containerTracing under the real AWS runtime client,
 * the X-Ray SDK sending to the daemon address the emulator sets, and the emulator's receiver keeping
 * what arrives. Each invocation's segments carry the trace id and parent the emulator handed to the
 * runtime for that invocation.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  type Emulator,
  type EmulatorEvent,
  startEmulator,
  type TraceRecord,
  type TraceSegment,
} from '@lambda-lifetime/emulator'

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url))
const tracerLib = fileURLToPath(new URL('../lib/index.js', import.meta.url))

interface Answer {
  traceHeader: string
  view: { containerId: string; invocation: number; startType: string }
}

/** Waits for a condition the receiver reaches asynchronously (UDP), with a generous bound. */
const eventually = async <T>(
  read: () => T | null | undefined,
  what: string,
  limitMs = 10_000,
): Promise<T> => {
  const until = Date.now() + limitMs
  for (;;) {
    const value = read()
    if (value !== null && value !== undefined) return value
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const named = (trace: TraceRecord, name: string): TraceSegment | undefined =>
  trace.segments.find((segment) => segment.name === name)

describe('containerTracing on the emulator, segments received by its X-Ray daemon', () => {
  let emulator: Emulator | undefined
  let logDir: string
  const events: EmulatorEvent[] = []

  beforeAll(async () => {
    if (!existsSync(tracerLib)) throw new Error('packages/tracer/lib is missing: run `npx tsc --build` first')
    logDir = mkdtempSync(join(tmpdir(), 'll-tracer-emulator-'))
    emulator = await startEmulator({
      logDir,
      idleTimeoutMs: 60_000,
      tracing: 'Active',
      dashboard: false,
      onEvent: (event) => events.push(event),
      functions: [
        { name: 'orders', handler: 'traced.handler', codeDir: fixtures, timeoutMs: 3_000, concurrency: 1 },
        {
          name: 'passthrough',
          handler: 'traced.handler',
          codeDir: fixtures,
          timeoutMs: 3_000,
          tracing: 'PassThrough',
        },
      ],
    })
  }, 30_000)

  afterAll(async () => {
    await emulator?.stop()
    rmSync(logDir, { recursive: true, force: true })
  }, 30_000)

  const invoke = async (name: string, payload: unknown = {}) => {
    const result = await (emulator as Emulator).invoke(name, payload)
    const answer = JSON.parse(result.payload) as Answer
    const start = events.find(
      (event): event is Extract<EmulatorEvent, { type: 'invocation.start' }> =>
        event.type === 'invocation.start' && event.requestId === result.requestId,
    )
    return { result, answer, handedOver: start?.traceId ?? '' }
  }

  it('receives the handler subsegment of each invocation, in the trace and under the parent the runtime got', async () => {
    // Act: a cold invocation, then a warm one after a sleep
    const cold = await invoke('orders')
    await new Promise((resolve) => setTimeout(resolve, 120))
    const warm = await invoke('orders')
    const xray = (emulator as Emulator).xray
    if (xray === null) throw new Error('the receiver is not running')
    const traceOf = (header: string) => /Root=([^;]+)/.exec(header)?.[1] as string
    const [coldTrace, warmTrace] = await Promise.all(
      [cold, warm].map(({ handedOver }) =>
        eventually(() => {
          const trace = xray.trace(traceOf(handedOver))
          return trace?.segments.some((segment) => segment.name === '## traced.handler') ? trace : null
        }, `the segments of ${handedOver}`),
      ),
    )

    // Assess: the runtime saw the header the emulator handed over, sampled
    expect(cold.answer.traceHeader).toBe(cold.handedOver)
    expect(cold.handedOver).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/)
    const parentOf = (header: string) => /Parent=([0-9a-f]{16})/.exec(header)?.[1]
    const coldHandler = named(coldTrace as TraceRecord, '## traced.handler') as TraceSegment
    const warmHandler = named(warmTrace as TraceRecord, '## traced.handler') as TraceSegment
    expect(coldHandler.parentId).toBe(parentOf(cold.handedOver))
    expect(warmHandler.parentId).toBe(parentOf(warm.handedOver))
    expect(coldHandler.annotations).toMatchObject({
      container_id: cold.answer.view.containerId,
      invocation: 1,
      start_type: 'cold',
      idle_ms: 0,
    })
    expect(warmHandler.annotations).toMatchObject({
      container_id: cold.answer.view.containerId,
      invocation: 2,
      start_type: 'warm',
    })
    // Lambda's own segment for each invocation is the parent, named after the function
    const coldFunction = coldTrace?.segments.find((segment) => segment.origin === 'AWS::Lambda::Function')
    expect(coldFunction).toMatchObject({ id: parentOf(cold.handedOver), name: 'orders', parentId: null })
    expect(coldTrace).toMatchObject({ functionName: 'orders', requestId: cold.result.requestId })
    // The thaw: a subsegment of the warm invocation, as long as the sleep
    const thaw = named(warmTrace as TraceRecord, '## container.thaw') as TraceSegment
    expect(thaw.parentId).toBe(warmHandler.id)
    expect((thaw.endMs as number) - thaw.startMs).toBeGreaterThanOrEqual(100)
    expect(xray.traces('orders').map((trace) => trace.traceId)).toEqual(
      expect.arrayContaining([traceOf(cold.handedOver), traceOf(warm.handedOver)]),
    )
    expect(xray.counts.refused).toBe(0)
    // Every kept segment was also an event (terminal and dashboard listen to those)
    const segmentEvents = events.filter((event) => event.type === 'trace.segment')
    expect(segmentEvents.length).toBeGreaterThanOrEqual(4)
  }, 30_000)

  it('sends nothing for an unsampled invocation (PassThrough without a decision from the caller)', async () => {
    // Act
    const { answer, handedOver } = await invoke('passthrough')

    // Assess
    expect(answer.traceHeader).toMatch(/;Sampled=0$/)
    expect(handedOver).toBe(answer.traceHeader)
    expect((emulator as Emulator).xray?.traces('passthrough')).toEqual([])
  }, 30_000)

  it("follows a caller's sampling decision under PassThrough", async () => {
    // Act
    const result = await (emulator as Emulator).invoke(
      'passthrough',
      {},
      { traceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' },
    )

    // Assess
    const trace = await eventually(() => {
      const kept = (emulator as Emulator).xray?.trace('1-5759e988-bd862e3fe1be46a994272793')
      return kept && kept.segments.length >= 2 ? kept : null
    }, 'the followed trace')
    expect(trace.functionName).toBe('passthrough')
    expect(trace.requestId).toBe(result.requestId)
  }, 30_000)
})

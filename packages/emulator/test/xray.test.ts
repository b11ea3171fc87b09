import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { describe, expect, test } from '@jest/globals'
import fc from 'fast-check'
import { formatSegmentLine } from '../src/terminal-logs.js'
import { type SegmentNote, sampledTrace, TraceStore, XrayReceiver } from '../src/xray.js'
import { daemonDatagram, MAX_DATAGRAM_BYTES, readDatagram, type TraceSegment } from '../src/xray-protocol.js'

const TRACE = '1-6b12e7b6-000000000000000000000002'
const PARENT = '0000000000000003'

const handlerDocument = {
  id: 'a6d16119d43e7afd',
  name: '## index.handler',
  start_time: 1796401078.535,
  end_time: 1796401078.547,
  annotations: {
    container_id: 'cc24dc21-1c9e-4d62-8c5b-35c0c1718e90',
    invocation: 2,
    start_type: 'warm',
    idle_ms: 1502,
  },
  metadata: { 'lambda-lifetime': { container: { invocation: 2 } } },
  type: 'subsegment',
  parent_id: PARENT,
  trace_id: TRACE,
}

const segment = (overrides: Partial<TraceSegment> = {}): TraceSegment => ({
  traceId: TRACE,
  id: '1111111111111111',
  parentId: null,
  name: 'work',
  startMs: 1_000,
  endMs: 1_010,
  origin: null,
  annotations: {},
  metadata: null,
  error: false,
  fault: false,
  throttle: false,
  ...overrides,
})

describe('readDatagram', () => {
  test('reads a subsegment as the X-Ray SDK sends it: header line, newline, document', () => {
    // Act
    const reading = readDatagram(daemonDatagram(handlerDocument))

    // Assess
    expect(reading).toEqual({
      ok: true,
      segments: [
        {
          traceId: TRACE,
          id: 'a6d16119d43e7afd',
          parentId: PARENT,
          name: '## index.handler',
          startMs: 1796401078535,
          endMs: 1796401078547,
          origin: null,
          annotations: handlerDocument.annotations,
          metadata: handlerDocument.metadata,
          error: false,
          fault: false,
          throttle: false,
        },
      ],
    })
  })

  test('flattens nested subsegments under their parent, and keeps an in-progress one open', () => {
    // Act
    const reading = readDatagram(
      daemonDatagram({
        trace_id: TRACE,
        id: '2222222222222222',
        name: 'api',
        start_time: 10,
        in_progress: true,
        subsegments: [{ id: '3333333333333333', name: 'db', start_time: 10, end_time: 11, fault: true }],
      }),
    )

    // Assess
    expect(
      reading.ok &&
        reading.segments.map(({ id, parentId, endMs, fault }) => ({ id, parentId, endMs, fault })),
    ).toEqual([
      { id: '2222222222222222', parentId: null, endMs: null, fault: false },
      { id: '3333333333333333', parentId: '2222222222222222', endMs: 11_000, fault: true },
    ])
  })

  test.each([
    ['no header line', Buffer.from('{"trace_id":"x"}')],
    ['a wrong header', Buffer.from('{"format":"xml","version":1}\n{}')],
    ['a document that is not JSON', Buffer.from('{"format":"json","version":1}\n{nope')],
    ['a bad trace id', daemonDatagram({ ...handlerDocument, trace_id: '1-zz' })],
    ['a subsegment without parent', daemonDatagram({ ...handlerDocument, parent_id: undefined })],
    ['no end and not in progress', daemonDatagram({ ...handlerDocument, end_time: undefined })],
    // Found by the property below: 1.8e305 s is Infinity in ms.
    ['a time past the year 9999', daemonDatagram({ ...handlerDocument, start_time: 1.797693134862316e305 })],
    ['an end before the start', daemonDatagram({ ...handlerDocument, end_time: 1 })],
    [
      'a bad nested id',
      daemonDatagram({
        ...handlerDocument,
        subsegments: [{ id: 'x', name: 'a', start_time: 1, end_time: 2 }],
      }),
    ],
    ['too large', Buffer.alloc(MAX_DATAGRAM_BYTES + 1, 0x20)],
  ])('refuses %s with a reason', (_, datagram) => {
    // Act
    const reading = readDatagram(datagram)

    // Assess
    expect(reading.ok).toBe(false)
    expect(!reading.ok && reading.reason.length).toBeGreaterThan(0)
  })

  test('refuses subsegments nested without end, and keeps only valid annotations', () => {
    // Prepare
    let deep: Record<string, unknown> = { id: '4444444444444444', name: 'leaf', start_time: 1, end_time: 2 }
    for (let level = 0; level < 20; level++)
      deep = { id: '4444444444444444', name: 'n', start_time: 1, end_time: 2, subsegments: [deep] }

    // Act
    const tooDeep = readDatagram(daemonDatagram({ ...deep, trace_id: TRACE }))
    const odd = readDatagram(
      daemonDatagram({
        ...handlerDocument,
        annotations: { ok: 1, 'bad key': 2, nested: { a: 1 }, nan: null },
      }),
    )

    // Assess
    expect(tooDeep).toEqual({ ok: false, reason: 'subsegments nest deeper than 8' })
    expect(odd.ok && odd.segments[0]?.annotations).toEqual({ ok: 1 })
  })

  test('any bytes get an answer, never a throw (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        // Act
        const reading = readDatagram(Buffer.from(bytes))

        // Assess
        expect(typeof reading.ok).toBe('boolean')
      }),
      { numRuns: 2_000 },
    )
  })

  test('any JSON after a good header gets an answer, and what is kept is well-formed (property)', () => {
    const documents = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          trace_id: fc.oneof(fc.constant(TRACE), fc.string()),
          id: fc.oneof(fc.constant('a6d16119d43e7afd'), fc.string()),
          name: fc.string(),
          start_time: fc.oneof(fc.double(), fc.constant(1)),
          end_time: fc.oneof(fc.double(), fc.constant(2)),
          in_progress: fc.boolean(),
          parent_id: fc.oneof(fc.constant(PARENT), fc.string()),
          type: fc.constantFrom('subsegment', 'segment'),
          annotations: fc.dictionary(fc.string(), fc.jsonValue()),
          subsegments: fc.array(fc.jsonValue(), { maxLength: 3 }),
        },
        { requiredKeys: [] },
      ),
    )
    fc.assert(
      fc.property(documents, (document) => {
        // Act
        const reading = readDatagram(daemonDatagram(document))

        // Assess
        if (!reading.ok) return
        for (const kept of reading.segments) {
          expect(kept.traceId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/)
          expect(kept.id).toMatch(/^[0-9a-f]{16}$/)
          expect(Number.isFinite(kept.startMs)).toBe(true)
          if (kept.endMs !== null) expect(kept.endMs).toBeGreaterThanOrEqual(kept.startMs)
          for (const value of Object.values(kept.annotations))
            expect(['string', 'number', 'boolean']).toContain(typeof value)
        }
      }),
      { numRuns: 2_000 },
    )
  })
})

describe('TraceStore', () => {
  test('groups segments by trace, keeps the last version of a segment, lists newest first', () => {
    // Prepare
    const store = new TraceStore()
    const other = '1-6b12e7b7-000000000000000000000009'

    // Act
    store.add(segment({ endMs: null }))
    store.add(segment({ endMs: 1_020, annotations: { start_type: 'cold' } }))
    store.add(segment({ id: '2222222222222222', parentId: '1111111111111111', startMs: 1_005, endMs: 1_006 }))
    store.add(segment({ traceId: other, startMs: 5_000, endMs: 5_001 }))
    store.claim(TRACE, { functionName: 'orders', requestId: 'r1', environmentId: 'e1' })

    // Assess
    expect(store.list().map((trace) => trace.traceId)).toEqual([other, TRACE])
    expect(store.list('orders')).toEqual([
      expect.objectContaining({
        traceId: TRACE,
        functionName: 'orders',
        requestId: 'r1',
        startMs: 1_000,
        endMs: 1_020,
        segmentCount: 2,
        annotations: { start_type: 'cold' },
      }),
    ])
    expect(store.get(TRACE)?.segments.map((kept) => kept.id)).toEqual([
      '1111111111111111',
      '2222222222222222',
    ])
    expect(store.get('1-00000000-000000000000000000000000')).toBeNull()
  })

  test('is bounded: the oldest trace goes, and a full trace drops (and counts) new segments', () => {
    // Prepare
    const store = new TraceStore({ maxTraces: 2, maxSegmentsPerTrace: 2 })
    const traceId = (n: number) => `1-6b12e7b6-${String(n).padStart(24, '0')}`

    // Act
    for (let n = 1; n <= 3; n++) store.add(segment({ traceId: traceId(n) }))
    const kept = [1, 2, 3].map((n) => store.add(segment({ traceId: traceId(3), id: `${n}`.repeat(16) })))

    // Assess
    expect(store.get(traceId(1))).toBeNull()
    expect(store.list()).toHaveLength(2)
    // The first replaces the segment of the same id; the trace is then full.
    expect(kept).toEqual([true, true, false])
    expect(store.dropped).toBe(1)
  })
})

describe('sampledTrace', () => {
  test('reads a sampled header and ignores an unsampled one', () => {
    // Act & Assess
    expect(sampledTrace(`Root=${TRACE};Parent=${PARENT};Sampled=1`)).toEqual({
      traceId: TRACE,
      parentId: PARENT,
    })
    expect(sampledTrace(`Root=${TRACE};Parent=${PARENT};Sampled=0`)).toBeNull()
    expect(sampledTrace('Sampled=1')).toBeNull()
  })
})

describe('XrayReceiver', () => {
  test('takes datagrams over UDP on loopback, counts the refused ones, and records Lambda segments', async () => {
    // Prepare
    const notes: SegmentNote[] = []
    const refusals: string[] = []
    const receiver = await XrayReceiver.start({
      onSegment: (note) => notes.push(note),
      onFirstRefusal: (reason) => refusals.push(reason),
    })
    const client = createSocket('udp4')
    const [host, port] = receiver.address.split(':') as [string, string]
    try {
      receiver.invocationStarted({
        requestId: 'r1',
        traceHeader: `Root=${TRACE};Parent=${PARENT};Sampled=1`,
        functionName: 'orders',
        environmentId: '2026/12/04/[$LATEST]0c043fa44889969a82ad0b09bd15493d',
        // Heard a little after the handler's subsegment began (1796401078535).
        at: 1796401078540,
      })

      // Act
      client.send(Buffer.from('garbage'), Number(port), host)
      client.send(Buffer.from('more garbage'), Number(port), host)
      client.send(daemonDatagram(handlerDocument), Number(port), host)
      const until = Date.now() + 10_000
      while (receiver.counts.received + receiver.counts.refused < 3 && Date.now() < until)
        await new Promise((resolve) => setTimeout(resolve, 10))
      receiver.invocationEnded('r1', 1796401078600, 'crash')
      receiver.invocationEnded('unknown', 1_060, 'success')

      // Assess
      expect(receiver.address).toMatch(/^127\.0\.0\.1:\d+$/)
      expect(receiver.counts).toEqual({ received: 1, refused: 2, dropped: 0 })
      expect(refusals).toEqual(['no header line'])
      expect(notes.map((note) => [note.segment.name, note.functionName])).toEqual([
        ['## index.handler', 'orders'],
        ['orders', 'orders'],
      ])
      expect(receiver.store.get(TRACE)?.segments.find((kept) => kept.id === PARENT)).toMatchObject({
        origin: 'AWS::Lambda::Function',
        // It encloses what the function sent under it.
        startMs: 1796401078535,
        endMs: 1796401078600,
        fault: true,
      })
    } finally {
      client.close()
      await receiver.close()
    }
  })

  test('a port in use is an error at start, not a crash', async () => {
    // Prepare
    const taken = createSocket('udp4')
    taken.bind(0, '127.0.0.1')
    await once(taken, 'listening')
    try {
      // Act & Assess
      await expect(
        XrayReceiver.start({ onSegment: () => {}, onFirstRefusal: () => {} }, { port: taken.address().port }),
      ).rejects.toThrow(/EADDRINUSE/)
    } finally {
      taken.close()
    }
  })
})

describe('formatSegmentLine', () => {
  test('one compact line with the duration and the container annotations', () => {
    // Prepare
    const [kept] = (
      readDatagram(daemonDatagram(handlerDocument)) as { readonly segments: readonly TraceSegment[] }
    ).segments

    // Act
    const line = formatSegmentLine(
      {
        functionName: 'orders',
        environmentId: '2026/12/04/[$LATEST]0c043fa44889969a82ad0b09bd15493d',
        segment: kept as TraceSegment,
      },
      {},
    )

    // Assess
    expect(line).toBe(
      'orders env 0c043fa4 trace 1-6b12e7b6-…00000002 ## index.handler 12 ms container_id=cc24dc21 invocation=2 start_type=warm idle_ms=1502',
    )
  })

  test("says a fault and an open segment, and leaves Lambda's own segment to the invocation line", () => {
    // Act
    const open = formatSegmentLine(
      { functionName: null, environmentId: null, segment: segment({ endMs: null, fault: true }) },
      {},
    )
    const lambda = formatSegmentLine(
      { functionName: 'orders', environmentId: null, segment: segment({ origin: 'AWS::Lambda::Function' }) },
      {},
    )

    // Assess
    expect(open).toBe('trace 1-6b12e7b6-…00000002 work in progress fault')
    expect(lambda).toBeNull()
  })
})

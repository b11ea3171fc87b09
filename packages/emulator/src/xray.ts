/**
 * The emulator's X-Ray daemon: a UDP listener on loopback that the runtimes' `AWS_XRAY_DAEMON_ADDRESS`
 * points at, the last traces in memory (bounded), and the segment Lambda itself records for each
 * sampled invocation (`AWS::Lambda::Function`, whose id is the Parent handed to the runtime), so that
 * the SDK's subsegments hang under the invocation that made them, as in the X-Ray console.
 */
import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { readDatagram, type TraceSegment } from './xray-protocol.js'

export type { TraceSegment } from './xray-protocol.js'

/** One trace in a list: when, which function, how long, and the container annotations found in it. */
export interface TraceSummary {
  readonly traceId: string
  /** The function whose invocation the trace went through; null when no invocation of this run sent it. */
  readonly functionName: string | null
  readonly requestId: string | null
  readonly environmentId: string | null
  readonly startMs: number
  /** Null while a segment of it is in progress. */
  readonly endMs: number | null
  readonly segmentCount: number
  readonly error: boolean
  readonly fault: boolean
  /** The annotations of the trace's segments, first seen first (`container_id`, `start_type`, …). */
  readonly annotations: Readonly<Record<string, string | number | boolean>>
}

/** One trace with its segments, in start order. */
export interface TraceRecord extends TraceSummary {
  readonly segments: readonly TraceSegment[]
}

/** What the receiver has seen. */
export interface XrayCounts {
  /** Datagrams read into segments. */
  readonly received: number
  /** Datagrams refused (not the daemon protocol, not a segment, too large): counted and dropped. */
  readonly refused: number
  /** Segments dropped because their trace already held `maxSegmentsPerTrace`. */
  readonly dropped: number
}

/** The bounds of what is kept. */
export interface XrayLimits {
  /** Traces kept; the oldest goes first. Default 200. */
  readonly maxTraces?: number
  /** Segments kept per trace. Default 200. */
  readonly maxSegmentsPerTrace?: number
}

/** A segment the receiver took in, for the emulator's listeners. */
export interface SegmentNote {
  readonly segment: TraceSegment
  readonly functionName: string | null
  readonly environmentId: string | null
}

const DEFAULT_LIMITS: Required<XrayLimits> = { maxTraces: 200, maxSegmentsPerTrace: 200 }

interface Trace {
  readonly traceId: string
  functionName: string | null
  requestId: string | null
  environmentId: string | null
  readonly segments: Map<string, TraceSegment>
}

/** An invocation handed to a runtime with `Sampled=1`, until it ends. */
interface SampledInvocation {
  readonly traceId: string
  readonly parentId: string
  readonly functionName: string
  readonly environmentId: string
  readonly startedAt: number
}

const HEADER_FIELD = (name: string): RegExp => new RegExp(`(?:^|;)\\s*${name}=([^;]*)`, 'i')

/**
 * The Root, Parent and Sampled of a `Lambda-Runtime-Trace-Id` header; null when it is not sampled.
 *
 * @example
 * ```ts
 * sampledTrace('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1')
 * // { traceId: '1-5759e988-bd862e3fe1be46a994272793', parentId: '53995c3f42cd8ad8' }
 * ```
 */
export const sampledTrace = (header: string): { traceId: string; parentId: string } | null => {
  const traceId = HEADER_FIELD('Root').exec(header)?.[1]
  const parentId = HEADER_FIELD('Parent').exec(header)?.[1]
  const sampled = HEADER_FIELD('Sampled').exec(header)?.[1]
  if (traceId === undefined || parentId === undefined || sampled !== '1') return null
  return { traceId, parentId }
}

const summaryOf = (trace: Trace): TraceSummary => {
  const segments = [...trace.segments.values()]
  const annotations: Record<string, string | number | boolean> = {}
  for (const segment of segments) {
    for (const [key, value] of Object.entries(segment.annotations))
      if (!(key in annotations)) annotations[key] = value
  }
  const ends = segments.map((segment) => segment.endMs)
  return {
    traceId: trace.traceId,
    functionName: trace.functionName,
    requestId: trace.requestId,
    environmentId: trace.environmentId,
    startMs: Math.min(...segments.map((segment) => segment.startMs)),
    endMs: ends.includes(null) ? null : Math.max(...(ends as number[])),
    segmentCount: segments.length,
    error: segments.some((segment) => segment.error),
    fault: segments.some((segment) => segment.fault),
    annotations,
  }
}

/**
 * The last traces, grouped by trace id, bounded in traces and in segments per trace. A segment sent
 * twice (in progress, then complete) is kept once, as its last version.
 *
 * @example
 * ```ts
 * const store = new TraceStore({ maxTraces: 50 })
 * store.add(segment)
 * store.list('orders-api') // newest first
 * ```
 */
export class TraceStore {
  readonly #limits: Required<XrayLimits>
  readonly #traces = new Map<string, Trace>()
  dropped = 0

  constructor(limits: XrayLimits = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits }
  }

  #traceOf(traceId: string): Trace {
    const known = this.#traces.get(traceId)
    if (known !== undefined) return known
    const trace: Trace = {
      traceId,
      functionName: null,
      requestId: null,
      environmentId: null,
      segments: new Map(),
    }
    this.#traces.set(traceId, trace)
    for (const oldest of this.#traces.keys()) {
      if (this.#traces.size <= this.#limits.maxTraces) break
      this.#traces.delete(oldest)
    }
    return trace
  }

  /** Names the invocation a trace went through (its function, request and environment). */
  claim(traceId: string, owner: { functionName: string; requestId: string; environmentId: string }): void {
    const trace = this.#traceOf(traceId)
    // A trace that goes through two functions keeps the first: the one its caller reached.
    if (trace.functionName !== null) return
    trace.functionName = owner.functionName
    trace.requestId = owner.requestId
    trace.environmentId = owner.environmentId
  }

  /** Keeps a segment; false when its trace is full and it was dropped. */
  add(segment: TraceSegment): boolean {
    const trace = this.#traceOf(segment.traceId)
    if (!trace.segments.has(segment.id) && trace.segments.size >= this.#limits.maxSegmentsPerTrace) {
      this.dropped += 1
      return false
    }
    trace.segments.set(segment.id, segment)
    return true
  }

  /** The function and environment a trace belongs to, as far as known. */
  ownerOf(traceId: string): { functionName: string | null; environmentId: string | null } {
    const trace = this.#traces.get(traceId)
    return { functionName: trace?.functionName ?? null, environmentId: trace?.environmentId ?? null }
  }

  /** Traces holding at least one segment, newest first; of one function when it is named. */
  list(functionName?: string): TraceSummary[] {
    return [...this.#traces.values()]
      .filter((trace) => trace.segments.size > 0)
      .filter((trace) => functionName === undefined || trace.functionName === functionName)
      .map(summaryOf)
      .sort((a, b) => b.startMs - a.startMs)
  }

  /** One trace with its segments in start order, null when it is not (or no longer) kept. */
  get(traceId: string): TraceRecord | null {
    const trace = this.#traces.get(traceId)
    if (trace === undefined || trace.segments.size === 0) return null
    const segments = [...trace.segments.values()].sort((a, b) => a.startMs - b.startMs)
    return { ...summaryOf(trace), segments }
  }
}

/** What the receiver reports to the emulator. */
export interface XrayReceiverHooks {
  /** A segment was kept. */
  onSegment(note: SegmentNote): void
  /** The first refused datagram, with the reason (later ones are only counted). */
  onFirstRefusal(reason: string): void
}

/**
 * The X-Ray daemon of the emulator: listens on loopback (an ephemeral port by default), keeps what
 * the SDK sends, and records Lambda's own segment for each sampled invocation from the emulator's
 * `invocation.start` and `invocation.end`.
 *
 * @example
 * ```ts
 * const receiver = await XrayReceiver.start({ onSegment: console.log, onFirstRefusal: console.warn })
 * runtimeEnv.AWS_XRAY_DAEMON_ADDRESS = receiver.address // 127.0.0.1:<port>
 * receiver.store.list()
 * await receiver.close()
 * ```
 */
export class XrayReceiver {
  readonly store: TraceStore
  readonly #socket: Socket
  readonly #hooks: XrayReceiverHooks
  readonly #sampled = new Map<string, SampledInvocation>()
  #received = 0
  #refused = 0
  /** `host:port` for `AWS_XRAY_DAEMON_ADDRESS`. */
  readonly address: string

  private constructor(socket: Socket, hooks: XrayReceiverHooks, limits: XrayLimits) {
    this.#socket = socket
    this.#hooks = hooks
    this.store = new TraceStore(limits)
    const { address, port } = socket.address()
    this.address = `${address}:${port}`
    socket.on('message', (datagram) => this.take(datagram))
    // A socket error (none is expected on a bound UDP socket) must not end the emulator's process.
    socket.on('error', () => {})
  }

  /** Binds the socket. */
  static async start(
    hooks: XrayReceiverHooks,
    options: { host?: string; port?: number } & XrayLimits = {},
  ): Promise<XrayReceiver> {
    const socket = createSocket('udp4')
    socket.bind(options.port ?? 0, options.host ?? '127.0.0.1')
    await Promise.race([
      once(socket, 'listening'),
      once(socket, 'error').then(([error]) => {
        socket.close()
        throw error
      }),
    ])
    socket.unref()
    return new XrayReceiver(socket, hooks, options)
  }

  get counts(): XrayCounts {
    return { received: this.#received, refused: this.#refused, dropped: this.store.dropped }
  }

  /** Reads one datagram (what the socket calls; public for tests). */
  take(datagram: Buffer): void {
    const reading = readDatagram(datagram)
    if (!reading.ok) {
      this.#refused += 1
      if (this.#refused === 1) this.#hooks.onFirstRefusal(reading.reason)
      return
    }
    this.#received += 1
    for (const segment of reading.segments) this.#keep(segment)
  }

  #keep(segment: TraceSegment): void {
    if (!this.store.add(segment)) return
    this.#hooks.onSegment({ segment, ...this.store.ownerOf(segment.traceId) })
  }

  /** An invocation was handed to a runtime: when sampled, its trace is named and its segment opened. */
  invocationStarted(invocation: {
    requestId: string
    traceHeader: string
    functionName: string
    environmentId: string
    at: number
  }): void {
    const trace = sampledTrace(invocation.traceHeader)
    if (trace === null) return
    this.store.claim(trace.traceId, invocation)
    this.#sampled.set(invocation.requestId, { ...trace, ...invocation, startedAt: invocation.at })
  }

  /** The invocation ended: Lambda's segment for it (`AWS::Lambda::Function`) is recorded. */
  invocationEnded(requestId: string, at: number, outcome: string): void {
    const invocation = this.#sampled.get(requestId)
    if (invocation === undefined) return
    this.#sampled.delete(requestId)
    // The emulator hears of the start a few ms after the runtime got the invocation: Lambda's segment
    // encloses what the function sent under it, as on Lambda.
    const children = (this.store.get(invocation.traceId)?.segments ?? []).filter(
      (segment) => segment.parentId === invocation.parentId,
    )
    this.#keep({
      traceId: invocation.traceId,
      id: invocation.parentId,
      parentId: null,
      name: invocation.functionName,
      startMs: Math.min(invocation.startedAt, ...children.map((segment) => segment.startMs)),
      endMs: at,
      origin: 'AWS::Lambda::Function',
      annotations: {},
      metadata: null,
      error: false,
      fault: outcome !== 'success',
      throttle: false,
    })
  }

  async close(): Promise<void> {
    this.#sampled.clear()
    await new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve())
      } catch {
        // Already closed.
        resolve()
      }
    })
  }
}

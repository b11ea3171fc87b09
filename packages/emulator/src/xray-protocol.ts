/**
 * The X-Ray daemon protocol as the X-Ray SDK speaks it: one UDP datagram per document, a header line
 * `{"format":"json","version":1}`, a newline, then one segment (or subsegment) document as JSON. Every
 * datagram is read with bounds (its size, the nesting of subsegments, the number of annotations, the
 * size of metadata kept): a datagram that breaks a rule is refused with the reason, never thrown.
 */
import { isRecord } from '@lambda-lifetime/commons'

/** A segment as the emulator keeps it (times in epoch milliseconds). */
export interface TraceSegment {
  readonly traceId: string
  readonly id: string
  /** The (sub)segment it belongs under; null for a trace's root segment. */
  readonly parentId: string | null
  readonly name: string
  readonly startMs: number
  /** Null while in progress. */
  readonly endMs: number | null
  /** `AWS::Lambda::Function` on the segment the emulator records for an invocation. */
  readonly origin: string | null
  readonly annotations: Readonly<Record<string, string | number | boolean>>
  /** The document's metadata when it is small (up to 4 KB as JSON), else null. */
  readonly metadata: unknown
  readonly error: boolean
  readonly fault: boolean
  readonly throttle: boolean
}

/** What one datagram held: its segments (a document and its nested subsegments), or why it was refused. */
export type DatagramReading =
  | { readonly ok: true; readonly segments: readonly TraceSegment[] }
  | { readonly ok: false; readonly reason: string }

/** The largest UDP payload; the X-Ray daemon's own limit on a document is 64 KB too. */
export const MAX_DATAGRAM_BYTES = 65_507
/** Bounds of what one document may bring in. */
const MAX_SEGMENTS_PER_DOCUMENT = 100
const MAX_DEPTH = 8
const MAX_ANNOTATIONS = 50
const MAX_NAME_CHARS = 200
const MAX_METADATA_CHARS = 4 * 1024

const TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/
const SEGMENT_ID = /^[0-9a-f]{16}$/
const ANNOTATION_KEY = /^[A-Za-z0-9_]{1,500}$/

class Refused extends Error {}

const refuse: (reason: string) => never = (reason) => {
  throw new Refused(reason)
}

/** 9999-12-31: a larger time is no time (and in milliseconds it could overflow to Infinity). */
const MAX_EPOCH_SECONDS = 253_402_300_799

const epochMs = (value: unknown, field: string): number => {
  if (typeof value !== 'number' || !(value > 0 && value <= MAX_EPOCH_SECONDS))
    return refuse(`${field} is not a time in epoch seconds`)
  return value * 1000
}

const annotationsOf = (value: unknown): Record<string, string | number | boolean> => {
  if (!isRecord(value)) return {}
  const kept: Record<string, string | number | boolean> = {}
  for (const [key, annotation] of Object.entries(value).slice(0, MAX_ANNOTATIONS)) {
    const allowed =
      typeof annotation === 'string' ||
      typeof annotation === 'boolean' ||
      (typeof annotation === 'number' && Number.isFinite(annotation))
    // `__proto__` fits the key rule, but set on a plain object it would change the prototype.
    if (allowed && ANNOTATION_KEY.test(key) && key !== '__proto__') kept[key] = annotation
  }
  return kept
}

const smallMetadata = (value: unknown): unknown => {
  if (!isRecord(value)) return null
  const text = JSON.stringify(value)
  return text.length <= MAX_METADATA_CHARS ? value : null
}

interface Walk {
  readonly traceId: string
  readonly segments: TraceSegment[]
}

/** Reads one document and, depth first, the subsegments nested in it (their trace and parent implied). */
const readDocument = (
  document: unknown,
  walk: Walk,
  parentId: string | null,
  depth: number,
  path: string,
): void => {
  if (!isRecord(document)) refuse(`${path} is not an object`)
  if (depth > MAX_DEPTH) refuse(`subsegments nest deeper than ${MAX_DEPTH}`)
  if (walk.segments.length >= MAX_SEGMENTS_PER_DOCUMENT)
    refuse(`more than ${MAX_SEGMENTS_PER_DOCUMENT} segments in one document`)
  const { id, name } = document
  if (typeof id !== 'string' || !SEGMENT_ID.test(id)) refuse(`${path}.id is not 16 hex digits`)
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_CHARS)
    refuse(`${path}.name is not a name of 1 to ${MAX_NAME_CHARS} characters`)
  const startMs = epochMs(document.start_time, `${path}.start_time`)
  const endMs = document.in_progress === true ? null : epochMs(document.end_time, `${path}.end_time`)
  if (endMs !== null && endMs < startMs) refuse(`${path}.end_time is before its start_time`)
  walk.segments.push({
    traceId: walk.traceId,
    id,
    parentId,
    name,
    startMs,
    endMs,
    origin: typeof document.origin === 'string' ? document.origin.slice(0, MAX_NAME_CHARS) : null,
    annotations: annotationsOf(document.annotations),
    metadata: smallMetadata(document.metadata),
    error: document.error === true,
    fault: document.fault === true,
    throttle: document.throttle === true,
  })
  const children = document.subsegments
  if (children === undefined) return
  if (!Array.isArray(children)) refuse(`${path}.subsegments is not an array`)
  children.forEach((child, index) => {
    readDocument(child, walk, id, depth + 1, `${path}.subsegments[${index}]`)
  })
}

const parseJson = (text: string, what: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return refuse(`the ${what} is not JSON`)
  }
}

const readTop = (body: unknown): TraceSegment[] => {
  if (!isRecord(body)) return refuse('the document is not an object')
  const traceId = body.trace_id
  if (typeof traceId !== 'string' || !TRACE_ID.test(traceId))
    return refuse('trace_id is not 1-<8 hex>-<24 hex>')
  const parentId = body.parent_id
  if (parentId !== undefined && (typeof parentId !== 'string' || !SEGMENT_ID.test(parentId)))
    return refuse('parent_id is not 16 hex digits')
  if (body.type === 'subsegment' && parentId === undefined) return refuse('a subsegment has no parent_id')
  const walk: Walk = { traceId, segments: [] }
  readDocument(body, walk, parentId ?? null, 0, 'document')
  return walk.segments
}

/**
 * Reads one datagram sent to the daemon address. Never throws: garbage is refused with a reason.
 *
 * @example
 * ```ts
 * readDatagram(Buffer.from('{"format":"json","version":1}\n{"trace_id":"1-…","id":"…","name":"## index.handler",…}'))
 * // { ok: true, segments: [{ traceId: '1-…', id: '…', name: '## index.handler', … }] }
 * readDatagram(Buffer.from('hello')) // { ok: false, reason: 'no header line' }
 * ```
 */
export const readDatagram = (datagram: Buffer): DatagramReading => {
  try {
    if (datagram.length > MAX_DATAGRAM_BYTES) return refuse(`larger than ${MAX_DATAGRAM_BYTES} bytes`)
    const text = datagram.toString('utf8')
    const newline = text.indexOf('\n')
    if (newline < 0) return refuse('no header line')
    const header = parseJson(text.slice(0, newline), 'header')
    if (!isRecord(header) || header.format !== 'json' || header.version !== 1)
      return refuse('the header is not {"format":"json","version":1}')
    return { ok: true, segments: readTop(parseJson(text.slice(newline + 1), 'document')) }
  } catch (error) {
    // Only our own refusals are expected here; anything else is a reading bug, said as such, not thrown.
    return { ok: false, reason: error instanceof Refused ? error.message : `unreadable: ${String(error)}` }
  }
}

/**
 * A datagram as the X-Ray SDK writes one, for tests and for tools that speak to the receiver.
 *
 * @example
 * ```ts
 * socket.send(daemonDatagram({ trace_id, id, name: 'work', start_time: 1, end_time: 2 }), port, '127.0.0.1')
 * ```
 */
export const daemonDatagram = (document: unknown): Buffer =>
  Buffer.from(`{"format":"json","version":1}\n${JSON.stringify(document)}`)

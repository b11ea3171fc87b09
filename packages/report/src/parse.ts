import { canonicalEventName, isRecord, lifecycleEventOf } from '@lambda-lifetime/commons'
import { hasSaneValues, isSaneTime, MAX_LINE_CHARS } from './limits.js'
import { LIFECYCLE_SCHEMA_VERSION, type LifecycleFields, type ParsedLine } from './types.js'

// Lambda's own lines in a log stream (text format), and the `platform.*` records of the JSON log format.
const PLATFORM_LINE =
  /^(START|END|REPORT|INIT_START|INIT_REPORT|INIT_RUNTIME_DONE|RESTORE_START|RESTORE_REPORT|EXTENSION|TELEMETRY|XRAY) /

const BLANK: ParsedLine = { kind: 'blank' }
const PLATFORM: ParsedLine = { kind: 'platform' }
const TEXT: ParsedLine = { kind: 'text' }
const JSON_LINE: ParsedLine = { kind: 'json' }
const INVALID: ParsedLine = { kind: 'invalid' }
const TOO_LONG: ParsedLine = { kind: 'tooLong' }

type JsonObject = Record<string, unknown>

// Only called on text that starts with '{': what parses is an object.
const parseObject = (text: string): JsonObject | undefined => {
  try {
    return JSON.parse(text) as JsonObject
  } catch {
    return undefined
  }
}

/**
 * The runtime client wraps what the handler prints: in its text format the JSON follows
 * `timestamp \t requestId \t LEVEL \t`; in its JSON format (`AWS_LAMBDA_LOG_FORMAT=JSON`) a console call's
 * argument lands in `message`, as an object or as the JSON text.
 */
const unwrapRuntimeEnvelope = (outer: JsonObject): JsonObject => {
  if ('lifecycle_schema' in outer) return outer
  const { message } = outer
  if (isRecord(message)) return message
  if (typeof message === 'string' && message.startsWith('{')) return parseObject(message) ?? outer
  return outer
}

const timestampOf = (fields: JsonObject, prefix: string): number => {
  if (typeof fields.timestamp === 'string') {
    const at = Date.parse(fields.timestamp)
    if (!Number.isNaN(at)) return at
  }
  // A CloudWatch export or the runtime's text format puts an ISO timestamp first.
  return Date.parse(prefix.trimStart().split(/[\t ]/, 1)[0] as string)
}

const classifyOtherJson = (value: JsonObject): ParsedLine =>
  typeof value.type === 'string' && value.type.startsWith('platform.') ? PLATFORM : JSON_LINE

/**
 * Classifies one log line: a lifecycle line of schema v1 or v2 (with its timestamp in epoch ms, its version
 * and its keys, the event name always in `event`), or
 * the kind of line it is not. A line longer than 256 KiB is `tooLong` and not parsed; a lifecycle line with
 * a timestamp outside 2000-2099 or a number out of its range (see the README's "Limits") is `invalid`. Accepts a bare JSON line, a JSON object after a tab or space separated prefix
 * (the runtime client's text format, CloudWatch exports), and the runtime client's JSON format.
 *
 * @example
 * ```ts
 * import { parseLifecycleLine } from '@lambda-lifetime/report'
 *
 * parseLifecycleLine('START RequestId: 42 Version: $LATEST') // { kind: 'platform' }
 * const parsed = parseLifecycleLine(
 *   '2026-11-27T07:48:51.622Z\t42\tINFO\t{"event":"container.start","lifecycle_schema":1,"container_id":"c1"}',
 * )
 * // { kind: 'lifecycle', at: 1795765731622, version: 1, fields: { event: 'container.start', ... } }
 * ```
 */
export const parseLifecycleLine = (line: string): ParsedLine => {
  if (line.length > MAX_LINE_CHARS) return TOO_LONG
  const trimmed = line.trim()
  if (trimmed === '') return BLANK
  if (PLATFORM_LINE.test(trimmed)) return PLATFORM
  const brace = trimmed.indexOf('{')
  if (brace < 0 || !trimmed.endsWith('}')) return trimmed.includes('"lifecycle_schema"') ? INVALID : TEXT
  const outer = parseObject(trimmed.slice(brace))
  if (!outer) return trimmed.includes('"lifecycle_schema"') ? INVALID : TEXT
  const fields = unwrapRuntimeEnvelope(outer)
  if (!('lifecycle_schema' in fields)) return classifyOtherJson(fields)
  return readFields(fields, trimmed.slice(0, brace))
}

const readFields = (fields: JsonObject, prefix: string): ParsedLine => {
  const version = fields.lifecycle_schema
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return INVALID
  if (version > LIFECYCLE_SCHEMA_VERSION) return { kind: 'newerSchema', version }
  if (typeof fields.container_id !== 'string' || fields.container_id === '') return INVALID
  const at = timestampOf(fields, prefix)
  if (!isSaneTime(at) || !hasSaneValues(fields)) return INVALID
  withTodaysEventName(fields)
  return { kind: 'lifecycle', at, version, fields: fields as unknown as LifecycleFields }
}

/**
 * Puts the line's event name in `event`, whatever its schema: schema 2 writes it as Powertools' `message`
 * only, schema 1 in `event` (where older writers left legacy names, `breaker.halfOpen`, read under
 * today's). The object is the one just parsed from this line: nobody else holds it.
 */
const withTodaysEventName = (fields: JsonObject): void => {
  const event = lifecycleEventOf(fields)
  if (event === undefined) delete fields.event
  else fields.event = canonicalEventName(event)
}

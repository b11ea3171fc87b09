/**
 * The lifecycle line schema: the one contract between the packages that write lifecycle log lines
 * (@lambda-lifetime/logger, from the container's events and its siblings') and the ones that read them
 * (@lambda-lifetime/report). Both sides import their keys, types, version and event names from here, so a
 * key renamed on one side is a compile error on the other and a failing contract test
 * (test/contract/lifecycle.test.ts).
 *
 * Schema version 1, on the wire: one JSON object per line, with Powertools' own keys (level, message,
 * timestamp, service, ...) next to the keys below, all snake_case. Readers ignore keys they do not know.
 */

/**
 * Version of the lifecycle line schema, in the `lifecycle_schema` key of every line. Writers write it;
 * readers skip lines without it and count lines with a greater version as written by a newer writer.
 * A key renamed or removed, or a type changed, needs a new version; a key added does not.
 *
 * @example
 * ```ts
 * if (line.lifecycle_schema > LIFECYCLE_SCHEMA_VERSION) skipped.newerSchema++
 * ```
 */
export const LIFECYCLE_SCHEMA_VERSION = 1

/**
 * The event name of each lifecycle line, in one style: lowercase `family.kebab-case`. The sibling
 * packages' events (breaker, pool) go on the wire under their own event type.
 */
export const LIFECYCLE_EVENTS = {
  containerStart: 'container.start',
  containerThaw: 'container.thaw',
  containerShutdown: 'container.shutdown',
  invocationEnd: 'invocation.end',
  invocationTimeoutWarning: 'invocation.timeout-warning',
  breakerOpen: 'breaker.open',
  breakerHalfOpen: 'breaker.half-open',
  breakerClose: 'breaker.close',
  poolCreate: 'pool.create',
  poolRecreate: 'pool.recreate',
  poolDispose: 'pool.dispose',
} as const

/** A lifecycle event name this schema names (sibling packages may add more `breaker.*` / `pool.*`). */
export type LifecycleEventName = (typeof LIFECYCLE_EVENTS)[keyof typeof LIFECYCLE_EVENTS]

/**
 * Names that older writers (lambda-lifetime 0.1, still schema 1) put on the wire, with today's name.
 * Readers accept both; writers write only today's.
 */
export const LEGACY_EVENT_NAMES: Readonly<Record<string, LifecycleEventName>> = Object.freeze({
  'breaker.halfOpen': LIFECYCLE_EVENTS.breakerHalfOpen,
})

/**
 * Today's name for an event name read from a line: a legacy name becomes its replacement, any other name
 * is returned as it is.
 *
 * @example
 * ```ts
 * canonicalEventName('breaker.halfOpen') // 'breaker.half-open'
 * canonicalEventName('invocation.end')   // 'invocation.end'
 * ```
 */
export const canonicalEventName = (name: string): string =>
  Object.hasOwn(LEGACY_EVENT_NAMES, name) ? (LEGACY_EVENT_NAMES[name] as string) : name

/** The families whose events the logger passes through as lines (`breaker.*`, `pool.*`). */
export const SIBLING_EVENT_FAMILIES = ['breaker', 'pool'] as const

/**
 * The line kinds a writer can give a level to: each line's event name, two sub-kinds of `invocation.end`
 * (`.error`: a failed invocation; `.client-error`: a failed invocation answered with a 4xx), one sibling
 * event (`breaker.open`) or a whole family (`breaker.*`).
 */
export const LIFECYCLE_LINE_KINDS = [
  LIFECYCLE_EVENTS.containerStart,
  LIFECYCLE_EVENTS.containerThaw,
  LIFECYCLE_EVENTS.invocationEnd,
  `${LIFECYCLE_EVENTS.invocationEnd}.error`,
  `${LIFECYCLE_EVENTS.invocationEnd}.client-error`,
  LIFECYCLE_EVENTS.invocationTimeoutWarning,
  LIFECYCLE_EVENTS.containerShutdown,
] as const

/** A line kind `levels` can name (see {@link LIFECYCLE_LINE_KINDS}). */
export type LifecycleLineKind =
  | (typeof LIFECYCLE_LINE_KINDS)[number]
  | `${(typeof SIBLING_EVENT_FAMILIES)[number]}.${string}`

/** `start_type`: how the first invocation of a runtime met its init; `warm` for every later one. */
export type LifecycleStartType = 'cold' | 'warm' | 'pre-initialized'

/** `outcome` of an `invocation.end` line. */
export type LifecycleOutcome = 'success' | 'error' | 'early-return'

/** Keys on every lifecycle line (besides Powertools' own: level, message, timestamp, service, ...). */
export interface LifecycleLineBase {
  readonly event: string
  readonly lifecycle_schema: typeof LIFECYCLE_SCHEMA_VERSION
  /** Absent only on the shutdown line of a runtime that never served an invocation. */
  readonly container_id?: string
  /** Absent when the log stream is not a real Lambda one. */
  readonly environment_id?: string
  /** Only under Lambda Managed Instances. */
  readonly worker_id?: number
  readonly container_age_ms: number
}

/** Keys on lines about one invocation, and on every line written through the logger during one. */
export interface InvocationKeys {
  readonly invocation: number
  readonly cold_start: boolean
  readonly start_type: LifecycleStartType
  readonly idle_ms: number
  /** Absent when the Lambda context has no request id. */
  readonly function_request_id?: string
}

export interface ContainerStartLine extends LifecycleLineBase, InvocationKeys {
  readonly event: 'container.start'
  readonly init_type: string
  readonly since_runtime_start_ms: number
  /** ISO 8601. */
  readonly runtime_started_at: string
  readonly restart_of?: string
}

export interface InvocationEndLine extends LifecycleLineBase, InvocationKeys {
  readonly event: 'invocation.end'
  readonly duration_ms: number
  readonly outcome: LifecycleOutcome
  readonly status_code?: number
  readonly error_name?: string
  readonly error_message?: string
  /** The stack of the original error (the first one thrown in the invocation), when it had one. */
  readonly error_stack?: string
  /** Only when the writer samples: the line stands for 1 / sample_rate invocations. */
  readonly sample_rate?: number
}

export interface ContainerThawLine extends LifecycleLineBase, InvocationKeys {
  readonly event: 'container.thaw'
}

export interface TimeoutWarningLine extends LifecycleLineBase, InvocationKeys {
  readonly event: 'invocation.timeout-warning'
  readonly remaining_ms: number
}

export interface ContainerShutdownLine extends LifecycleLineBase {
  readonly event: 'container.shutdown'
  readonly invocations: number
  readonly reason: string
}

/** A `breaker.*` or `pool.*` event from a sibling package: its scalar fields, in snake_case. */
export interface SiblingEventLine extends LifecycleLineBase {
  /** The breaker's name, on `breaker.*` lines. */
  readonly breaker?: string
  /** The pool's name, on `pool.*` lines. */
  readonly pool?: string
  readonly [field: string]: unknown
}

export type LifecycleLine =
  | ContainerStartLine
  | InvocationEndLine
  | ContainerThawLine
  | TimeoutWarningLine
  | ContainerShutdownLine
  | SiblingEventLine

/** How a key's value looks on the wire. */
export type LifecycleKeyType = 'string' | 'number' | 'integer' | 'boolean' | 'iso-date'

/** One key of a line: its type, whether every line of that kind carries it, and its allowed values. */
export interface LifecycleKeySpec {
  readonly type: LifecycleKeyType
  readonly required: boolean
  readonly values?: readonly (string | number)[]
}

type KeySpecs<TLine> = { readonly [K in keyof TLine]-?: LifecycleKeySpec }

const required = (type: LifecycleKeyType, values?: readonly (string | number)[]): LifecycleKeySpec =>
  values === undefined ? { type, required: true } : { type, required: true, values }
const optional = (type: LifecycleKeyType): LifecycleKeySpec => ({ type, required: false })

const BASE_KEYS = {
  event: required('string'),
  lifecycle_schema: required('integer', [LIFECYCLE_SCHEMA_VERSION]),
  container_id: required('string'),
  environment_id: optional('string'),
  worker_id: optional('integer'),
  container_age_ms: required('number'),
} as const satisfies KeySpecs<LifecycleLineBase>

const INVOCATION_KEYS = {
  invocation: required('integer'),
  cold_start: required('boolean'),
  start_type: required('string', ['cold', 'warm', 'pre-initialized'] satisfies LifecycleStartType[]),
  idle_ms: required('number'),
  function_request_id: optional('string'),
} as const satisfies KeySpecs<InvocationKeys>

/**
 * The keys of each line kind as a writer puts them on the wire: what {@link checkLifecycleLine} checks.
 * `container_id` is required on every line but the shutdown line and sibling lines (a runtime that has
 * not served an invocation yet has none). Typed against the line interfaces above, so the two cannot drift apart.
 */
export const LIFECYCLE_LINE_KEYS = {
  'container.start': {
    ...BASE_KEYS,
    ...INVOCATION_KEYS,
    event: required('string', [LIFECYCLE_EVENTS.containerStart]),
    init_type: required('string'),
    since_runtime_start_ms: required('number'),
    runtime_started_at: required('iso-date'),
    restart_of: optional('string'),
  } satisfies KeySpecs<ContainerStartLine>,
  'container.thaw': {
    ...BASE_KEYS,
    ...INVOCATION_KEYS,
    event: required('string', [LIFECYCLE_EVENTS.containerThaw]),
  } satisfies KeySpecs<ContainerThawLine>,
  'invocation.end': {
    ...BASE_KEYS,
    ...INVOCATION_KEYS,
    event: required('string', [LIFECYCLE_EVENTS.invocationEnd]),
    duration_ms: required('number'),
    outcome: required('string', ['success', 'error', 'early-return'] satisfies LifecycleOutcome[]),
    status_code: optional('integer'),
    error_name: optional('string'),
    error_message: optional('string'),
    error_stack: optional('string'),
    sample_rate: optional('number'),
  } satisfies KeySpecs<InvocationEndLine>,
  'invocation.timeout-warning': {
    ...BASE_KEYS,
    ...INVOCATION_KEYS,
    event: required('string', [LIFECYCLE_EVENTS.invocationTimeoutWarning]),
    remaining_ms: required('number'),
  } satisfies KeySpecs<TimeoutWarningLine>,
  'container.shutdown': {
    ...BASE_KEYS,
    event: required('string', [LIFECYCLE_EVENTS.containerShutdown]),
    container_id: optional('string'),
    invocations: required('integer'),
    reason: required('string'),
  } satisfies KeySpecs<ContainerShutdownLine>,
  sibling: {
    ...BASE_KEYS,
    // A sibling event can come before the first invocation (a pool created at Init): no container yet.
    container_id: optional('string'),
  } satisfies KeySpecs<LifecycleLineBase>,
} as const

/** Every key a lifecycle line of this schema may carry by name (sibling lines add their own fields). */
export type LifecycleKey = {
  [K in keyof typeof LIFECYCLE_LINE_KEYS]: keyof (typeof LIFECYCLE_LINE_KEYS)[K]
}[keyof typeof LIFECYCLE_LINE_KEYS]

const isSiblingEvent = (event: string): boolean =>
  SIBLING_EVENT_FAMILIES.some((family) => event.startsWith(`${family}.`))

const hasType = (value: unknown, type: LifecycleKeyType): boolean => {
  switch (type) {
    case 'string':
      return typeof value === 'string'
    case 'boolean':
      return typeof value === 'boolean'
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    case 'integer':
      return Number.isInteger(value)
    case 'iso-date':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value))
  }
}

/**
 * Checks one parsed line against the schema and lists what is wrong with it (empty when nothing is):
 * a required key missing, a key of the wrong type or value, an unknown event name. Keys the schema does
 * not name (Powertools' own, a sibling event's fields) are not checked. For writers' tests and for
 * readers that want to say why they skipped a line.
 *
 * @example
 * ```ts
 * checkLifecycleLine({ event: 'invocation.end', lifecycle_schema: 1 })
 * // ['"container_id" is missing', '"container_age_ms" is missing', ...]
 * ```
 */
export const checkLifecycleLine = (line: Readonly<Record<string, unknown>>): string[] => {
  const event = line.event
  if (typeof event !== 'string') return ['"event" must be a string']
  const kind = isSiblingEvent(event) ? 'sibling' : event
  if (!Object.hasOwn(LIFECYCLE_LINE_KEYS, kind))
    return [`"event" ${JSON.stringify(event)} is not a known line`]
  const keys: Readonly<Record<string, LifecycleKeySpec>> =
    LIFECYCLE_LINE_KEYS[kind as keyof typeof LIFECYCLE_LINE_KEYS]
  const problems: string[] = []
  for (const [key, spec] of Object.entries(keys)) {
    const value = line[key]
    if (value === undefined || value === null) {
      if (spec.required) problems.push(`"${key}" is missing`)
    } else if (!hasType(value, spec.type)) {
      problems.push(`"${key}" must be of type ${spec.type}, got ${JSON.stringify(value)}`)
    } else if (spec.values !== undefined && !spec.values.includes(value as string | number)) {
      problems.push(`"${key}" must be one of ${spec.values.join(', ')}, got ${JSON.stringify(value)}`)
    }
  }
  return problems
}

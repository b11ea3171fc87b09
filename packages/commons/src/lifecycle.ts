/**
 * The lifecycle line schema: the one contract between the packages that write lifecycle log lines
 * (@lambda-lifetime/logger, from the container's events and its siblings') and the ones that read them
 * (@lambda-lifetime/report). Both sides import their keys, types, version and event names from here, so a
 * key renamed on one side is a compile error on the other and a failing contract test
 * (test/contract/lifecycle.test.ts).
 *
 * On the wire: one JSON object per line, with Powertools' own keys (level, message, timestamp, service,
 * ...) next to the keys below, all snake_case. Readers ignore keys they do not know.
 *
 * Version 2 (written today) puts what stays the same for the life of a runtime (function ARN, memory size,
 * init type, environment id, worker id, runtime start time) on `container.start` only, and carries the
 * event name in Powertools' `message` (version 1 repeated it in an `event` key): an `invocation.end` line
 * carries what changes from one invocation to the next. Version 1 lines are still read
 * ({@link LIFECYCLE_SCHEMA_VERSIONS}); `packages/logger/MIGRATION.md` maps one to the other.
 */

/**
 * Version of the lifecycle line schema writers write, in the `lifecycle_schema` key of every line.
 * Readers skip lines without it and count lines with a greater version as written by a newer writer.
 * A key renamed or removed, or a type changed, needs a new version; a key added does not.
 *
 * @example
 * ```ts
 * if (line.lifecycle_schema > LIFECYCLE_SCHEMA_VERSION) skipped.newerSchema++
 * ```
 */
export const LIFECYCLE_SCHEMA_VERSION = 2

/**
 * Every schema version a reader of today understands, oldest first.
 *
 * @example
 * ```ts
 * LIFECYCLE_SCHEMA_VERSIONS.includes(line.lifecycle_schema) // 1 or 2
 * ```
 */
export const LIFECYCLE_SCHEMA_VERSIONS = [1, 2] as const

/** A schema version a reader of today understands. */
export type LifecycleSchemaVersion = (typeof LIFECYCLE_SCHEMA_VERSIONS)[number]

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

/**
 * Keys on every lifecycle line of schema 2 (besides Powertools' own: level, timestamp, service, ...).
 * The event name is Powertools' `message`.
 */
export interface LifecycleLineBase {
  readonly message: string
  readonly lifecycle_schema: typeof LIFECYCLE_SCHEMA_VERSION
  /**
   * Absent only on the shutdown line (and sibling lines) of a runtime that never served an invocation.
   * On lines written during an invocation it comes from the logger's persistent keys.
   */
  readonly container_id?: string
}

/** Keys on lines about one invocation, and on every line written through the logger during one. */
export interface InvocationKeys {
  readonly invocation: number
  /** Absent when the Lambda context has no request id. */
  readonly function_request_id?: string
}

/**
 * The first line of a runtime, written with its first invocation: the only one with the facts that stay
 * the same for its whole life (with Powertools' function_arn, function_memory_size, function_name).
 */
export interface ContainerStartLine extends LifecycleLineBase, InvocationKeys {
  readonly message: 'container.start'
  /** Absent when the log stream is not a real Lambda one. */
  readonly environment_id?: string
  /** Only under Lambda Managed Instances. */
  readonly worker_id?: number
  readonly container_age_ms: number
  readonly cold_start: boolean
  readonly start_type: LifecycleStartType
  readonly init_type: string
  readonly since_runtime_start_ms: number
  /** ISO 8601. */
  readonly runtime_started_at: string
  readonly restart_of?: string
  /**
   * Only when the writer samples `invocation.end` lines: the share it writes, so that a reader knows
   * from the start that invocations without a line were sampled out.
   */
  readonly sample_rate?: number
  /** With `sample_rate`, under per-container sampling: the first invocations that are all written. */
  readonly sample_first?: number
}

/** One line per invocation (or per sampled invocation): only what changes from one to the next. */
export interface InvocationEndLine extends LifecycleLineBase, InvocationKeys {
  readonly message: 'invocation.end'
  readonly duration_ms: number
  /** Absent when the invocation succeeded (most lines): `error` or `early-return` otherwise. */
  readonly outcome?: Exclude<LifecycleOutcome, 'success'>
  /** Only on the first invocation of a runtime (every later one is warm). */
  readonly start_type?: LifecycleStartType
  /** Since the previous invocation ended; absent on the first invocation of a runtime. */
  readonly idle_ms?: number
  readonly status_code?: number
  readonly error_name?: string
  readonly error_message?: string
  /** The stack of the original error (the first one thrown in the invocation), when it had one. */
  readonly error_stack?: string
  /**
   * Only when the writer samples, on the lines that stand for others: the share of invocations written
   * (0.1: this line stands for ten). Lines written whatever the sampling (errors) carry 1.
   */
  readonly sample_rate?: number
  /** With `sample_rate`, under per-container sampling: the first invocations that were all written. */
  readonly sample_first?: number
}

export interface ContainerThawLine extends LifecycleLineBase, InvocationKeys {
  readonly message: 'container.thaw'
  readonly container_age_ms: number
  readonly idle_ms: number
}

export interface TimeoutWarningLine extends LifecycleLineBase, InvocationKeys {
  readonly message: 'invocation.timeout-warning'
  readonly container_age_ms: number
  readonly remaining_ms: number
}

export interface ContainerShutdownLine extends LifecycleLineBase {
  readonly message: 'container.shutdown'
  readonly container_age_ms: number
  readonly invocations: number
  readonly reason: string
}

/** A `breaker.*` or `pool.*` event from a sibling package: its scalar fields, in snake_case. */
export interface SiblingEventLine extends LifecycleLineBase {
  readonly container_age_ms: number
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
type LineKeys = Readonly<Record<string, LifecycleKeySpec>>

const required = (type: LifecycleKeyType, values?: readonly (string | number)[]): LifecycleKeySpec =>
  values === undefined ? { type, required: true } : { type, required: true, values }
const optional = (type: LifecycleKeyType): LifecycleKeySpec => ({ type, required: false })

const START_TYPES = ['cold', 'warm', 'pre-initialized'] satisfies LifecycleStartType[]
const OUTCOMES = ['success', 'error', 'early-return'] satisfies LifecycleOutcome[]

const BASE_KEYS = {
  message: required('string'),
  lifecycle_schema: required('integer', [LIFECYCLE_SCHEMA_VERSION]),
  container_id: required('string'),
} as const satisfies KeySpecs<LifecycleLineBase>

const INVOCATION_KEYS = {
  invocation: required('integer'),
  function_request_id: optional('string'),
} as const satisfies KeySpecs<InvocationKeys>

/**
 * The keys of each line kind of schema 2 as a writer puts them on the wire: what {@link checkLifecycleLine}
 * checks. `container_id` is required on every line but the shutdown line and sibling lines (a runtime
 * that has not served an invocation yet has none). Typed against the line interfaces above, so the two
 * cannot drift apart.
 */
export const LIFECYCLE_LINE_KEYS = {
  'container.start': {
    ...BASE_KEYS,
    ...INVOCATION_KEYS,
    message: required('string', [LIFECYCLE_EVENTS.containerStart]),
    environment_id: optional('string'),
    worker_id: optional('integer'),
    container_age_ms: required('number'),
    cold_start: required('boolean'),
    start_type: required('string', START_TYPES),
    init_type: required('string'),
    since_runtime_start_ms: required('number'),
    runtime_started_at: required('iso-date'),
    restart_of: optional('string'),
    sample_rate: optional('number'),
    sample_first: optional('integer'),
  } satisfies KeySpecs<ContainerStartLine>,
  'container.thaw': {
    ...BASE_KEYS,
    ...INVOCATION_KEYS,
    message: required('string', [LIFECYCLE_EVENTS.containerThaw]),
    container_age_ms: required('number'),
    idle_ms: required('number'),
  } satisfies KeySpecs<ContainerThawLine>,
  'invocation.end': {
    ...BASE_KEYS,
    ...INVOCATION_KEYS,
    message: required('string', [LIFECYCLE_EVENTS.invocationEnd]),
    duration_ms: required('number'),
    outcome: { ...optional('string'), values: ['error', 'early-return'] },
    start_type: { ...optional('string'), values: START_TYPES },
    idle_ms: optional('number'),
    status_code: optional('integer'),
    error_name: optional('string'),
    error_message: optional('string'),
    error_stack: optional('string'),
    sample_rate: optional('number'),
    sample_first: optional('integer'),
  } satisfies KeySpecs<InvocationEndLine>,
  'invocation.timeout-warning': {
    ...BASE_KEYS,
    ...INVOCATION_KEYS,
    message: required('string', [LIFECYCLE_EVENTS.invocationTimeoutWarning]),
    container_age_ms: required('number'),
    remaining_ms: required('number'),
  } satisfies KeySpecs<TimeoutWarningLine>,
  'container.shutdown': {
    ...BASE_KEYS,
    message: required('string', [LIFECYCLE_EVENTS.containerShutdown]),
    container_id: optional('string'),
    container_age_ms: required('number'),
    invocations: required('integer'),
    reason: required('string'),
  } satisfies KeySpecs<ContainerShutdownLine>,
  sibling: {
    ...BASE_KEYS,
    // A sibling event can come before the first invocation (a pool created at Init): no container yet.
    container_id: optional('string'),
    container_age_ms: required('number'),
  } satisfies KeySpecs<Omit<SiblingEventLine, 'breaker' | 'pool'>>,
} as const

const V1_BASE_KEYS: LineKeys = {
  event: required('string'),
  lifecycle_schema: required('integer', [1]),
  container_id: required('string'),
  environment_id: optional('string'),
  worker_id: optional('integer'),
  container_age_ms: required('number'),
}

const V1_INVOCATION_KEYS: LineKeys = {
  invocation: required('integer'),
  cold_start: required('boolean'),
  start_type: required('string', START_TYPES),
  idle_ms: required('number'),
  function_request_id: optional('string'),
}

/**
 * The keys of each line kind of schema 1 (lambda-lifetime 0.1, frozen): every line repeated the
 * container's constant facts and the invocation's keys, and named its event in `event`. For readers of
 * old logs; no writer writes it any more.
 */
export const LIFECYCLE_LINE_KEYS_V1: Readonly<Record<keyof typeof LIFECYCLE_LINE_KEYS, LineKeys>> = {
  'container.start': {
    ...V1_BASE_KEYS,
    ...V1_INVOCATION_KEYS,
    event: required('string', [LIFECYCLE_EVENTS.containerStart]),
    init_type: required('string'),
    since_runtime_start_ms: required('number'),
    runtime_started_at: required('iso-date'),
    restart_of: optional('string'),
  },
  'container.thaw': {
    ...V1_BASE_KEYS,
    ...V1_INVOCATION_KEYS,
    event: required('string', [LIFECYCLE_EVENTS.containerThaw]),
  },
  'invocation.end': {
    ...V1_BASE_KEYS,
    ...V1_INVOCATION_KEYS,
    event: required('string', [LIFECYCLE_EVENTS.invocationEnd]),
    duration_ms: required('number'),
    outcome: required('string', OUTCOMES),
    status_code: optional('integer'),
    error_name: optional('string'),
    error_message: optional('string'),
    error_stack: optional('string'),
    sample_rate: optional('number'),
  },
  'invocation.timeout-warning': {
    ...V1_BASE_KEYS,
    ...V1_INVOCATION_KEYS,
    event: required('string', [LIFECYCLE_EVENTS.invocationTimeoutWarning]),
    remaining_ms: required('number'),
  },
  'container.shutdown': {
    ...V1_BASE_KEYS,
    event: required('string', [LIFECYCLE_EVENTS.containerShutdown]),
    container_id: optional('string'),
    invocations: required('integer'),
    reason: required('string'),
  },
  sibling: { ...V1_BASE_KEYS, container_id: optional('string') },
}

/**
 * Every key a lifecycle line may carry by name, in schema 2 or 1 (sibling lines add their own fields).
 * `event` is schema 1's name of the event.
 */
export type LifecycleKey =
  | {
      [K in keyof typeof LIFECYCLE_LINE_KEYS]: keyof (typeof LIFECYCLE_LINE_KEYS)[K]
    }[keyof typeof LIFECYCLE_LINE_KEYS]
  | 'event'
  | 'environment_id'
  | 'worker_id'
  | 'cold_start'

/**
 * The event name of a parsed lifecycle line, whatever its version: `message` from schema 2, `event`
 * from schema 1 (legacy names are returned as written; see {@link canonicalEventName}). Undefined when
 * the line has none.
 *
 * @example
 * ```ts
 * lifecycleEventOf({ lifecycle_schema: 2, message: 'invocation.end' }) // 'invocation.end'
 * lifecycleEventOf({ lifecycle_schema: 1, event: 'invocation.end', message: 'x' }) // 'invocation.end'
 * ```
 */
export const lifecycleEventOf = (line: Readonly<Record<string, unknown>>): string | undefined => {
  const name = line.lifecycle_schema === 1 ? line.event : line.message
  return typeof name === 'string' ? name : undefined
}

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
 * Checks one parsed line against the schema of its version (2, or 1 for old logs) and lists what is wrong
 * with it (empty when nothing is): a required key missing, a key of the wrong type or value, an unknown
 * event name. Keys the schema does not name (Powertools' own, a sibling event's fields) are not checked.
 * A line without a known `lifecycle_schema` is checked against today's. For writers' tests and for
 * readers that want to say why they skipped a line.
 *
 * @example
 * ```ts
 * checkLifecycleLine({ message: 'invocation.end', lifecycle_schema: 2 })
 * // ['"container_id" is missing', '"invocation" is missing', ...]
 * ```
 */
export const checkLifecycleLine = (line: Readonly<Record<string, unknown>>): string[] => {
  const v1 = line.lifecycle_schema === 1
  const nameKey = v1 ? 'event' : 'message'
  const event = line[nameKey]
  if (typeof event !== 'string') return [`"${nameKey}" must be a string`]
  const kind = isSiblingEvent(event) ? 'sibling' : event
  if (!Object.hasOwn(LIFECYCLE_LINE_KEYS, kind))
    return [`"${nameKey}" ${JSON.stringify(event)} is not a known line`]
  const keys: LineKeys = (v1 ? LIFECYCLE_LINE_KEYS_V1 : LIFECYCLE_LINE_KEYS)[
    kind as keyof typeof LIFECYCLE_LINE_KEYS
  ]
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

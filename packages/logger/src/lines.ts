/**
 * The lifecycle log lines of schema v2, built from container events. Their keys, types, version and event
 * names are the schema in @lambda-lifetime/commons (lifecycle.ts), the contract @lambda-lifetime/report
 * reads: the line types below come from there, so a key renamed here no longer type-checks, and the
 * contract test (test/contract) fails. Each builder returns a line's attributes; its event name is the
 * message the line is written with (Powertools reserves the `message` key for it).
 */
import {
  type ContainerShutdownLine,
  type ContainerStartLine,
  type ContainerThawLine,
  type InvocationEndLine,
  LIFECYCLE_SCHEMA_VERSION,
  SIBLING_EVENT_FAMILIES,
  type SiblingEventLine,
  type TimeoutWarningLine,
} from '@lambda-lifetime/commons'
import type {
  ContainerShutdownEvent,
  ContainerSnapshot,
  ContainerStartEvent,
  InvocationEndEvent,
  InvocationView,
} from '@lambda-lifetime/container'
import { describeError, thrownErrorOf } from './outcome.js'

/** The schema version this package writes (defined, with the rest of the schema, in commons). */
export { LIFECYCLE_SCHEMA_VERSION }

const MANAGED_INSTANCES = 'lambda-managed-instances'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** What a line builder hands to the Logger: everything but the event name, which is the message. */
export type Attributes<TLine> = Omit<TLine, 'message'>

/** A line ready to write: its event name (the message) and its attributes. */
export interface LineToWrite {
  readonly event: string
  readonly attributes: object
}

/** Milliseconds with two decimals, as Lambda's REPORT lines print them. */
export const roundMs = (ms: number): number => Math.round(ms * 100) / 100

type Location = Pick<InvocationView, 'workerId' | 'initType'>

/** A worker id means something only under Managed Instances, where a runtime has several worker threads. */
const workerIdOf = (where: Location): number | undefined =>
  where.initType === MANAGED_INSTANCES ? where.workerId : undefined

/**
 * The rare lines (thaw, timeout warning, shutdown, sibling events) drop the context's constant facts too,
 * but keep the function name: a report over a time window that does not hold a long-lived container's
 * `container.start` still learns its function from them.
 */
export const NOT_REPEATED_ON_RARE_LINES = { function_arn: null, function_memory_size: null } as const

/** The sampling rule, told once on `container.start` so a reader knows it even if no sampled line comes. */
export const containerStartLine = (
  event: ContainerStartEvent,
  sampling: SampleMarks | undefined,
): Attributes<ContainerStartLine> => {
  const view = event.view
  return {
    lifecycle_schema: LIFECYCLE_SCHEMA_VERSION,
    container_id: view.containerId,
    environment_id: view.environmentId ?? undefined,
    worker_id: workerIdOf(view),
    container_age_ms: roundMs(view.ageMs),
    invocation: view.invocation,
    cold_start: view.coldStart,
    start_type: view.startType,
    init_type: view.initType,
    since_runtime_start_ms: roundMs(event.sinceRuntimeStartMs),
    runtime_started_at: new Date(event.container.startedAt).toISOString(),
    restart_of: view.restartOf ?? undefined,
    ...sampling,
  }
}

export const containerThawLine = (view: InvocationView): Attributes<ContainerThawLine> => ({
  ...NOT_REPEATED_ON_RARE_LINES,
  lifecycle_schema: LIFECYCLE_SCHEMA_VERSION,
  container_id: view.containerId,
  container_age_ms: roundMs(view.ageMs),
  invocation: view.invocation,
  idle_ms: roundMs(view.idleMs),
})

/** Powertools' keys for the Lambda context's constant facts, set to `null` to keep them off a line. */
interface ConstantFactsDropped {
  readonly function_arn: null
  readonly function_memory_size: null
  readonly function_name: null
}

/** Marks of a sampled `invocation.end` line: the share it stands for, and the rule that kept it. */
export interface SampleMarks {
  readonly sample_rate: number
  readonly sample_first?: number
}

/**
 * The per-request line, on the hot path: it carries only what changes from one invocation to the next.
 * `container_id` comes from the logger's persistent keys and `function_request_id` from the Powertools
 * context, both set for this invocation; every key Powertools has to process costs time on each request.
 */
export const invocationEndLine = (
  event: InvocationEndEvent,
  statusCode: number | undefined,
  marks: SampleMarks | undefined,
): Attributes<InvocationEndLine> => {
  const { view, request } = event
  const line: Mutable<Attributes<InvocationEndLine>> & ConstantFactsDropped = {
    // Powertools puts the Lambda context's constant facts (function ARN, memory size, name) on every
    // line; the container told them once, on container.start. `null` wins over the context's value when
    // Powertools merges attributes, and is then dropped. (Its cold_start gives way to the persistent
    // key, which is empty once the invocation has ended; start_type says how the runtime started.)
    function_arn: null,
    function_memory_size: null,
    function_name: null,
    lifecycle_schema: LIFECYCLE_SCHEMA_VERSION,
    invocation: view.invocation,
    duration_ms: roundMs(event.durationMs),
    // Written here, not added later, so that every line has the same shape.
    idle_ms: view.invocation === 1 ? undefined : roundMs(view.idleMs),
  }
  // Most invocations succeed: their line says so by saying nothing.
  if (event.outcome !== 'success') line.outcome = event.outcome
  if (view.invocation === 1) line.start_type = view.startType
  if (statusCode !== undefined) line.status_code = statusCode
  if (event.outcome === 'error') {
    // The error first thrown, not what an error handler (@middy/http-error-handler) replaced it with.
    const error = describeError(thrownErrorOf(request))
    line.error_name = error.name
    line.error_message = error.message
    if (error.stack !== undefined) line.error_stack = error.stack
  }
  if (marks !== undefined) {
    line.sample_rate = marks.sample_rate
    if (marks.sample_first !== undefined) line.sample_first = marks.sample_first
  }
  return line
}

export const timeoutWarningLine = (
  view: InvocationView,
  remainingMs: number,
): Attributes<TimeoutWarningLine> => ({
  ...NOT_REPEATED_ON_RARE_LINES,
  lifecycle_schema: LIFECYCLE_SCHEMA_VERSION,
  container_id: view.containerId,
  container_age_ms: roundMs(view.ageMs + (Date.now() - view.startedAt)),
  invocation: view.invocation,
  remaining_ms: remainingMs,
})

/**
 * Powertools keeps the last Lambda context (and `_X_AMZN_TRACE_ID` stays set) between sequential
 * invocations; a line about the container, not an invocation, must not inherit that invocation's request
 * id, cold start or trace. `null` wins over the kept value when Powertools merges
 * attributes, and is then dropped from the printed line.
 */
export const NOT_AN_INVOCATION = {
  function_request_id: null,
  cold_start: null,
  xray_trace_id: null,
} as const

export const containerShutdownLine = (event: ContainerShutdownEvent): Attributes<ContainerShutdownLine> => {
  const container = event.container
  return {
    ...NOT_REPEATED_ON_RARE_LINES,
    lifecycle_schema: LIFECYCLE_SCHEMA_VERSION,
    container_id: container.containerId ?? undefined,
    container_age_ms: roundMs(container.ageMs),
    invocations: container.invocations,
    reason: event.reason,
  }
}

/** `halfOpen` → `half_open`. */
export const snakeCase = (name: string): string =>
  name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)

const isScalar = (value: unknown): value is string | number | boolean =>
  typeof value === 'string' ||
  typeof value === 'boolean' ||
  (typeof value === 'number' && Number.isFinite(value))

export const isSiblingEvent = (type: string): boolean =>
  SIBLING_EVENT_FAMILIES.some((family) => type.startsWith(`${family}.`))

/** Keys Powertools refuses in attributes (it warns and drops them). */
const POWERTOOLS_RESERVED = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp'])

/** A `breaker.*` or `pool.*` event from a sibling package: its scalar fields, renamed to snake_case. */
export const siblingEventLine = (
  event: { readonly type: string } & Record<string, unknown>,
  container: ContainerSnapshot,
): Attributes<SiblingEventLine> => {
  const line: Record<string, unknown> = {
    ...NOT_REPEATED_ON_RARE_LINES,
    lifecycle_schema: LIFECYCLE_SCHEMA_VERSION,
    container_id: container.containerId ?? undefined,
    container_age_ms: roundMs(container.ageMs),
  }
  for (const [name, value] of Object.entries(event)) {
    if (name === 'type' || name === 'at' || !isScalar(value)) continue
    const key = snakeCase(name)
    // The schema keys above belong to this package, and Powertools reserves its own (message, level, ...):
    // an event field never overwrites them.
    if (!(key in line) && !POWERTOOLS_RESERVED.has(key)) line[key] = value
  }
  return line as Attributes<SiblingEventLine>
}

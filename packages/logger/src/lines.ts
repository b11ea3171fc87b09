/**
 * The lifecycle log lines of schema v1, built from container events. Their keys, types, version and event
 * names are the schema in @lambda-lifetime/commons (lifecycle.ts), the contract @lambda-lifetime/report
 * reads: the line types below come from there, so a key renamed here no longer type-checks, and the
 * contract test (test/contract) fails.
 */
import {
  type ContainerShutdownLine,
  type ContainerStartLine,
  type ContainerThawLine,
  type InvocationEndLine,
  LIFECYCLE_EVENTS,
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
import { describeError, statusCodeOf, thrownErrorOf } from './outcome.js'

/** The schema version this package writes (defined, with the rest of the schema, in commons). */
export { LIFECYCLE_SCHEMA_VERSION }

const MANAGED_INSTANCES = 'lambda-managed-instances'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** Milliseconds with two decimals, as Lambda's REPORT lines print them. */
export const roundMs = (ms: number): number => Math.round(ms * 100) / 100

type Location = Pick<InvocationView, 'environmentId' | 'workerId' | 'initType'>

const environmentIdOf = (where: Location): string | undefined => where.environmentId ?? undefined
/** A worker id means something only under Managed Instances, where a runtime has several worker threads. */
const workerIdOf = (where: Location): number | undefined =>
  where.initType === MANAGED_INSTANCES ? where.workerId : undefined

/**
 * Keys that stay the same for the life of a runtime, appended once as persistent keys. `null` (dropped
 * from printed lines) rather than `undefined`, so that it replaces a value left by an earlier runtime.
 */
export const containerKeysOf = (view: InvocationView): Record<string, unknown> => ({
  container_id: view.containerId,
  environment_id: view.environmentId,
  worker_id: workerIdOf(view) ?? null,
})

/** The keys every line about one invocation carries, with the container's age at `ageMs`. */
const invocationLineKeys = <TEvent extends string>(event: TEvent, view: InvocationView, ageMs: number) => ({
  event,
  lifecycle_schema: LIFECYCLE_SCHEMA_VERSION as typeof LIFECYCLE_SCHEMA_VERSION,
  container_id: view.containerId,
  environment_id: environmentIdOf(view),
  worker_id: workerIdOf(view),
  container_age_ms: roundMs(ageMs),
  invocation: view.invocation,
  cold_start: view.coldStart,
  start_type: view.startType,
  idle_ms: roundMs(view.idleMs),
  function_request_id: view.requestId ?? undefined,
})

export const containerStartLine = (event: ContainerStartEvent): ContainerStartLine => {
  const view = event.view
  return {
    ...invocationLineKeys(LIFECYCLE_EVENTS.containerStart, view, view.ageMs),
    init_type: view.initType,
    since_runtime_start_ms: roundMs(event.sinceRuntimeStartMs),
    runtime_started_at: new Date(event.container.startedAt).toISOString(),
    restart_of: view.restartOf ?? undefined,
  }
}

export const containerThawLine = (view: InvocationView): ContainerThawLine =>
  invocationLineKeys(LIFECYCLE_EVENTS.containerThaw, view, view.ageMs)

/**
 * The per-request line, on the hot path: it carries only what this line adds. The container keys come
 * from the logger's persistent keys and `function_request_id` from the Powertools context, both set for
 * this invocation; every key Powertools has to process costs time on each request.
 */
export const invocationEndLine = (
  event: InvocationEndEvent,
  sampleRate: number | undefined,
): InvocationEndLine => {
  const { view, request } = event
  const line: Mutable<InvocationEndLine> = {
    event: LIFECYCLE_EVENTS.invocationEnd,
    lifecycle_schema: LIFECYCLE_SCHEMA_VERSION,
    container_age_ms: roundMs(view.ageMs + event.durationMs),
    invocation: view.invocation,
    cold_start: view.coldStart,
    start_type: view.startType,
    idle_ms: roundMs(view.idleMs),
    duration_ms: roundMs(event.durationMs),
    outcome: event.outcome,
  }
  const statusCode = statusCodeOf(request.response)
  if (statusCode !== undefined) line.status_code = statusCode
  if (event.outcome === 'error') {
    // The error first thrown, not what an error handler (@middy/http-error-handler) replaced it with.
    const error = describeError(thrownErrorOf(request))
    line.error_name = error.name
    line.error_message = error.message
    if (error.stack !== undefined) line.error_stack = error.stack
  }
  if (sampleRate !== undefined) line.sample_rate = sampleRate
  return line
}

export const timeoutWarningLine = (view: InvocationView, remainingMs: number): TimeoutWarningLine => ({
  ...invocationLineKeys(
    LIFECYCLE_EVENTS.invocationTimeoutWarning,
    view,
    view.ageMs + (Date.now() - view.startedAt),
  ),
  remaining_ms: remainingMs,
})

/**
 * Powertools keeps the last Lambda context (and `_X_AMZN_TRACE_ID` stays set) between sequential
 * invocations; a line about the container, not an invocation, must not inherit that invocation's request
 * id, cold start or trace. `null` wins over the kept value when Powertools merges attributes, and is then
 * dropped from the printed line.
 */
export const NOT_AN_INVOCATION = { function_request_id: null, cold_start: null, xray_trace_id: null } as const

export const containerShutdownLine = (event: ContainerShutdownEvent): ContainerShutdownLine => {
  const container = event.container
  return {
    event: LIFECYCLE_EVENTS.containerShutdown,
    lifecycle_schema: LIFECYCLE_SCHEMA_VERSION,
    container_id: container.containerId ?? undefined,
    environment_id: environmentIdOf(container),
    worker_id: workerIdOf(container),
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

/** A `breaker.*` or `pool.*` event from a sibling package: its scalar fields, renamed to snake_case. */
export const siblingEventLine = (
  event: { readonly type: string } & Record<string, unknown>,
  container: ContainerSnapshot,
): SiblingEventLine => {
  const line: Record<string, unknown> = {
    event: event.type,
    lifecycle_schema: LIFECYCLE_SCHEMA_VERSION,
    container_id: container.containerId ?? undefined,
    environment_id: environmentIdOf(container),
    worker_id: workerIdOf(container),
    container_age_ms: roundMs(container.ageMs),
  }
  for (const [name, value] of Object.entries(event)) {
    if (name === 'type' || name === 'at' || !isScalar(value)) continue
    const key = snakeCase(name)
    // The schema keys above belong to this package; an event field never overwrites them.
    if (!(key in line)) line[key] = value
  }
  return line as SiblingEventLine
}

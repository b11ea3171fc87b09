import { LIFECYCLE_EVENTS, rules, validateOptions } from '@lambda-lifetime/commons'
import { DurationSketch, LogHistogram, TimeBins } from './bins.js'
import { parseLifecycleLine } from './parse.js'
import {
  BIN_FLAGS,
  type BuildReportOptions,
  type ContainerReport,
  type CountClass,
  type Distribution,
  type FunctionReport,
  type InvocationLines,
  type LatencyDistribution,
  LIFECYCLE_SCHEMA_VERSION,
  type LifecycleFields,
  type ReportModel,
  type ReportSummary,
  type SkippedLines,
} from './types.js'

type StartType = ContainerReport['startType']
type BreakerCounts = { open: number; halfOpen: number; close: number }

const DEFAULT_BINS = 240
/** Functions told apart: each keeps 13 KB of sketches, and a log may name a new one on every line. */
export const MAX_FUNCTIONS = 1_000
/** The name the lines of functions beyond {@link MAX_FUNCTIONS} are counted under. */
export const OTHER_FUNCTIONS = '(other functions)'
// A timeline is 1,200 pixels wide: more bins than pixels show nothing more and cost memory per container.
const MAX_BINS = 10_000
const BUILD_REPORT_SCHEMA = { bins: rules.number({ min: 1, max: MAX_BINS, integer: true }) }

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null)
const finite = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null
const startTypeOf = (value: unknown): StartType =>
  value === 'cold' || value === 'warm' || value === 'pre-initialized' ? value : null

/**
 * How an invocation ended, as the terminal, the logs and the report agree: a 4xx answer is the caller's
 * mistake (a client error, written at warn as `invocation.end.client-error`), a 5xx answer or a thrown
 * error is the function's (an error). The logger writes `outcome` and, when the response has one,
 * `status_code`.
 */
export const endingOf = (fields: { readonly outcome?: unknown; readonly status_code?: unknown }): Ending => {
  const status = finite(fields.status_code)
  if (status !== null && status >= 400 && status < 500) return 'clientError'
  if (fields.outcome === 'error' || (status !== null && status >= 500)) return 'error'
  return 'ok'
}

type Ending = 'ok' | 'clientError' | 'error'

/** One row of an aggregate of `invocation.end` lines: one container, one time bin, one way of ending. */
export interface InvocationAggregate {
  readonly containerId: string
  readonly functionName: string | null
  readonly environmentId: string | null
  readonly workerId: number | null
  readonly binStartMs: number
  readonly ending: Ending
  readonly count: number
  readonly highestInvocation: number
  readonly firstAt: number
  readonly lastAt: number
  /** Whether some of its lines said they were sampled (`sample_rate`). */
  readonly sampled?: boolean
  /** The `lifecycle_schema` of its lines. */
  readonly schema?: number
}

/** Values counted in one bucket of a log histogram, with their least and greatest. */
export interface BucketAggregate {
  readonly index: number
  readonly count: number
  readonly min: number
  readonly max: number
}

const ENDING_FLAGS = { ok: 0, clientError: BIN_FLAGS.clientError, error: BIN_FLAGS.error } as const

const BREAKER_EVENTS: Record<string, { flag: number; state: keyof BreakerCounts }> = {
  [LIFECYCLE_EVENTS.breakerOpen]: { flag: BIN_FLAGS.breakerOpen, state: 'open' },
  [LIFECYCLE_EVENTS.breakerHalfOpen]: { flag: BIN_FLAGS.breakerHalfOpen, state: 'halfOpen' },
  [LIFECYCLE_EVENTS.breakerClose]: { flag: BIN_FLAGS.breakerClose, state: 'close' },
}

/** What is known about one container so far; every field is bounded. */
class ContainerAccumulator {
  readonly containerId: string
  environmentId: string | null = null
  workerId: number | null = null
  functionName: string | null = null
  initType: string | null = null
  startType: StartType = null
  restartOf: string | null = null
  runtimeStartedAt: number | null = null
  earliestStart = Number.POSITIVE_INFINITY
  firstSeenAt = Number.POSITIVE_INFINITY
  lastSeenAt = Number.NEGATIVE_INFINITY
  shutdown: { at: number; reason: string | null } | null = null
  highestInvocation = 0
  errors = 0
  clientErrors = 0
  timeoutWarnings = 0
  breakerChanges = 0
  initMs: number | null = null
  readonly bins: TimeBins
  /** `invocation.end` lines without sampling marks: every line of an unsampled container, the first N of a sampled one. */
  plainLines = 0
  /** Lines kept by the per-container sampling rule (`sample_rate` below 1, `sample_first`). */
  ruleLines = 0
  /** Lines kept whatever the sampling (a failed invocation): `sample_rate` 1. */
  selfLines = 0
  /** Lines kept at random (`endSampleRate`), or aggregates that said they were sampled: no exact rule. */
  randomLines = 0
  /** The per-container rule read from a line: the first `first` invocations written, then one in `oneIn`. */
  rule: { first: number; oneIn: number } | null = null
  /** Whether its writer said it samples at random (`endSampleRate`): no rule tells a lost line apart. */
  randomSampling = false
  /** Whether its lines are of schema 2, which names the function on `container.start` only. */
  schema2 = false

  constructor(containerId: string, bins: number) {
    this.containerId = containerId
    this.bins = new TimeBins(bins)
  }

  see(at: number, fields: LifecycleFields): void {
    this.firstSeenAt = Math.min(this.firstSeenAt, at)
    this.lastSeenAt = Math.max(this.lastSeenAt, at)
    const age = finite(fields.container_age_ms)
    if (age !== null) this.earliestStart = Math.min(this.earliestStart, at - age)
    this.environmentId ??= text(fields.environment_id)
    this.workerId ??= finite(fields.worker_id)
    this.functionName ??= text(fields.function_name)
    this.initType ??= text(fields.init_type)
    const invocation = finite(fields.invocation)
    if (invocation !== null) {
      this.highestInvocation = Math.max(this.highestInvocation, invocation)
      if (invocation === 1) this.startType ??= startTypeOf(fields.start_type)
    }
  }

  /** The sampling `container.start` announces: per-container (a rule) or random. */
  learnSampling(fields: LifecycleFields): void {
    const rate = finite(fields.sample_rate)
    const first = finite(fields.sample_first)
    if (rate === null || rate <= 0 || rate >= 1) return
    if (first === null || first < 0) this.randomSampling = true
    else this.rule ??= { first, oneIn: Math.round(1 / rate) }
  }

  countEndLine(fields: LifecycleFields): void {
    const rate = finite(fields.sample_rate)
    const first = finite(fields.sample_first)
    if (rate === null || rate <= 0) this.plainLines += 1
    else if (rate >= 1) this.selfLines += 1
    else if (first === null || first < 0) this.randomLines += 1
    else {
      this.ruleLines += 1
      this.rule ??= { first, oneIn: Math.round(1 / rate) }
    }
  }

  /**
   * Under the per-container rule the invocations that have a line are known from their numbers alone: the
   * first N, then every M-th; so a gap on the rule is a line missing, a gap off it a line sampled out.
   */
  invocationLines(): InvocationLines {
    const invocations = this.highestInvocation
    const read = this.plainLines + this.ruleLines + this.selfLines + this.randomLines
    if (this.randomLines > 0 || this.randomSampling) {
      return { read, sampledOut: Math.max(0, invocations - read), missing: 0, sampled: true }
    }
    if (this.rule === null) {
      const sampled = this.selfLines > 0
      const unlogged = Math.max(0, invocations - read)
      return { read, sampledOut: sampled ? unlogged : 0, missing: sampled ? 0 : unlogged, sampled }
    }
    const { first, oneIn } = this.rule
    const onRule = Math.min(invocations, first) + Math.floor(Math.max(0, invocations - first) / oneIn)
    return {
      read,
      sampledOut: Math.max(0, invocations - onRule - this.selfLines),
      missing: Math.max(0, onRule - this.plainLines - this.ruleLines),
      sampled: true,
    }
  }

  toReport(): ContainerReport {
    const startedAt = this.runtimeStartedAt ?? Math.min(this.earliestStart, this.firstSeenAt)
    const endedAt = this.shutdown?.at ?? this.lastSeenAt
    return {
      containerId: this.containerId,
      environmentId: this.environmentId,
      workerId: this.workerId,
      functionName: this.functionName,
      initType: this.initType,
      startType: this.startType,
      restartOf: this.restartOf,
      startedAt,
      firstSeenAt: this.firstSeenAt,
      lastSeenAt: this.lastSeenAt,
      shutdown: this.shutdown,
      invocations: this.highestInvocation,
      errors: this.errors,
      clientErrors: this.clientErrors,
      timeoutWarnings: this.timeoutWarnings,
      breakerChanges: this.breakerChanges,
      lifetimeMs: Math.max(0, endedAt - startedAt),
      initMs: this.initMs,
      invocationLines: this.invocationLines(),
      activity: this.bins.toJSON(),
    }
  }
}

const nearestRank = (sorted: readonly number[], fraction: number): number =>
  sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] as number

const distribution = (values: readonly number[]): Distribution | null => {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return {
    min: sorted[0] as number,
    median: nearestRank(sorted, 0.5),
    p90: nearestRank(sorted, 0.9),
    max: sorted[sorted.length - 1] as number,
  }
}

/** What is known about one function's invocations so far: fixed-size sketches, mergeable into the overall. */
class FunctionAccumulator {
  readonly idle = new LogHistogram()
  readonly cold = new DurationSketch()
  readonly warm = new DurationSketch()
  readonly breakers = new Map<string, BreakerCounts>()

  merge(other: FunctionAccumulator): void {
    this.idle.merge(other.idle)
    this.cold.merge(other.cold)
    this.warm.merge(other.warm)
    for (const [name, counts] of other.breakers) {
      const mine = this.breakers.get(name) ?? { open: 0, halfOpen: 0, close: 0 }
      this.breakers.set(name, {
        open: mine.open + counts.open,
        halfOpen: mine.halfOpen + counts.halfOpen,
        close: mine.close + counts.close,
      })
    }
  }
}

/** Edges (ms) of the idle gap classes the chart draws: how long an environment waited frozen before a warm request. */
const IDLE_GAP_EDGES = [100, 1_000, 10_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000]

const latencyOf = (sketch: DurationSketch): LatencyDistribution | null =>
  sketch.count === 0
    ? null
    : {
        count: sketch.count,
        min: sketch.min,
        p50: sketch.quantile(0.5),
        p90: sketch.quantile(0.9),
        p99: sketch.quantile(0.99),
        max: sketch.max,
      }

const idleClasses = (idle: LogHistogram): CountClass[] =>
  idle.classify(IDLE_GAP_EDGES).map((count, index) => ({
    fromMs: IDLE_GAP_EDGES[index - 1] ?? 0,
    toMs: IDLE_GAP_EDGES[index] ?? null,
    count,
  }))

/**
 * Streams log lines into a report with memory bounded by the number of containers, not of lines. Use it
 * when lines arrive one by one (a custom source); {@link buildReport} wraps it for iterables.
 *
 * @example
 * ```ts
 * import { ReportBuilder } from '@lambda-lifetime/report'
 *
 * const builder = new ReportBuilder()
 * for (const line of ['START RequestId: 1', '{"event":"container.start","lifecycle_schema":1,...}']) builder.add(line)
 * const model = builder.finish()
 * ```
 */
export class ReportBuilder {
  readonly #bins: number
  readonly #containers = new Map<string, ContainerAccumulator>()
  readonly #skipped: SkippedLines = {
    platform: 0,
    text: 0,
    json: 0,
    invalid: 0,
    newerSchema: 0,
    tooLong: 0,
  }
  readonly #functions = new Map<string | null, FunctionAccumulator>()
  #total = 0
  #lifecycle = 0
  #newestSchema: number | null = null
  readonly #versionsRead = new Set<number>()
  /** A schema 1 line without a function name: its container is unnamed for good (schema 1 names it on every line). */
  #unnamedV1 = false
  #from = Number.POSITIVE_INFINITY
  #to = Number.NEGATIVE_INFINITY

  constructor(options: BuildReportOptions = {}) {
    validateOptions('@lambda-lifetime/report', BUILD_REPORT_SCHEMA, options, { label: 'buildReport options' })
    this.#bins = options.bins ?? DEFAULT_BINS
  }

  /** Reads one line; never throws on its content. */
  add(line: string): void {
    const parsed = parseLifecycleLine(line)
    if (parsed.kind === 'blank') return
    this.#total += 1
    if (parsed.kind === 'lifecycle') {
      this.#lifecycle += 1
      this.#versionsRead.add(parsed.version)
      this.#addLifecycle(parsed.at, parsed.fields, parsed.version)
      return
    }
    this.#skipped[parsed.kind] += 1
    if (parsed.kind === 'newerSchema') this.#newestSchema = Math.max(this.#newestSchema ?? 0, parsed.version)
  }

  #addLifecycle(at: number, fields: LifecycleFields, version: number): void {
    this.#from = Math.min(this.#from, at)
    this.#to = Math.max(this.#to, at)
    const container = this.#containerOf(fields.container_id)
    if (version >= 2) container.schema2 = true
    else if (container.functionName === null && fields.function_name === undefined) this.#unnamedV1 = true
    container.see(at, fields)
    container.functionName = this.#cappedName(container.functionName)
    this.#applyEvent(container, at, fields)
  }

  #containerOf(containerId: string): ContainerAccumulator {
    let container = this.#containers.get(containerId)
    if (!container) {
      container = new ContainerAccumulator(containerId, this.#bins)
      this.#containers.set(containerId, container)
    }
    return container
  }

  /**
   * Adds `invocation.end` lines counted elsewhere (one row of a CloudWatch Logs Insights aggregate): `count`
   * invocations of one container ending one way in the time bin starting at `binStartMs`.
   */
  addInvocationAggregate(row: InvocationAggregate): void {
    const { firstAt, lastAt } = row
    if (row.schema !== undefined) this.#versionsRead.add(row.schema)
    this.#total += row.count
    this.#lifecycle += row.count
    this.#from = Math.min(this.#from, firstAt)
    this.#to = Math.max(this.#to, lastAt)
    const container = this.#containerOf(row.containerId)
    container.firstSeenAt = Math.min(container.firstSeenAt, firstAt)
    container.lastSeenAt = Math.max(container.lastSeenAt, lastAt)
    container.functionName = this.#cappedName(container.functionName ?? row.functionName)
    container.environmentId ??= row.environmentId
    container.workerId ??= row.workerId
    container.highestInvocation = Math.max(container.highestInvocation, row.highestInvocation)
    if (row.sampled === true) container.randomLines += row.count
    else container.plainLines += row.count
    if (row.ending === 'error') container.errors += row.count
    if (row.ending === 'clientError') container.clientErrors += row.count
    container.bins.add(row.binStartMs, row.count, ENDING_FLAGS[row.ending])
  }

  /** Adds `count` invocation durations bucketed elsewhere (see {@link DurationSketch.addBucket}). */
  addDurationAggregate(functionName: string | null, cold: boolean, bucket: BucketAggregate): void {
    const accumulator = this.#functionNamed(functionName)
    ;(cold ? accumulator.cold : accumulator.warm).addBucket(
      bucket.index,
      bucket.count,
      bucket.min,
      bucket.max,
    )
  }

  /** Adds `count` idle gaps before warm invocations bucketed elsewhere (see {@link LogHistogram.addBucket}). */
  addIdleGapAggregate(functionName: string | null, bucket: BucketAggregate): void {
    this.#functionNamed(functionName).idle.addBucket(bucket.index, bucket.count, bucket.min, bucket.max)
  }

  #functionNamed(functionName: string | null): FunctionAccumulator {
    const name = this.#cappedName(functionName)
    let accumulator = this.#functions.get(name)
    if (!accumulator) {
      accumulator = new FunctionAccumulator()
      this.#functions.set(name, accumulator)
    }
    return accumulator
  }

  /**
   * The name lines of this function are counted under: its own (its accumulator made on first sight), or
   * {@link OTHER_FUNCTIONS} for a new one beyond {@link MAX_FUNCTIONS}, as each keeps 13 KB of sketches.
   */
  #cappedName(functionName: string | null): string | null {
    if (functionName === null || this.#functions.has(functionName)) return functionName
    const name = this.#functions.size < MAX_FUNCTIONS ? functionName : OTHER_FUNCTIONS
    if (!this.#functions.has(name)) this.#functions.set(name, new FunctionAccumulator())
    return name
  }

  #functionOf(container: ContainerAccumulator): FunctionAccumulator {
    return this.#functionNamed(container.functionName)
  }

  #applyInvocationEnd(container: ContainerAccumulator, at: number, fields: LifecycleFields): void {
    container.countEndLine(fields)
    const ending = endingOf(fields)
    if (ending === 'error') container.errors += 1
    if (ending === 'clientError') container.clientErrors += 1
    container.bins.add(at, 1, ENDING_FLAGS[ending])
    const accumulator = this.#functionOf(container)
    const idle = finite(fields.idle_ms)
    if (idle !== null && (finite(fields.invocation) ?? 0) > 1) accumulator.idle.add(idle)
    const duration = finite((fields as { readonly duration_ms?: unknown }).duration_ms)
    if (duration === null || duration < 0) return
    const cold = fields.cold_start === true || fields.start_type === 'cold'
    ;(cold ? accumulator.cold : accumulator.warm).add(duration)
  }

  #applyEvent(container: ContainerAccumulator, at: number, fields: LifecycleFields): void {
    switch (fields.event) {
      case 'container.start': {
        const startedAt =
          typeof fields.runtime_started_at === 'string' ? Date.parse(fields.runtime_started_at) : NaN
        if (!Number.isNaN(startedAt)) container.runtimeStartedAt = startedAt
        container.startType = startTypeOf(fields.start_type) ?? container.startType
        container.restartOf ??= text(fields.restart_of)
        container.learnSampling(fields)
        const init = finite((fields as { readonly since_runtime_start_ms?: unknown }).since_runtime_start_ms)
        if (container.startType === 'cold' && init !== null && init >= 0) container.initMs = init
        return
      }
      case 'invocation.end':
        this.#applyInvocationEnd(container, at, fields)
        return
      case 'invocation.timeout-warning':
        container.timeoutWarnings += 1
        container.bins.add(at, 0, BIN_FLAGS.timeoutWarning)
        return
      case 'container.shutdown': {
        container.shutdown = { at, reason: text(fields.reason) }
        const total = finite(fields.invocations)
        if (total !== null) container.highestInvocation = Math.max(container.highestInvocation, total)
        return
      }
      default:
        this.#applyBreakerEvent(container, at, fields)
    }
  }

  #applyBreakerEvent(container: ContainerAccumulator, at: number, fields: LifecycleFields): void {
    const breakerEvent = typeof fields.event === 'string' ? BREAKER_EVENTS[fields.event] : undefined
    if (!breakerEvent) return
    container.breakerChanges += 1
    container.bins.add(at, 0, breakerEvent.flag)
    const name = text(fields.breaker) ?? '(unnamed)'
    const { breakers } = this.#functionOf(container)
    const counts = breakers.get(name) ?? { open: 0, halfOpen: 0, close: 0 }
    counts[breakerEvent.state] += 1
    breakers.set(name, counts)
  }

  /**
   * Schema 2 names the function on `container.start` only: the invocations of a container whose start is
   * not in the logs read have no function. When the logs name one function only (a Lambda log group),
   * they are its; not when schema 1 lines without a function name (a logger without the Lambda context)
   * share the unnamed function.
   */
  #attributeToSoleFunction(): void {
    const named = [...this.#functions.keys()].filter((name) => name !== null)
    const unnamed = this.#functions.get(null)
    if (named.length !== 1 || unnamed === undefined || this.#unnamedV1) return
    const sole = named[0] as string
    ;(this.#functions.get(sole) as FunctionAccumulator).merge(unnamed)
    this.#functions.delete(null)
    for (const container of this.#containers.values()) container.functionName ??= sole
  }

  /** The report of every line added so far. */
  finish(): ReportModel {
    this.#attributeToSoleFunction()
    const containers = [...this.#containers.values()]
      .map((container) => container.toReport())
      .sort((a, b) => a.startedAt - b.startedAt || a.containerId.localeCompare(b.containerId))
    const overall = new FunctionAccumulator()
    for (const accumulator of this.#functions.values()) overall.merge(accumulator)
    // One pass, not a filter per function: there may be as many functions as containers.
    const byFunction = new Map<string | null, ContainerReport[]>(
      [...this.#functions.keys()].map((name) => [name, []]),
    )
    for (const container of containers) {
      const own = byFunction.get(container.functionName)
      if (own) own.push(container)
      else byFunction.set(container.functionName, [container])
    }
    // By name, the containers without one last.
    const functions: FunctionReport[] = [...byFunction]
      .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b)))
      .map(([functionName, own]) => ({
        functionName,
        summary: summarize(own, this.#functions.get(functionName) ?? new FunctionAccumulator(), 1),
      }))
    return {
      schemaVersion: LIFECYCLE_SCHEMA_VERSION,
      schemaVersionsRead: [...this.#versionsRead].sort((a, b) => a - b),
      timeRange: containers.length === 0 ? null : { from: this.#from, to: this.#to },
      lines: { total: this.#total, lifecycle: this.#lifecycle },
      skipped: { ...this.#skipped },
      newestSchemaSeen: this.#newestSchema,
      summary: summarize(containers, overall, functions.length),
      containers,
      functions,
    }
  }
}

const summarize = (
  containers: readonly ContainerReport[],
  accumulator: FunctionAccumulator,
  functionCount: number,
): ReportSummary => {
  const idle = accumulator.idle
  const all = new DurationSketch()
  all.merge(accumulator.cold)
  all.merge(accumulator.warm)
  const inits = distribution(
    containers.flatMap((container) => (container.initMs === null ? [] : [container.initMs])),
  )
  const invocations = containers.reduce((sum, container) => sum + container.invocations, 0)
  const coldStarts = containers.filter((container) => container.startType === 'cold').length
  const shutdownReasons: Record<string, number> = {}
  for (const { shutdown } of containers) {
    if (shutdown)
      shutdownReasons[shutdown.reason ?? 'unknown'] = (shutdownReasons[shutdown.reason ?? 'unknown'] ?? 0) + 1
  }
  const perContainer = distribution(containers.map((container) => container.invocations))
  return {
    containers: containers.length,
    environments: new Set(containers.map((container) => container.environmentId ?? container.containerId))
      .size,
    invocations,
    coldStarts,
    preInitialized: containers.filter((container) => container.startType === 'pre-initialized').length,
    coldStartRatio: invocations === 0 ? null : coldStarts / invocations,
    restarts: containers.filter((container) => container.restartOf !== null).length,
    shutdowns: containers.filter((container) => container.shutdown !== null).length,
    shutdownReasons,
    errors: containers.reduce((sum, container) => sum + container.errors, 0),
    clientErrors: containers.reduce((sum, container) => sum + container.clientErrors, 0),
    timeoutWarnings: containers.reduce((sum, container) => sum + container.timeoutWarnings, 0),
    invocationLines: {
      read: containers.reduce((sum, container) => sum + container.invocationLines.read, 0),
      sampledOut: containers.reduce((sum, container) => sum + container.invocationLines.sampledOut, 0),
      missing: containers.reduce((sum, container) => sum + container.invocationLines.missing, 0),
    },
    lifetimeMs: distribution(containers.map((container) => container.lifetimeMs)),
    invocationsPerContainer: perContainer && { ...perContainer, mean: invocations / containers.length },
    idleGapMs:
      idle.count === 0
        ? null
        : {
            count: idle.count,
            min: Math.round(idle.min),
            median: idle.quantile(0.5),
            p90: idle.quantile(0.9),
            max: Math.round(idle.max),
          },
    breakers: Object.fromEntries(accumulator.breakers),
    functions: functionCount,
    latencyMs: { all: latencyOf(all), cold: latencyOf(accumulator.cold), warm: latencyOf(accumulator.warm) },
    initMs: inits && {
      ...inits,
      count: containers.filter((container) => container.initMs !== null).length,
    },
    idleGapClasses: idleClasses(idle),
  }
}

/**
 * Builds the report model from log lines (any mix of lifecycle lines and other lines), streaming: memory
 * grows with the number of containers, not with the number of lines.
 *
 * @example
 * ```ts
 * import { buildReport, readLifecycleLines } from '@lambda-lifetime/report'
 *
 * const model = await buildReport(readLifecycleLines(['.lambda-lifetime/logs']))
 * console.log(model.summary.containers, model.summary.lifetimeMs?.median)
 * ```
 */
export const buildReport = async (
  lines: AsyncIterable<string> | Iterable<string>,
  options: BuildReportOptions = {},
): Promise<ReportModel> => {
  const builder = new ReportBuilder(options)
  for await (const line of lines) builder.add(line)
  return builder.finish()
}

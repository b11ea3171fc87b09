import { LIFECYCLE_EVENTS } from '@lambda-lifetime/commons'
import { LogHistogram, TimeBins } from './bins.js'
import { parseLifecycleLine } from './parse.js'
import {
  BIN_FLAGS,
  type BuildReportOptions,
  type ContainerReport,
  type Distribution,
  LIFECYCLE_SCHEMA_VERSION,
  type LifecycleFields,
  type ReportModel,
  type ReportSummary,
  type SkippedLines,
} from './types.js'

type StartType = ContainerReport['startType']
type BreakerCounts = { open: number; halfOpen: number; close: number }

const DEFAULT_BINS = 240

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null)
const finite = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null
const startTypeOf = (value: unknown): StartType =>
  value === 'cold' || value === 'warm' || value === 'pre-initialized' ? value : null

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
  timeoutWarnings = 0
  breakerChanges = 0
  readonly bins: TimeBins

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
      timeoutWarnings: this.timeoutWarnings,
      breakerChanges: this.breakerChanges,
      lifetimeMs: Math.max(0, endedAt - startedAt),
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
  readonly #skipped: SkippedLines = { platform: 0, text: 0, json: 0, invalid: 0, newerSchema: 0 }
  readonly #idle = new LogHistogram()
  readonly #breakers = new Map<string, BreakerCounts>()
  #total = 0
  #lifecycle = 0
  #newestSchema: number | null = null
  #from = Number.POSITIVE_INFINITY
  #to = Number.NEGATIVE_INFINITY

  constructor(options: BuildReportOptions = {}) {
    const bins = options.bins ?? DEFAULT_BINS
    if (!Number.isInteger(bins) || bins < 1) {
      throw new TypeError('@lambda-lifetime/report: bins must be a positive integer', {
        cause: { package: '@lambda-lifetime/report' },
      })
    }
    this.#bins = bins
  }

  /** Reads one line; never throws on its content. */
  add(line: string): void {
    const parsed = parseLifecycleLine(line)
    if (parsed.kind === 'blank') return
    this.#total += 1
    if (parsed.kind === 'lifecycle') {
      this.#lifecycle += 1
      this.#addLifecycle(parsed.at, parsed.fields)
      return
    }
    this.#skipped[parsed.kind] += 1
    if (parsed.kind === 'newerSchema') this.#newestSchema = Math.max(this.#newestSchema ?? 0, parsed.version)
  }

  #addLifecycle(at: number, fields: LifecycleFields): void {
    this.#from = Math.min(this.#from, at)
    this.#to = Math.max(this.#to, at)
    let container = this.#containers.get(fields.container_id)
    if (!container) {
      container = new ContainerAccumulator(fields.container_id, this.#bins)
      this.#containers.set(fields.container_id, container)
    }
    container.see(at, fields)
    this.#applyEvent(container, at, fields)
  }

  #applyEvent(container: ContainerAccumulator, at: number, fields: LifecycleFields): void {
    switch (fields.event) {
      case 'container.start': {
        const startedAt =
          typeof fields.runtime_started_at === 'string' ? Date.parse(fields.runtime_started_at) : NaN
        if (!Number.isNaN(startedAt)) container.runtimeStartedAt = startedAt
        container.startType = startTypeOf(fields.start_type) ?? container.startType
        container.restartOf ??= text(fields.restart_of)
        return
      }
      case 'invocation.end': {
        const failed = fields.outcome === 'error'
        if (failed) container.errors += 1
        container.bins.add(at, 1, failed ? BIN_FLAGS.error : 0)
        const idle = finite(fields.idle_ms)
        if (idle !== null && (finite(fields.invocation) ?? 0) > 1) this.#idle.add(idle)
        return
      }
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
    const counts = this.#breakers.get(name) ?? { open: 0, halfOpen: 0, close: 0 }
    counts[breakerEvent.state] += 1
    this.#breakers.set(name, counts)
  }

  /** The report of every line added so far. */
  finish(): ReportModel {
    const containers = [...this.#containers.values()]
      .map((container) => container.toReport())
      .sort((a, b) => a.startedAt - b.startedAt || a.containerId.localeCompare(b.containerId))
    return {
      schemaVersion: LIFECYCLE_SCHEMA_VERSION,
      timeRange: containers.length === 0 ? null : { from: this.#from, to: this.#to },
      lines: { total: this.#total, lifecycle: this.#lifecycle },
      skipped: { ...this.#skipped },
      newestSchemaSeen: this.#newestSchema,
      summary: this.#summarize(containers),
      containers,
    }
  }

  #summarize(containers: readonly ContainerReport[]): ReportSummary {
    const invocations = containers.reduce((sum, container) => sum + container.invocations, 0)
    const coldStarts = containers.filter((container) => container.startType === 'cold').length
    const shutdownReasons: Record<string, number> = {}
    for (const { shutdown } of containers) {
      if (shutdown)
        shutdownReasons[shutdown.reason ?? 'unknown'] =
          (shutdownReasons[shutdown.reason ?? 'unknown'] ?? 0) + 1
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
      timeoutWarnings: containers.reduce((sum, container) => sum + container.timeoutWarnings, 0),
      lifetimeMs: distribution(containers.map((container) => container.lifetimeMs)),
      invocationsPerContainer: perContainer && { ...perContainer, mean: invocations / containers.length },
      idleGapMs:
        this.#idle.count === 0
          ? null
          : {
              count: this.#idle.count,
              min: Math.round(this.#idle.min),
              median: this.#idle.quantile(0.5),
              p90: this.#idle.quantile(0.9),
              max: Math.round(this.#idle.max),
            },
      breakers: Object.fromEntries(this.#breakers),
    }
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

import { LIFECYCLE_SCHEMA_VERSION, type LifecycleKey } from '@lambda-lifetime/commons'

/**
 * Lifecycle line schema version this package reads: the schema (keys, types, event names) is defined once,
 * in @lambda-lifetime/commons, and shared with the logger that writes the lines.
 */
export { LIFECYCLE_SCHEMA_VERSION }

/** Why a line was not used: the kinds counted in {@link SkippedLines}. */
export type SkipKind = 'platform' | 'text' | 'json' | 'invalid' | 'newerSchema' | 'tooLong'

/**
 * The keys of a lifecycle line as this report reads them: every key of schemas 1 and 2 (snake_case, as the
 * logger writes them), untrusted (`unknown`) but for the two the parser checked, plus `function_name`
 * (Powertools' own) and `breaker` (the breaker's name on `breaker.*` lines). `event` is today's name of
 * the event, whatever the schema: the parser copies schema 2's `message` there and turns legacy names
 * (`breaker.halfOpen`) into theirs.
 */
export type LifecycleFields = {
  readonly [K in Exclude<LifecycleKey, 'lifecycle_schema' | 'container_id'>]?: unknown
} & {
  readonly lifecycle_schema: number
  readonly container_id: string
  readonly function_name?: unknown
  readonly breaker?: unknown
}

/** What {@link parseLifecycleLine} makes of one line. */
export type ParsedLine =
  | {
      readonly kind: 'lifecycle'
      readonly at: number
      /** The line's `lifecycle_schema`: 1 or 2. */
      readonly version: number
      readonly fields: LifecycleFields
    }
  | { readonly kind: 'newerSchema'; readonly version: number }
  | { readonly kind: 'platform' | 'text' | 'json' | 'invalid' | 'tooLong' | 'blank' }

/** Counts of lines read and skipped, by kind. */
export interface SkippedLines {
  /** Lambda's own lines: START, END, REPORT, INIT_START, platform.* records. */
  platform: number
  /** Plain text. */
  text: number
  /** JSON that is not a lifecycle line (the application's own logs, other tools). */
  json: number
  /** Lines that claim the lifecycle schema but miss a required key, do not parse, or hold a value out of range. */
  invalid: number
  /** Lifecycle lines of a newer schema than {@link LIFECYCLE_SCHEMA_VERSION}. */
  newerSchema: number
  /** Lines longer than 256 KiB (CloudWatch's own limit for one event), never parsed. */
  tooLong: number
}

/** Bounded activity of one container: invocation counts and marker flags in equal time bins. */
export interface ActivityBins {
  /** Start of bin 0, epoch ms. */
  readonly originMs: number
  /** Width of every bin, ms. */
  readonly binMs: number
  /** `invocation.end` lines per bin. */
  readonly counts: readonly number[]
  /** Bit set per bin, see {@link BIN_FLAGS}. */
  readonly flags: readonly number[]
}

/** Bits of {@link ActivityBins.flags}. */
export const BIN_FLAGS = {
  error: 1,
  timeoutWarning: 2,
  breakerOpen: 4,
  breakerHalfOpen: 8,
  breakerClose: 16,
  clientError: 32,
} as const

/** One container (one runtime process, or one worker thread under Managed Instances). */
export interface ContainerReport {
  readonly containerId: string
  readonly environmentId: string | null
  readonly workerId: number | null
  readonly functionName: string | null
  readonly initType: string | null
  /** Start type of its first invocation, when a line says it. */
  readonly startType: 'cold' | 'warm' | 'pre-initialized' | null
  readonly restartOf: string | null
  /** When the runtime started (epoch ms): `runtime_started_at`, else the earliest `timestamp - container_age_ms`. */
  readonly startedAt: number
  readonly firstSeenAt: number
  readonly lastSeenAt: number
  readonly shutdown: { readonly at: number; readonly reason: string | null } | null
  /** Highest invocation number seen (or the shutdown line's total): right even when lines are sampled. */
  readonly invocations: number
  /** Invocations that threw or answered 5xx. */
  readonly errors: number
  /** Invocations that answered 4xx: the caller's mistake, not the function's. */
  readonly clientErrors: number
  readonly timeoutWarnings: number
  readonly breakerChanges: number
  /** From start to shutdown, or to the last line seen. */
  readonly lifetimeMs: number
  /** Cold start only: runtime start to its first invocation (`since_runtime_start_ms`), the init as the handler saw it. */
  readonly initMs: number | null
  /** Its `invocation.end` lines: read, left out by the logger's sampling, and missing from the logs. */
  readonly invocationLines: InvocationLines
  readonly activity: ActivityBins
}

/**
 * `invocation.end` lines against the invocations counted: `read + sampledOut + missing` is the number of
 * invocations (but for lines kept off the sampling rule, which `read` counts and stand for themselves).
 */
export interface InvocationLines {
  /** Lines read. */
  readonly read: number
  /**
   * Invocations the logger's sampling left without a line: exact under per-container sampling (the
   * lines say which rule kept them), the remainder under random sampling (`endSampleRate`).
   */
  readonly sampledOut: number
  /**
   * Invocations whose line is not in the logs read (before the time range, lost, or from a writer that
   * did not log it), when no sampling explains it.
   */
  readonly missing: number
  /** Whether any line of it said it was sampled. */
  readonly sampled: boolean
}

/** Order statistics (nearest rank). */
export interface Distribution {
  readonly min: number
  readonly median: number
  readonly p90: number
  readonly max: number
}

/** Summary statistics of a report. */
export interface ReportSummary {
  readonly containers: number
  readonly environments: number
  readonly invocations: number
  readonly coldStarts: number
  readonly preInitialized: number
  /** Cold starts over invocations (Lambda's definition: the share of requests that waited for an init). */
  readonly coldStartRatio: number | null
  readonly restarts: number
  readonly shutdowns: number
  readonly shutdownReasons: Readonly<Record<string, number>>
  /** Invocations that threw or answered 5xx. */
  readonly errors: number
  /** Invocations that answered 4xx. */
  readonly clientErrors: number
  readonly timeoutWarnings: number
  /** `invocation.end` lines of all its containers: read, sampled out, missing. */
  readonly invocationLines: Omit<InvocationLines, 'sampled'>
  readonly lifetimeMs: Distribution | null
  readonly invocationsPerContainer: (Distribution & { readonly mean: number }) | null
  /** Idle gaps before warm invocations; median and p90 are approximate (log buckets, within 9%). */
  readonly idleGapMs: (Distribution & { readonly count: number }) | null
  readonly breakers: Readonly<Record<string, { open: number; halfOpen: number; close: number }>>
  /** Functions seen (`function_name`); a container without one counts as one unnamed function. */
  readonly functions: number
  /** `duration_ms` of `invocation.end` lines, all, cold (first invocation of a cold start) and warm apart. */
  readonly latencyMs: LatencySummary
  /** Init of cold-started containers: runtime start to the first invocation (exact). */
  readonly initMs: (Distribution & { readonly count: number }) | null
  /** Idle gaps before warm invocations in classes, for the chart (a gap near an edge may land one class up). */
  readonly idleGapClasses: readonly CountClass[]
}

/** Everything a report shows. Plain data: `JSON.stringify` works on it. */
export interface ReportModel {
  readonly schemaVersion: typeof LIFECYCLE_SCHEMA_VERSION
  /** The `lifecycle_schema` versions of the lines read, in order (`[1, 2]` for a log written across an upgrade). */
  readonly schemaVersionsRead: readonly number[]
  /** First and last line timestamps, epoch ms; null when no lifecycle line was read. */
  readonly timeRange: { readonly from: number; readonly to: number } | null
  readonly lines: { readonly total: number; readonly lifecycle: number }
  readonly skipped: Readonly<SkippedLines>
  /** Highest schema version met, when lines newer than this reader were skipped. */
  readonly newestSchemaSeen: number | null
  readonly summary: ReportSummary
  /** Sorted by start time. */
  readonly containers: readonly ContainerReport[]
  /** The summary of each function, by name (unnamed last). */
  readonly functions: readonly FunctionReport[]
}

/** Options of {@link buildReport}. */
export interface BuildReportOptions {
  /** Time bins kept per container for the timeline (memory per container is fixed by it). Default 240. */
  bins?: number
}

/** Percentiles of durations from a fixed-size log-linear sketch: within 4.4% of exact; min and max exact. */
export interface LatencyDistribution {
  readonly count: number
  readonly min: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

/** Invocation durations, all together and cold and warm apart (pre-initialized and unknown starts count as warm). */
export interface LatencySummary {
  readonly all: LatencyDistribution | null
  readonly cold: LatencyDistribution | null
  readonly warm: LatencyDistribution | null
}

/** A count of values from `fromMs` (inclusive) to `toMs` (exclusive; null: no upper bound). */
export interface CountClass {
  readonly fromMs: number
  readonly toMs: number | null
  readonly count: number
}

/** One function's part of the report. */
export interface FunctionReport {
  /** `function_name` of its lines; null for containers whose lines carry none. */
  readonly functionName: string | null
  readonly summary: ReportSummary
}

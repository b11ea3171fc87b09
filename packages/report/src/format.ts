import { createRequire } from 'node:module'
import { LIFECYCLE_SCHEMA_VERSIONS } from '@lambda-lifetime/commons'
import type {
  ContainerReport,
  Distribution,
  LatencyDistribution,
  ReportModel,
  ReportSummary,
} from './types.js'

/**
 * This package's version, for messages that tell which version reads what; null when its package.json is
 * not beside it (a bundle), which must never stop the report.
 */
const reportVersion = (): string | null => {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version
  } catch {
    return null
  }
}

// C0 and C1 controls and DEL (escape sequences, bell, carriage return, backspace, CSI) and the bidi
// overrides (text that displays in another order than it reads).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/**
 * Control characters as visible escapes (`\x1b`, `\r`, `\u202e`): a container id or a breaker name read from
 * a log must not set the terminal's title, clear the screen or reorder what it shows.
 */
export const escapeControls = (text: string): string =>
  text.replace(CONTROLS, (char) => {
    const code = char.charCodeAt(0)
    return (
      NAMED_ESCAPES[char] ??
      (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
    )
  })

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** `1234567` → `1,234,567`. */
export const formatCount = (value: number): string => integer.format(value)

/** A duration in the largest units that keep it short: `350 ms`, `12.3 s`, `4 min 12 s`, `2 h 05 min`, `1 d 3 h`. */
export const formatDuration = (ms: number): string => {
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  if (minutes < 60) return `${minutes} min ${Math.floor((ms % 60_000) / 1_000)} s`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`
  return `${Math.floor(hours / 24)} d ${hours % 24} h`
}

/** `2026-11-27 07:48:51Z` (UTC, to the second); `invalid time` outside what a Date holds. */
export const formatTime = (epochMs: number): string => {
  const date = new Date(epochMs)
  return Number.isNaN(date.getTime())
    ? 'invalid time'
    : `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`
}

/** `0.0123` → `1.23%`. */
export const formatRatio = (ratio: number | null): string =>
  ratio === null ? 'n/a' : `${(ratio * 100).toFixed(2)}%`

/** `min … median … p90 … max …` with a value formatter. */
export const formatDistribution = (
  distribution: Distribution | null,
  format: (value: number) => string,
  approximate = false,
): string => {
  if (!distribution) return 'n/a'
  const mark = approximate ? '~' : ''
  return `min ${format(distribution.min)}  median ${mark}${format(distribution.median)}  p90 ${mark}${format(distribution.p90)}  max ${format(distribution.max)}`
}

/**
 * The short form of a container id that people read, the same in every tool of the project: its first 8
 * characters, which for the UUID the container package mints are its first 8 hex digits.
 */
export const shortContainerId = (containerId: string): string => containerId.slice(0, 8)

/** The short container id, with the worker thread under Managed Instances and ↻ on a restart. */
export const shortContainerLabel = (container: ContainerReport): string =>
  `${container.restartOf ? '↻ ' : ''}${shortContainerId(container.containerId)}${container.workerId === null ? '' : ` w${container.workerId}`}`

/** How a container ended: `shutdown (spindown)` or `last seen`. */
export const endOf = (container: ContainerReport): string =>
  container.shutdown ? `shutdown (${container.shutdown.reason ?? 'unknown'})` : 'last seen'

/** `platform 3, text 2, other JSON 1, invalid 0, newer schema 0, too long 0`. */
export const formatSkipped = (model: ReportModel): string =>
  `platform ${formatCount(model.skipped.platform)}, text ${formatCount(model.skipped.text)}, other JSON ${formatCount(model.skipped.json)}, invalid ${formatCount(model.skipped.invalid)}, newer schema ${formatCount(model.skipped.newerSchema)}, too long ${formatCount(model.skipped.tooLong)}`

/** The warning for lines of a newer schema, or null. */
export const newerSchemaWarning = (model: ReportModel): string | null => {
  if (model.newestSchemaSeen === null) return null
  const count = model.skipped.newerSchema
  return `${formatCount(count)} ${count === 1 ? 'line uses' : 'lines use'} lifecycle_schema ${model.newestSchemaSeen}, newer than this report reads: @lambda-lifetime/report ${reportVersion() ?? '(bundled)'} reads lifecycle_schema ${LIFECYCLE_SCHEMA_VERSIONS.join(' and ')}; ${count === 1 ? 'it was' : 'they were'} skipped. To read them, install a version of @lambda-lifetime/report that reads schema ${model.newestSchemaSeen} (npm install @lambda-lifetime/report@latest).`
}

/** A duration of an invocation: `0.42 ms`, `12.3 ms`, `350 ms`, `2.1 s`. */
export const formatLatency = (ms: number): string => {
  if (ms < 10) return `${ms.toFixed(2)} ms`
  if (ms < 100) return `${ms.toFixed(1)} ms`
  return formatDuration(ms)
}

/** `p50 ~12.0 ms  p90 ~40.1 ms  p99 ~180 ms  max 203 ms (1,234)`; percentiles are approximate (sketch). */
export const formatLatencyDistribution = (latency: LatencyDistribution | null): string =>
  latency
    ? `p50 ~${formatLatency(latency.p50)}  p90 ~${formatLatency(latency.p90)}  p99 ~${formatLatency(latency.p99)}  max ${formatLatency(latency.max)}  (${formatCount(latency.count)})`
    : 'n/a'

/** The name shown for a function: its `function_name`, or `(no function_name)`. */
export const functionLabel = (functionName: string | null): string => functionName ?? '(no function_name)'

/** Key / value rows of the summary, shared by the terminal table and the HTML page. */
export const summaryRows = (model: ReportModel): Array<[string, string]> => summaryRowsOf(model.summary)

/** `1,200 read, 9,800 sampled out, 0 missing`: what the invocation.end lines cover of the invocations. */
const formatInvocationLines = (lines: ReportSummary['invocationLines']): string =>
  `${formatCount(lines.read)} read, ${formatCount(lines.sampledOut)} sampled out, ${formatCount(lines.missing)} missing`

/**
 * `schema v1, v2`: the lifecycle_schema versions of the lines read (a log written across an upgrade has
 * both), or `no schema` when none was read.
 *
 * @example
 * ```ts
 * formatSchemaVersions(model) // 'schema v1, v2'
 * ```
 */
export const formatSchemaVersions = (model: ReportModel): string =>
  model.schemaVersionsRead.length === 0
    ? 'no schema'
    : `schema ${model.schemaVersionsRead.map((version) => `v${version}`).join(', ')}`

/** Key / value rows of one summary (the overall one or a function's). */
export const summaryRowsOf = (summary: ReportSummary): Array<[string, string]> => {
  const reasons = Object.entries(summary.shutdownReasons)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ')
  const breakers = Object.entries(summary.breakers)
    .map(
      ([name, counts]) => `${name}: open ${counts.open}, half-open ${counts.halfOpen}, close ${counts.close}`,
    )
    .join('; ')
  const perContainer = summary.invocationsPerContainer
  return [
    ['functions', formatCount(summary.functions)],
    ['containers', `${formatCount(summary.containers)} (${formatCount(summary.environments)} environments)`],
    ['invocations', formatCount(summary.invocations)],
    ['invocation lines', formatInvocationLines(summary.invocationLines)],
    [
      'cold starts',
      `${formatCount(summary.coldStarts)} (${formatRatio(summary.coldStartRatio)} of invocations), ${formatCount(summary.preInitialized)} pre-initialized`,
    ],
    ['latency', formatLatencyDistribution(summary.latencyMs.all)],
    ['latency, cold', formatLatencyDistribution(summary.latencyMs.cold)],
    ['latency, warm', formatLatencyDistribution(summary.latencyMs.warm)],
    [
      'init (cold starts)',
      summary.initMs
        ? `${formatDistribution(summary.initMs, formatLatency)}  (${formatCount(summary.initMs.count)})`
        : 'n/a',
    ],
    ['restarts', formatCount(summary.restarts)],
    ['shutdowns', `${formatCount(summary.shutdowns)}${reasons ? ` (${reasons})` : ''}`],
    ['lifetime', formatDistribution(summary.lifetimeMs, formatDuration)],
    [
      'invocations / container',
      perContainer
        ? `${formatDistribution(perContainer, formatCount)}  mean ${perContainer.mean.toFixed(1)}`
        : 'n/a',
    ],
    [
      'idle gaps',
      summary.idleGapMs
        ? `${formatCount(summary.idleGapMs.count)} gaps: ${formatDistribution(summary.idleGapMs, formatDuration, true)}`
        : 'n/a',
    ],
    [
      'errors',
      `${formatCount(summary.errors)} thrown or 5xx (${formatRatio(summary.invocations === 0 ? null : summary.errors / summary.invocations)}), ${formatCount(summary.clientErrors)} client errors (4xx, ${formatRatio(summary.invocations === 0 ? null : summary.clientErrors / summary.invocations)}), ${formatCount(summary.timeoutWarnings)} timeout warnings`,
    ],
    ['breakers', breakers || 'none'],
  ]
}

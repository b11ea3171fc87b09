import { rules, validateOptions } from '@lambda-lifetime/commons'
import {
  endOf,
  escapeControls,
  formatCount,
  formatDuration,
  formatLatency,
  formatRatio,
  formatSchemaVersions,
  formatSkipped,
  formatTime,
  functionLabel,
  newerSchemaWarning,
  shortContainerLabel,
  summaryRows,
} from './format.js'
import type { ReportModel } from './types.js'

/** Options of {@link renderTable}. */
export interface RenderTableOptions {
  /** Longest-lived containers listed under the summary. Default 10. */
  top?: number
}

const columns = (cells: readonly string[], widths: readonly number[]): string =>
  cells
    .map((cell, index) => cell.padEnd(widths[index] as number))
    .join('  ')
    .trimEnd()

const topContainers = (model: ReportModel, top: number): string[] => {
  const header = ['function', 'container', 'environment', 'started', 'lifetime', 'invocations', 'end']
  const rows = [...model.containers]
    .sort((a, b) => b.lifetimeMs - a.lifetimeMs)
    .slice(0, top)
    .map((container) =>
      [
        functionLabel(container.functionName),
        shortContainerLabel(container),
        container.environmentId?.slice(-12) ?? '-',
        formatTime(container.startedAt),
        formatDuration(container.lifetimeMs),
        formatCount(container.invocations),
        endOf(container),
      ].map(escapeControls),
    )
  return [
    `Longest-lived containers (${rows.length} of ${formatCount(model.containers.length)})`,
    ...aligned(header, rows),
  ]
}

const aligned = (header: readonly string[], rows: readonly string[][]): string[] => {
  const widths = header.map((cell, index) =>
    Math.max(cell.length, ...rows.map((row) => (row[index] as string).length)),
  )
  return [`  ${columns(header, widths)}`, ...rows.map((row) => `  ${columns(row, widths)}`)]
}

/** One line per function: the figures to compare functions by. */
const perFunction = (model: ReportModel): string[] => {
  const header = ['function', 'containers', 'invocations', 'cold starts', 'p50', 'p99', 'errors', '4xx']
  const rows = model.functions.map(({ functionName, summary }) =>
    [
      functionLabel(functionName),
      formatCount(summary.containers),
      formatCount(summary.invocations),
      `${formatCount(summary.coldStarts)} (${formatRatio(summary.coldStartRatio)})`,
      summary.latencyMs.all ? `~${formatLatency(summary.latencyMs.all.p50)}` : 'n/a',
      summary.latencyMs.all ? `~${formatLatency(summary.latencyMs.all.p99)}` : 'n/a',
      formatCount(summary.errors),
      formatCount(summary.clientErrors),
    ].map(escapeControls),
  )
  return ['Per function', ...aligned(header, rows)]
}

/**
 * The summary as plain text for a terminal: statistics, skipped lines, warnings and the longest-lived
 * containers. Control characters from the logs (escape sequences, carriage returns, bidi overrides) are
 * printed as visible escapes such as `\x1b`.
 *
 * @example
 * ```ts
 * import { buildReport, readLifecycleLines, renderTable } from '@lambda-lifetime/report'
 *
 * process.stdout.write(renderTable(await buildReport(readLifecycleLines('logs/'))))
 * ```
 */
export const renderTable = (model: ReportModel, options: RenderTableOptions = {}): string => {
  validateOptions('@lambda-lifetime/report', { top: rules.number({ min: 0, integer: true }) }, options, {
    label: 'renderTable options',
  })
  const range = model.timeRange
  const title = range
    ? `Container lifetimes ${formatTime(range.from)} -> ${formatTime(range.to)} (${formatDuration(range.to - range.from)})`
    : 'Container lifetimes: no lifecycle lines found'
  const rows = summaryRows(model)
  const width = Math.max(...rows.map(([key]) => key.length))
  const warning = newerSchemaWarning(model)
  const lines = [
    title,
    ...rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`),
    `Lines: ${formatCount(model.lines.total)} read, ${formatCount(model.lines.lifecycle)} lifecycle (${formatSchemaVersions(model)}); skipped: ${formatSkipped(model)}`,
    ...(warning ? [`! ${warning}`] : []),
    ...(model.functions.length > 0 ? ['', ...perFunction(model)] : []),
    ...(model.containers.length > 0 ? ['', ...topContainers(model, options.top ?? 10)] : []),
  ]
  return `${lines.map(escapeControls).join('\n')}\n`
}

// JSON.stringify escapes C0 controls already; these remain raw in its strings and a terminal acts on them.
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * The report as JSON for scripts: the model without the per-container timeline bins. DEL, C1 controls and
 * bidi overrides are written as `\u` escapes (the same strings, safe to print on a terminal).
 *
 * @example
 * ```ts
 * import { buildReport, readLifecycleLines, renderJson } from '@lambda-lifetime/report'
 *
 * const { summary } = JSON.parse(renderJson(await buildReport(readLifecycleLines('logs/'))))
 * ```
 */
export const renderJson = (model: ReportModel): string =>
  `${JSON.stringify(
    { ...model, containers: model.containers.map(({ activity: _activity, ...container }) => container) },
    null,
    2,
  ).replace(RAW_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`

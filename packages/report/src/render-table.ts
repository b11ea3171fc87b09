import {
  endOf,
  formatCount,
  formatDuration,
  formatSkipped,
  formatTime,
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
  const header = ['container', 'environment', 'started', 'lifetime', 'invocations', 'end']
  const rows = [...model.containers]
    .sort((a, b) => b.lifetimeMs - a.lifetimeMs)
    .slice(0, top)
    .map((container) => [
      shortContainerLabel(container),
      container.environmentId?.slice(-12) ?? '-',
      formatTime(container.startedAt),
      formatDuration(container.lifetimeMs),
      formatCount(container.invocations),
      endOf(container),
    ])
  const widths = header.map((cell, index) =>
    Math.max(cell.length, ...rows.map((row) => (row[index] as string).length)),
  )
  return [
    `Longest-lived containers (${rows.length} of ${formatCount(model.containers.length)})`,
    `  ${columns(header, widths)}`,
    ...rows.map((row) => `  ${columns(row, widths)}`),
  ]
}

/**
 * The summary as plain text for a terminal: statistics, skipped lines, warnings and the longest-lived
 * containers.
 *
 * @example
 * ```ts
 * import { buildReport, readLifecycleLines, renderTable } from '@lambda-lifetime/report'
 *
 * process.stdout.write(renderTable(await buildReport(readLifecycleLines('logs/'))))
 * ```
 */
export const renderTable = (model: ReportModel, options: RenderTableOptions = {}): string => {
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
    `Lines: ${formatCount(model.lines.total)} read, ${formatCount(model.lines.lifecycle)} lifecycle; skipped: ${formatSkipped(model)}`,
    ...(warning ? [`! ${warning}`] : []),
    ...(model.containers.length > 0 ? ['', ...topContainers(model, options.top ?? 10)] : []),
  ]
  return `${lines.join('\n')}\n`
}

/**
 * The report as JSON for scripts: the model without the per-container timeline bins.
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
  )}\n`

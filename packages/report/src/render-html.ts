import { rules, validateOptions } from '@lambda-lifetime/commons'
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
import { BIN_FLAGS, type ContainerReport, type ReportModel } from './types.js'

/** Options of {@link renderHtml}. */
export interface RenderHtmlOptions {
  /** Page title. Default `Container lifetimes`. */
  title?: string
  /** Timeline rows at most; above it, rows are sampled across the lifetime distribution. Default 60. */
  maxRows?: number
}

const RENDER_HTML_SCHEMA = { title: rules.string(), maxRows: rules.number({ min: 1, integer: true }) }

const WIDTH = 1200
const LABEL_WIDTH = 150
const RIGHT_MARGIN = 20
const AXIS_HEIGHT = 34
const ROW_HEIGHT = 16
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - RIGHT_MARGIN
const AXIS_STEPS_MS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000,
  21_600_000, 43_200_000, 86_400_000, 604_800_000,
]

const escapeXml = (value: string): string => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

const round = (value: number): string => value.toFixed(1)

/** The rows drawn: all containers, or an even sample across the lifetime distribution. */
export const selectRows = (
  containers: readonly ContainerReport[],
  maxRows: number,
): { rows: ContainerReport[]; note: string | null } => {
  if (containers.length <= maxRows) return { rows: [...containers], note: null }
  const byLifetime = [...containers].sort((a, b) => a.lifetimeMs - b.lifetimeMs)
  const picked = new Set<ContainerReport>()
  for (let index = 0; index < maxRows; index += 1) {
    picked.add(
      byLifetime[Math.round((index * (byLifetime.length - 1)) / Math.max(1, maxRows - 1))] as ContainerReport,
    )
  }
  const rows = containers.filter((container) => picked.has(container))
  const note = `Showing ${rows.length} of ${formatCount(containers.length)} containers, sampled evenly across the lifetime distribution (the shortest and the longest included). The statistics cover all containers.`
  return { rows, note }
}

type Scale = (epochMs: number) => number

const timeScale = (
  rows: readonly ContainerReport[],
  model: ReportModel,
): { x: Scale; from: number; to: number } => {
  const from = Math.min(model.timeRange?.from ?? 0, ...rows.map((row) => row.startedAt))
  const to = Math.max(
    model.timeRange?.to ?? 0,
    ...rows.map((row) => row.shutdown?.at ?? row.lastSeenAt),
    from + 1_000,
  )
  return { x: (epochMs) => LABEL_WIDTH + ((epochMs - from) / (to - from)) * PLOT_WIDTH, from, to }
}

const axisLabel = (epochMs: number, step: number, first: boolean): string => {
  const iso = new Date(epochMs).toISOString()
  const clock = step < 60_000 ? iso.slice(11, 19) : iso.slice(11, 16)
  return first || iso.slice(11, 19) === '00:00:00' ? `${iso.slice(5, 10)} ${clock}` : clock
}

const WEEK_MS = AXIS_STEPS_MS.at(-1) as number
const MAX_TICKS = 10

/** At most {@link MAX_TICKS} steps over the span: beyond the fixed steps, whole weeks, however long the span. */
const axisStep = (spanMs: number): number =>
  AXIS_STEPS_MS.find((candidate) => spanMs / candidate <= MAX_TICKS) ??
  WEEK_MS * Math.ceil(spanMs / (MAX_TICKS * WEEK_MS))

const renderAxis = (from: number, to: number, x: Scale, height: number): string => {
  const step = axisStep(to - from)
  const first = Math.ceil(from / step) * step
  const parts: string[] = []
  // Counted, not accumulated: the number of ticks is bounded whatever the span.
  for (let tick = 0; tick <= MAX_TICKS && first + tick * step <= to; tick += 1) {
    const at = first + tick * step
    const left = round(x(at))
    parts.push(
      `<line class="grid" x1="${left}" x2="${left}" y1="${AXIS_HEIGHT - 6}" y2="${height}"/>`,
      `<text class="axis-label" x="${left}" y="${AXIS_HEIGHT - 10}" text-anchor="middle">${axisLabel(at, step, parts.length === 0)} UTC</text>`,
    )
  }
  return `<g class="axis">${parts.join('')}</g>`
}

// Drawn in this order, so that when a bin saw a breaker open and close again the open marker stays on top.
const FLAG_MARKERS: Array<[number, string]> = [
  [BIN_FLAGS.timeoutWarning, 'timeout-warning'],
  [BIN_FLAGS.breakerClose, 'breaker-close'],
  [BIN_FLAGS.breakerHalfOpen, 'breaker-half-open'],
  [BIN_FLAGS.breakerOpen, 'breaker-open'],
]

const renderActivity = (container: ContainerReport, x: Scale, middle: number): string => {
  const { originMs, binMs, counts, flags } = container.activity
  const busiest = Math.max(1, ...counts)
  const parts: string[] = []
  counts.forEach((count, index) => {
    const flag = flags[index] as number
    const left = round(x(originMs + (index + 0.5) * binMs))
    if (count > 0) {
      // Taller ticks for busier bins, so a bin that holds hundreds of invocations stands out from one.
      const half = round(3 + 4 * Math.sqrt(count / busiest))
      // An error outweighs a client error in the same bin: the function's failure is the one to see.
      const error = flag & BIN_FLAGS.error ? ' error' : flag & BIN_FLAGS.clientError ? ' client-error' : ''
      parts.push(
        `<line class="tick${error}" x1="${left}" x2="${left}" y1="${middle - Number(half)}" y2="${middle + Number(half)}"/>`,
      )
    }
    for (const [bit, name] of FLAG_MARKERS) {
      if (flag & bit) parts.push(`<use href="#diamond" class="${name}" x="${left}" y="${middle}"/>`)
    }
  })
  return parts.join('')
}

const rowTitle = (container: ContainerReport): string =>
  [
    `container ${container.containerId}`,
    container.environmentId ? `environment ${container.environmentId}` : null,
    container.workerId === null ? null : `worker ${container.workerId}`,
    `started ${formatTime(container.startedAt)} (${container.startType ?? 'start type unknown'})`,
    container.restartOf ? `restart of ${container.restartOf}` : null,
    `${endOf(container)} ${formatTime(container.shutdown?.at ?? container.lastSeenAt)}`,
    `lifetime ${formatDuration(container.lifetimeMs)}, ${formatCount(container.invocations)} invocations, ${formatCount(container.errors)} errors, ${formatCount(container.clientErrors)} client errors (4xx)`,
  ]
    .filter((line) => line !== null)
    .join('\n')

const renderRow = (container: ContainerReport, index: number, x: Scale): string => {
  const top = AXIS_HEIGHT + index * ROW_HEIGHT
  const middle = top + ROW_HEIGHT / 2
  const start = x(container.startedAt)
  const end = x(container.shutdown?.at ?? container.lastSeenAt)
  const startMarker =
    container.startType === 'cold'
      ? `<circle class="cold-start" cx="${round(start)}" cy="${middle}" r="4"/>`
      : `<circle class="warm-start" cx="${round(start)}" cy="${middle}" r="3.5"/>`
  return [
    `<g class="container-row" data-container-id="${escapeXml(container.containerId)}">`,
    `<title>${escapeXml(rowTitle(container))}</title>`,
    index % 2 === 0 ? `<rect class="stripe" x="0" y="${top}" width="${WIDTH}" height="${ROW_HEIGHT}"/>` : '',
    `<text class="row-label" x="${LABEL_WIDTH - 8}" y="${middle + 4}" text-anchor="end">${escapeXml(shortContainerLabel(container))}</text>`,
    `<rect class="${container.shutdown ? 'lifespan' : 'lifespan open-ended'}" x="${round(start)}" y="${middle - 2}" width="${round(Math.max(1, end - start))}" height="4"/>`,
    renderActivity(container, x, middle),
    startMarker,
    container.restartOf ? `<use href="#triangle" class="restart" x="${round(start)}" y="${middle}"/>` : '',
    container.shutdown
      ? `<rect class="shutdown" x="${round(end - 1.5)}" y="${middle - 6}" width="3" height="12"/>`
      : '',
    '</g>',
  ].join('')
}

const renderSvg = (model: ReportModel, rows: readonly ContainerReport[], note: string | null): string => {
  const { x, from, to } = timeScale(rows, model)
  const height = AXIS_HEIGHT + rows.length * ROW_HEIGHT + 8
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="Timeline of ${rows.length} containers${note ? ' (sampled)' : ''}">`,
    '<defs><path id="diamond" d="M0,-5 L5,0 L0,5 L-5,0 Z"/><path id="triangle" d="M-1,-7 L7,-7 L3,-1 Z"/></defs>',
    renderAxis(from, to, x, height - 8),
    ...rows.map((row, index) => renderRow(row, index, x)),
    '</svg>',
  ].join('\n')
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1f2933;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.range{color:#52606d;margin:0 0 16px}
table.summary{border-collapse:collapse}table.summary th{text-align:left;font-weight:600;padding:3px 16px 3px 0;white-space:nowrap;vertical-align:top}
table.summary td{padding:3px 0;font-variant-numeric:tabular-nums}
.note{background:#fff8e1;border-left:4px solid #f5a623;padding:6px 10px;margin:8px 0}
.warning{background:#fdecea;border-left:4px solid #d93025;padding:6px 10px;margin:8px 0}
.legend span{display:inline-flex;align-items:center;margin-right:16px}.legend svg{margin-right:4px}
.chart{overflow-x:auto}
svg .grid{stroke:#e4e7eb}svg .axis-label{font-size:11px;fill:#52606d}
svg .stripe{fill:#f7f9fb}svg .row-label{font:11px ui-monospace,Menlo,monospace;fill:#323f4b}
svg .lifespan{fill:#9aa5b1}svg .open-ended{fill:#cbd2d9}
svg .tick{stroke:#2f80ed;stroke-width:1.5}svg .tick.error{stroke:#d93025}svg .tick.client-error{stroke:#f5a623}
svg .cold-start{fill:#1c4ed8}svg .warm-start{fill:#fff;stroke:#1c4ed8;stroke-width:1.5}
svg .restart{fill:#f57c00}svg .shutdown{fill:#1f2933}
svg .breaker-open{fill:#d93025}svg .breaker-half-open{fill:#f5a623}svg .breaker-close{fill:#2e7d32}
svg .timeout-warning{fill:#8e24aa}
`

const LEGEND = [
  ['<circle class="cold-start" cx="7" cy="7" r="4"/>', 'cold start'],
  ['<circle class="warm-start" cx="7" cy="7" r="3.5"/>', 'pre-initialized / unknown start'],
  ['<line class="tick" x1="7" x2="7" y1="1" y2="13"/>', 'invocations (taller = more)'],
  ['<line class="tick error" x1="7" x2="7" y1="1" y2="13"/>', 'with errors (thrown or 5xx)'],
  ['<line class="tick client-error" x1="7" x2="7" y1="1" y2="13"/>', 'with client errors (4xx)'],
  ['<path class="restart" d="M6,2 L14,2 L10,8 Z"/>', 'restart after crash/timeout'],
  ['<rect class="shutdown" x="5.5" y="1" width="3" height="12"/>', 'shutdown'],
  ['<path class="breaker-open" d="M7,2 L12,7 L7,12 L2,7 Z"/>', 'breaker open'],
  ['<path class="breaker-half-open" d="M7,2 L12,7 L7,12 L2,7 Z"/>', 'half-open'],
  ['<path class="breaker-close" d="M7,2 L12,7 L7,12 L2,7 Z"/>', 'closed'],
  ['<path class="timeout-warning" d="M7,2 L12,7 L7,12 L2,7 Z"/>', 'timeout warning'],
]
  .map(([shape, label]) => `<span><svg width="14" height="14">${shape}</svg>${label}</span>`)
  .join('')

/**
 * A self-contained HTML page (inline CSS and SVG, nothing fetched): the summary statistics and a timeline
 * with one row per container from start to shutdown or last line, a tick per busy time bin, and markers for
 * cold starts, restarts, shutdowns, breaker changes and timeout warnings. Above `maxRows` containers, rows
 * are sampled and the page says so.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises'
 * import { buildReport, readLifecycleLines, renderHtml } from '@lambda-lifetime/report'
 *
 * await writeFile('report.html', renderHtml(await buildReport(readLifecycleLines('logs/'))))
 * ```
 */
export const renderHtml = (model: ReportModel, options: RenderHtmlOptions = {}): string => {
  validateOptions('@lambda-lifetime/report', RENDER_HTML_SCHEMA, options, { label: 'renderHtml options' })
  const title = options.title ?? 'Container lifetimes'
  const { rows, note } = selectRows(model.containers, options.maxRows ?? 60)
  const warning = newerSchemaWarning(model)
  const range = model.timeRange
  const summary = summaryRows(model)
    .map(([key, value]) => `<tr><th>${escapeXml(key)}</th><td>${escapeXml(value)}</td></tr>`)
    .join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body>
<h1>${escapeXml(title)}</h1>
<p class="range">${range ? `${formatTime(range.from)} to ${formatTime(range.to)} (${formatDuration(range.to - range.from)})` : 'No lifecycle lines found.'} · ${formatCount(model.lines.total)} lines read, ${formatCount(model.lines.lifecycle)} lifecycle lines</p>
${warning ? `<p class="warning">${escapeXml(warning)}</p>` : ''}
<table class="summary">${summary}</table>
<h2>Timeline</h2>
${note ? `<p class="note">${escapeXml(note)}</p>` : ''}
<p class="legend">${LEGEND}</p>
<div class="chart">${renderSvg(model, rows, note)}</div>
<h2>Skipped lines</h2>
<p>${escapeXml(formatSkipped(model))}</p>
</body></html>
`
}

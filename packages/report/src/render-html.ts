import { rules, validateOptions } from '@lambda-lifetime/commons'
import {
  endOf,
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
  summaryRowsOf,
} from './format.js'
import { escapeXml, renderCharts } from './render-charts.js'
import { BIN_FLAGS, type ContainerReport, type ReportModel, type ReportSummary } from './types.js'

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
// Tall enough for an 11 px label and the tallest tick (±7 px) with air between rows.
const ROW_HEIGHT = 22
/** Containers highlighted as the longest-lived, in the timeline and the table: the top 10%, 1 to 5 of them. */
const LONGEST_HIGHLIGHTED = 5
const longestCount = (containers: number): number =>
  Math.min(LONGEST_HIGHLIGHTED, Math.max(1, Math.ceil(containers / 10)))
/** Rows of the container table at most (the longest-lived); the statistics cover every container. */
const MAX_TABLE_ROWS = 2_000
/** Functions that get a view of their own in the filter; the overall view covers all of them. */
const MAX_FUNCTION_VIEWS = 20
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - RIGHT_MARGIN
const AXIS_STEPS_MS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000,
  21_600_000, 43_200_000, 86_400_000, 604_800_000,
]

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

/** From the earliest start to the latest end or line (reduced, not spread: there may be 100,000 containers). */
const fullRange = (model: ReportModel): { from: number; to: number } => {
  const from = model.containers.reduce(
    (earliest, row) => Math.min(earliest, row.startedAt),
    model.timeRange?.from ?? 0,
  )
  const to = model.containers.reduce(
    (latest, row) => Math.max(latest, row.shutdown?.at ?? row.lastSeenAt),
    Math.max(model.timeRange?.to ?? 0, from + 1_000),
  )
  return { from, to }
}

const timeScale = ({ from, to }: { from: number; to: number }): { x: Scale; from: number; to: number } => ({
  x: (epochMs) => LABEL_WIDTH + ((epochMs - from) / (to - from)) * PLOT_WIDTH,
  from,
  to,
})

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

const renderRow = (container: ContainerReport, index: number, x: Scale, longest: boolean): string => {
  const top = AXIS_HEIGHT + index * ROW_HEIGHT
  const middle = top + ROW_HEIGHT / 2
  const start = x(container.startedAt)
  const end = x(container.shutdown?.at ?? container.lastSeenAt)
  const startMarker =
    container.startType === 'cold'
      ? `<circle class="cold-start" cx="${round(start)}" cy="${middle}" r="4"/>`
      : `<circle class="warm-start" cx="${round(start)}" cy="${middle}" r="3.5"/>`
  return [
    `<g class="container-row" data-container-id="${escapeXml(container.containerId)}"${longest ? ' data-longest="true"' : ''}>`,
    `<title>${escapeXml(`${longest ? 'one of the longest-lived\n' : ''}${rowTitle(container)}`)}</title>`,
    longest
      ? `<rect class="longest-band" x="0" y="${top}" width="${WIDTH}" height="${ROW_HEIGHT}"/><text class="longest-mark" x="4" y="${middle + 4}">★</text>`
      : index % 2 === 0
        ? `<rect class="stripe" x="0" y="${top}" width="${WIDTH}" height="${ROW_HEIGHT}"/>`
        : '',
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

const renderSvg = (
  range: { from: number; to: number },
  rows: readonly ContainerReport[],
  note: string | null,
  longest: ReadonlySet<string>,
): string => {
  const { x, from, to } = timeScale(range)
  const height = AXIS_HEIGHT + rows.length * ROW_HEIGHT + 8
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="Timeline of ${rows.length} containers${note ? ' (sampled)' : ''}">`,
    '<defs><path id="diamond" d="M0,-5 L5,0 L0,5 L-5,0 Z"/><path id="triangle" d="M-1,-7 L7,-7 L3,-1 Z"/></defs>',
    renderAxis(from, to, x, height - 8),
    ...rows.map((row, index) => renderRow(row, index, x, longest.has(row.containerId))),
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
svg .longest-band{fill:#fff4d6}svg .longest-mark{font-size:12px;fill:#b7791f}svg [data-longest] .row-label{font-weight:700}
.filter{margin:8px 0 4px}.filter select{font:inherit;padding:2px 4px}
table.functions,table.containers{border-collapse:collapse;font-variant-numeric:tabular-nums}
table.functions,table.containers{font-size:13px}
table.functions th,table.functions td,table.containers th,table.containers td{padding:3px 7px;border-bottom:1px solid #e4e7eb;text-align:left;white-space:nowrap}
table.containers td.number,table.functions td.number{text-align:right}
table.containers th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:#1f2933}
table.containers th button:focus-visible{outline:2px solid #1c4ed8;outline-offset:2px}
table.containers th[aria-sort=ascending] button::after{content:" ▲"}table.containers th[aria-sort=descending] button::after{content:" ▼"}
table.containers tr.longest td{background:#fff4d6}table.containers tr.longest td:first-child::before{content:"★ ";color:#b7791f}
.table-wrap{overflow-x:auto;max-height:600px;overflow-y:auto}
.table-wrap thead th{position:sticky;top:0;background:#fff}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
figure.chart-card{margin:0}figure.chart-card figcaption{display:flex;flex-direction:column;margin-bottom:4px}
figure.chart-card .reading{color:#52606d;font-size:13px}
svg .axis-line{stroke:#52606d}svg .axis-title{font-size:12px;fill:#323f4b}
svg .bar{fill:#2f80ed}svg .step{fill:none;stroke:#1c4ed8;stroke-width:1.5}svg .area{fill:#2f80ed;fill-opacity:.15}
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
  ['<text x="1" y="12" style="fill:#b7791f;font-size:12px">★</text>', 'among the longest-lived'],
]
  .map(([shape, label]) => `<span><svg width="14" height="14">${shape}</svg>${label}</span>`)
  .join('')

// Offline, no dependency: the function filter shows one view and the container rows of that function; a
// header button sorts the container table (buttons, so the keyboard works as the mouse does).
const SCRIPT = `(() => {
  const filter = document.getElementById('function-filter')
  const table = document.getElementById('containers')
  const count = document.getElementById('containers-shown')
  const apply = () => {
    const view = filter ? filter.value : 'all'
    for (const section of document.querySelectorAll('section.view')) section.hidden = section.dataset.view !== view
    let shown = 0
    for (const row of table.tBodies[0].rows) {
      row.hidden = view !== 'all' && row.dataset.function !== view
      if (!row.hidden) shown += 1
    }
    count.textContent = String(shown)
  }
  if (filter) filter.addEventListener('change', apply)
  for (const button of table.querySelectorAll('thead button')) {
    button.addEventListener('click', () => {
      const header = button.parentElement
      const column = [...header.parentElement.children].indexOf(header)
      const ascending = header.getAttribute('aria-sort') !== 'ascending'
      for (const other of header.parentElement.children) other.setAttribute('aria-sort', 'none')
      header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending')
      const numeric = header.dataset.type === 'number'
      const value = (row) => row.cells[column].dataset.value
      const rows = [...table.tBodies[0].rows].sort((a, b) => {
        const order = numeric ? Number(value(a)) - Number(value(b)) : value(a).localeCompare(value(b))
        return ascending ? order : -order
      })
      table.tBodies[0].append(...rows)
    })
  }
  apply()
})()`

/** The ids of the longest-lived containers, highlighted in the timeline and the table. */
const longestLived = (containers: readonly ContainerReport[]): Set<string> =>
  new Set(
    [...containers]
      .sort((a, b) => b.lifetimeMs - a.lifetimeMs)
      .slice(0, longestCount(containers.length))
      .map((container) => container.containerId),
  )

const summaryTable = (summary: ReportSummary): string =>
  `<table class="summary">${summaryRowsOf(summary)
    .map(([key, value]) => `<tr><th>${escapeXml(key)}</th><td>${escapeXml(value)}</td></tr>`)
    .join('')}</table>`

const numberCell = (value: number, text: string): string =>
  `<td class="number" data-value="${value}">${escapeXml(text)}</td>`
const textCell = (value: string, title?: string): string =>
  `<td data-value="${escapeXml(value)}"${title ? ` title="${escapeXml(title)}"` : ''}>${escapeXml(value)}</td>`

const FUNCTION_HEADERS = [
  'function',
  'containers',
  'invocations',
  'cold starts',
  'p50',
  'p90',
  'p99',
  'max',
  'init p50',
  'errors (5xx, thrown)',
  'client errors (4xx)',
]

const functionsTable = (model: ReportModel): string => {
  const rows = [
    ...model.functions.map(({ functionName, summary }) => [functionLabel(functionName), summary] as const),
    ['all functions', model.summary] as const,
  ].map(([name, summary]) => {
    const latency = summary.latencyMs.all
    const cells = [
      `<th scope="row">${escapeXml(name)}</th>`,
      numberCell(summary.containers, formatCount(summary.containers)),
      numberCell(summary.invocations, formatCount(summary.invocations)),
      numberCell(
        summary.coldStarts,
        `${formatCount(summary.coldStarts)} (${formatRatio(summary.coldStartRatio)})`,
      ),
      ...(['p50', 'p90', 'p99', 'max'] as const).map((key) =>
        numberCell(
          latency?.[key] ?? 0,
          latency ? `${key === 'max' ? '' : '~'}${formatLatency(latency[key])}` : 'n/a',
        ),
      ),
      numberCell(summary.initMs?.median ?? 0, summary.initMs ? formatLatency(summary.initMs.median) : 'n/a'),
      numberCell(summary.errors, formatCount(summary.errors)),
      numberCell(summary.clientErrors, formatCount(summary.clientErrors)),
    ]
    return `<tr>${cells.join('')}</tr>`
  })
  return `<table class="functions"><thead><tr>${FUNCTION_HEADERS.map((header) => `<th scope="col">${escapeXml(header)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`
}

const CONTAINER_COLUMNS: ReadonlyArray<readonly [string, 'text' | 'number']> = [
  ['function', 'text'],
  ['container', 'text'],
  ['environment', 'text'],
  ['started (UTC)', 'number'],
  ['start type', 'text'],
  ['init', 'number'],
  ['lifetime', 'number'],
  ['invocations', 'number'],
  ['errors', 'number'],
  ['4xx', 'number'],
  ['timeouts', 'number'],
  ['end', 'text'],
]

const containerRow = (container: ContainerReport, view: string, longest: boolean): string =>
  [
    `<tr data-function="${escapeXml(view)}"${longest ? ' class="longest"' : ''}>`,
    textCell(functionLabel(container.functionName)),
    textCell(shortContainerLabel(container), container.containerId),
    textCell(container.environmentId?.slice(-12) ?? '-', container.environmentId ?? undefined),
    `<td data-value="${container.startedAt}">${escapeXml(formatTime(container.startedAt))}</td>`,
    textCell(container.startType ?? 'unknown'),
    numberCell(container.initMs ?? -1, container.initMs === null ? '-' : formatLatency(container.initMs)),
    numberCell(container.lifetimeMs, formatDuration(container.lifetimeMs)),
    numberCell(container.invocations, formatCount(container.invocations)),
    numberCell(container.errors, formatCount(container.errors)),
    numberCell(container.clientErrors, formatCount(container.clientErrors)),
    numberCell(container.timeoutWarnings, formatCount(container.timeoutWarnings)),
    textCell(endOf(container)),
    '</tr>',
  ].join('')

const containerTable = (
  model: ReportModel,
  viewOf: (container: ContainerReport) => string,
  longest: ReadonlySet<string>,
): string => {
  const listed =
    model.containers.length <= MAX_TABLE_ROWS
      ? model.containers
      : [...model.containers].sort((a, b) => b.lifetimeMs - a.lifetimeMs).slice(0, MAX_TABLE_ROWS)
  const note =
    listed.length < model.containers.length
      ? `<p class="note">Listing the ${formatCount(listed.length)} longest-lived of ${formatCount(model.containers.length)} containers.</p>`
      : ''
  const headers = CONTAINER_COLUMNS.map(
    ([name, type]) =>
      `<th scope="col" aria-sort="none" data-type="${type}"><button type="button">${escapeXml(name)}</button></th>`,
  ).join('')
  return `${note}<p><span id="containers-shown">${formatCount(listed.length)}</span> containers listed; click a header (or press Enter on it) to sort, ★ marks the ${longest.size === 1 ? 'longest-lived' : `${longest.size} longest-lived`}.</p>
<div class="table-wrap"><table class="containers" id="containers"><thead><tr>${headers}</tr></thead><tbody>${listed
    .map((container) => containerRow(container, viewOf(container), longest.has(container.containerId)))
    .join('')}</tbody></table></div>`
}

interface View {
  readonly key: string
  readonly label: string
  readonly containers: readonly ContainerReport[]
  readonly summary: ReportSummary
}

const renderView = (
  view: View,
  range: { from: number; to: number },
  maxRows: number,
  longest: ReadonlySet<string>,
  hidden: boolean,
): string => {
  const { rows, note } = selectRows(view.containers, maxRows)
  return `<section class="view" data-view="${escapeXml(view.key)}"${hidden ? ' hidden' : ''}>
<h2>Summary: ${escapeXml(view.label)}</h2>
${summaryTable(view.summary)}
<h2>Charts: ${escapeXml(view.label)}</h2>
${renderCharts(view.containers, view.summary, range)}
<h2>Timeline: ${escapeXml(view.label)}</h2>
${note ? `<p class="note">${escapeXml(note)}</p>` : ''}
<p class="legend">${LEGEND}</p>
<div class="chart">${renderSvg(range, rows, note, longest)}</div>
</section>`
}

/**
 * A self-contained HTML page (inline CSS, SVG and a small script, nothing fetched): a function filter, the
 * summary per function and overall, charts (fleet size and cold starts over time, lifetimes, invocations
 * per container, idle gaps), a timeline with one row per container from start to shutdown or last line
 * (a tick per busy time bin, markers for cold starts, restarts, shutdowns, breaker changes and timeout
 * warnings, the longest-lived highlighted) and a sortable table of the containers. Above `maxRows`
 * containers, timeline rows are sampled and the page says so.
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
  const maxRows = options.maxRows ?? 60
  const warning = newerSchemaWarning(model)
  const range = model.timeRange
  const span = fullRange(model)
  const longest = longestLived(model.containers)
  const keyed = model.functions
    .slice(0, MAX_FUNCTION_VIEWS)
    .map((entry, index) => ({ ...entry, key: `f${index}` }))
  const keyOf = new Map(keyed.map((entry) => [entry.functionName, entry.key]))
  const viewOf = (container: ContainerReport) => keyOf.get(container.functionName) ?? 'other'
  const views: View[] = [
    { key: 'all', label: 'all functions', containers: model.containers, summary: model.summary },
    ...(keyed.length > 1
      ? keyed.map((entry) => ({
          key: entry.key,
          label: functionLabel(entry.functionName),
          containers: model.containers.filter((container) => container.functionName === entry.functionName),
          summary: entry.summary,
        }))
      : []),
  ]
  const filter =
    views.length > 1
      ? `<p class="filter"><label for="function-filter">Function </label><select id="function-filter">${views
          .map(
            (view) =>
              `<option value="${escapeXml(view.key)}">${escapeXml(view.label)} (${formatCount(view.summary.containers)} containers)</option>`,
          )
          .join(
            '',
          )}</select>${model.functions.length > MAX_FUNCTION_VIEWS ? ` (the first ${MAX_FUNCTION_VIEWS} of ${formatCount(model.functions.length)} functions; "all functions" covers every one)` : ''}</p>`
      : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body>
<h1>${escapeXml(title)}</h1>
<p class="range">${range ? `${formatTime(range.from)} to ${formatTime(range.to)} (${formatDuration(range.to - range.from)})` : 'No lifecycle lines found.'} · ${formatCount(model.lines.total)} lines read, ${formatCount(model.lines.lifecycle)} lifecycle lines (${formatSchemaVersions(model)})</p>
${warning ? `<p class="warning">${escapeXml(warning)}</p>` : ''}
<h2>Functions</h2>
${functionsTable(model)}
${filter}
${views.map((view, index) => renderView(view, span, maxRows, longest, index > 0)).join('\n')}
<h2>Containers</h2>
${containerTable(model, viewOf, longest)}
<h2>Skipped lines</h2>
<p>${escapeXml(formatSkipped(model))}</p>
<script>${SCRIPT}</script>
</body></html>
`
}

/**
 * The report's small charts, hand-written SVG: each with axes, units and a one-line reading aid. Every
 * chart has a fixed number of bars or points whatever the number of containers, so the page stays small.
 */
import { formatCount, formatDuration } from './format.js'
import type { ContainerReport, CountClass, ReportSummary } from './types.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const WIDTH = 560
const HEIGHT = 220
const LEFT = 52
const RIGHT = 12
const TOP = 12
const BOTTOM = 44
const PLOT_WIDTH = WIDTH - LEFT - RIGHT
const PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
/** Time bins of the charts over time: about one per 4.5 px. */
const TIME_BINS = 120

/** Escapes text for HTML and SVG. */
export const escapeXml = (value: string): string =>
  value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

const round = (value: number): string => value.toFixed(1)

/**
 * A round top for the y axis, at least the largest value and at least 2: 1, 2, 4, 6 or 8 times a power of
 * ten, so that the middle grid line (half of it) is a whole count too.
 */
export const niceMax = (value: number): number => {
  if (value <= 2) return 2
  const power = 10 ** Math.floor(Math.log10(value))
  return ([1, 2, 4, 6, 8, 10].find((step) => step * power >= value) as number) * power
}

interface ChartFrame {
  readonly title: string
  /** One line that tells a person what to look for. */
  readonly reading: string
  /** What the y axis counts, with its unit. */
  readonly yLabel: string
  /** What the x axis shows, with its unit. */
  readonly xLabel: string
  readonly className: string
}

const yAxis = (top: number, format: (value: number) => string): string => {
  const parts: string[] = []
  for (const share of [0, 0.5, 1]) {
    const y = round(TOP + PLOT_HEIGHT * (1 - share))
    parts.push(
      `<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}"/>`,
      `<text class="axis-label" x="${LEFT - 6}" y="${Number(y) + 4}" text-anchor="end">${format(top * share)}</text>`,
    )
  }
  return parts.join('')
}

const frame = (chart: ChartFrame, body: string, xLabels: string): string =>
  [
    `<figure class="chart-card ${chart.className}">`,
    `<figcaption><strong>${escapeXml(chart.title)}</strong><span class="reading">${escapeXml(chart.reading)}</span></figcaption>`,
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeXml(`${chart.title}: ${chart.yLabel} by ${chart.xLabel}`)}">`,
    body,
    `<line class="axis-line y-axis" x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${TOP + PLOT_HEIGHT}"/>`,
    `<line class="axis-line x-axis" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${TOP + PLOT_HEIGHT}" y2="${TOP + PLOT_HEIGHT}"/>`,
    xLabels,
    `<text class="axis-title" x="${LEFT + PLOT_WIDTH / 2}" y="${HEIGHT - 4}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text class="axis-title" transform="translate(12 ${TOP + PLOT_HEIGHT / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
    '</svg></figure>',
  ].join('')

const countFormat = (value: number): string =>
  value >= 10_000 ? `${formatCount(value / 1_000)}k` : formatCount(value)

/** A bar per class, labelled under the axis. */
const classChart = (chart: ChartFrame, labels: readonly string[], values: readonly number[]): string => {
  const top = niceMax(Math.max(0, ...values))
  const slot = PLOT_WIDTH / values.length
  const bars = values
    .map((value, index) => {
      const height = (value / top) * PLOT_HEIGHT
      const x = LEFT + index * slot
      return `<rect class="bar" x="${round(x + slot * 0.15)}" y="${round(TOP + PLOT_HEIGHT - height)}" width="${round(slot * 0.7)}" height="${round(height)}"><title>${escapeXml(`${labels[index]}: ${formatCount(value)}`)}</title></rect>`
    })
    .join('')
  const xLabels = labels
    .map(
      (label, index) =>
        `<text class="axis-label" x="${round(LEFT + (index + 0.5) * slot)}" y="${TOP + PLOT_HEIGHT + 15}" text-anchor="middle">${escapeXml(label)}</text>`,
    )
    .join('')
  return frame(chart, yAxis(top, countFormat) + bars, xLabels)
}

/** A time on a chart's axis, to the second over a short span, with the date over a long one. */
export const clock = (epochMs: number, spanMs: number): string => {
  const iso = new Date(epochMs).toISOString()
  if (spanMs < 10 * MINUTE) return iso.slice(11, 19)
  return spanMs > 2 * 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16)
}

const timeLabels = (from: number, to: number): string =>
  [0, 0.25, 0.5, 0.75, 1]
    .map(
      (share) =>
        `<text class="axis-label" x="${round(LEFT + share * PLOT_WIDTH)}" y="${TOP + PLOT_HEIGHT + 15}" text-anchor="${share === 0 ? 'start' : share === 1 ? 'end' : 'middle'}">${clock(from + share * (to - from), to - from)}</text>`,
    )
    .join('')

/** A value per time bin: a step line (a level, like the fleet size) or bars (events, like cold starts). */
const timeChart = (
  chart: ChartFrame,
  values: readonly number[],
  range: { from: number; to: number },
  shape: 'step' | 'bars',
): string => {
  const top = niceMax(Math.max(0, ...values))
  const step = PLOT_WIDTH / values.length
  const y = (value: number) => TOP + PLOT_HEIGHT - (value / top) * PLOT_HEIGHT
  const binMs = (range.to - range.from) / values.length
  let body: string
  if (shape === 'step') {
    const points = values.flatMap((value, index) => [
      `${round(LEFT + index * step)},${round(y(value))}`,
      `${round(LEFT + (index + 1) * step)},${round(y(value))}`,
    ])
    body = `<polyline class="step" points="${points.join(' ')}"/><polygon class="area" points="${LEFT},${TOP + PLOT_HEIGHT} ${points.join(' ')} ${WIDTH - RIGHT},${TOP + PLOT_HEIGHT}"/>`
  } else {
    body = values
      .map((value, index) =>
        value === 0
          ? ''
          : `<rect class="bar" x="${round(LEFT + index * step)}" y="${round(y(value))}" width="${round(Math.max(1, step - 1))}" height="${round(TOP + PLOT_HEIGHT - y(value))}"><title>${escapeXml(`${clock(range.from + index * binMs, range.to - range.from)}: ${formatCount(value)}`)}</title></rect>`,
      )
      .join('')
  }
  return frame(chart, yAxis(top, countFormat) + body, timeLabels(range.from, range.to))
}

const endOfLife = (container: ContainerReport): number => container.shutdown?.at ?? container.lastSeenAt

/** Containers alive in each bin: the most at any moment within it (a sweep over starts and ends). */
export const fleetSize = (
  containers: readonly ContainerReport[],
  range: { from: number; to: number },
  bins = TIME_BINS,
): number[] => {
  const changes = containers.flatMap((container) => [
    { at: container.startedAt, delta: 1 },
    { at: endOfLife(container), delta: -1 },
  ])
  // At the same instant, a start before an end: a replacement overlapping by 0 ms still counts both.
  changes.sort((a, b) => a.at - b.at || b.delta - a.delta)
  const binMs = Math.max(1, range.to - range.from) / bins
  const peaks = new Array<number>(bins).fill(0)
  let alive = 0
  let next = 0
  for (let bin = 0; bin < bins; bin += 1) {
    const binEnd = range.from + (bin + 1) * binMs
    let peak = alive
    while (next < changes.length && (changes[next] as { at: number }).at < binEnd) {
      alive += (changes[next] as { delta: number }).delta
      peak = Math.max(peak, alive)
      next += 1
    }
    peaks[bin] = peak
  }
  return peaks
}

/** Cold starts (containers whose first invocation was cold) per time bin. */
export const coldStartsOverTime = (
  containers: readonly ContainerReport[],
  range: { from: number; to: number },
  bins = TIME_BINS / 2,
): number[] => {
  const counts = new Array<number>(bins).fill(0)
  const span = Math.max(1, range.to - range.from)
  for (const container of containers) {
    if (container.startType !== 'cold') continue
    const bin = Math.min(
      bins - 1,
      Math.max(0, Math.floor(((container.startedAt - range.from) / span) * bins)),
    )
    counts[bin] = (counts[bin] as number) + 1
  }
  return counts
}

const LIFETIME_EDGES = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  HOUR,
  2 * HOUR,
  4 * HOUR,
  8 * HOUR,
  12 * HOUR,
  24 * HOUR,
]
const LIFETIME_LABELS = ['<1m', '1-5m', '5-15m', '15m-1h', '1-2h', '2-4h', '4-8h', '8-12h', '12-24h', '≥1d']
const INVOCATION_EDGES = [1, 2, 11, 101, 1_001, 10_001]
const INVOCATION_LABELS = ['0', '1', '2-10', '11-100', '101-1k', '1k-10k', '>10k']

/** How many values fall below each edge and at or above the last. */
export const classify = (values: readonly number[], edges: readonly number[]): number[] => {
  const counts = new Array<number>(edges.length + 1).fill(0)
  for (const value of values) {
    const slot = edges.findIndex((edge) => value < edge)
    const index = slot < 0 ? edges.length : slot
    counts[index] = (counts[index] as number) + 1
  }
  return counts
}

const shortDuration = (ms: number): string =>
  ms < MINUTE ? `${ms / 1_000}s` : ms < HOUR ? `${ms / MINUTE}m` : `${ms / HOUR}h`

const gapLabel = ({ fromMs, toMs }: CountClass): string => {
  if (toMs === null) return `≥${shortDuration(fromMs)}`
  return fromMs === 0 ? `<${shortDuration(toMs)}` : `${shortDuration(fromMs)}-${shortDuration(toMs)}`
}

/**
 * The five charts of one view (all functions, or one): fleet size and cold starts over time, lifetime
 * distribution, invocations per container, idle gaps before warm invocations.
 */
export const renderCharts = (
  containers: readonly ContainerReport[],
  summary: ReportSummary,
  range: { from: number; to: number },
): string => {
  const binMs = (range.to - range.from) / TIME_BINS
  const peak = Math.max(0, ...fleetSize(containers, range))
  const longest = summary.lifetimeMs ? formatDuration(summary.lifetimeMs.max) : 'n/a'
  return [
    '<div class="charts">',
    timeChart(
      {
        title: 'Environments alive over time (fleet size)',
        reading: `The most containers alive at once in each ${formatDuration(binMs)} slot; peak ${formatCount(peak)}. Steps up are scale-outs, steps down are reaps.`,
        yLabel: 'containers alive',
        xLabel: 'time (UTC)',
        className: 'fleet-size',
      },
      fleetSize(containers, range),
      range,
      'step',
    ),
    timeChart(
      {
        title: 'Cold starts over time',
        reading: `New containers that started cold, per ${formatDuration(binMs * 2)}; ${formatCount(summary.coldStarts)} in all. Bursts follow traffic spikes or mass reaps.`,
        yLabel: 'cold starts',
        xLabel: 'time (UTC)',
        className: 'cold-starts',
      },
      coldStartsOverTime(containers, range),
      range,
      'bars',
    ),
    classChart(
      {
        title: 'Lifetime distribution',
        reading: `How long containers lived (start to shutdown or last line); the longest ${longest}. Bars on the right are containers that lived for hours.`,
        yLabel: 'containers',
        xLabel: 'lifetime',
        className: 'lifetimes',
      },
      LIFETIME_LABELS,
      classify(
        containers.map((container) => container.lifetimeMs),
        LIFETIME_EDGES,
      ),
    ),
    classChart(
      {
        title: 'Invocations per container',
        reading: `Requests each container served; mean ${summary.invocationsPerContainer ? summary.invocationsPerContainer.mean.toFixed(1) : 'n/a'}. Many bars at 1 mean containers are rarely reused.`,
        yLabel: 'containers',
        xLabel: 'invocations served',
        className: 'invocations',
      },
      INVOCATION_LABELS,
      classify(
        containers.map((container) => container.invocations),
        INVOCATION_EDGES,
      ),
    ),
    classChart(
      {
        title: 'Idle gaps before warm invocations',
        reading: `How long a container sat frozen before a warm request (${formatCount(summary.idleGapMs?.count ?? 0)} gaps). Gaps near the reap time foretell cold starts.`,
        yLabel: 'warm invocations',
        xLabel: 'idle gap',
        className: 'idle-gaps',
      },
      summary.idleGapClasses.map(gapLabel),
      summary.idleGapClasses.map((entry) => entry.count),
    ),
    '</div>',
  ].join('')
}

import { describe, expect, it } from '@jest/globals'
import { buildReport, renderHtml, renderJson, renderTable } from '@lambda-lifetime/report'
import fc from 'fast-check'
import { DurationSketch, LogHistogram } from '../src/bins.js'
import { classify, clock, coldStartsOverTime, fleetSize, niceMax } from '../src/render-charts.js'
import { lifecycleLine } from './fixtures.js'
import { generateLifecycleLines } from './support/generate.js'

const ENVIRONMENT = '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef'

/** One invocation.end line of container `container` of function `fn`. */
const end = (container: string, fn: string | null, at: number, fields: Record<string, unknown>): string => {
  const line = JSON.parse(
    lifecycleLine({
      at,
      container,
      environment: ENVIRONMENT,
      startedAt: 0,
      fields: { event: 'invocation.end', ...fields },
    }),
  ) as Record<string, unknown>
  if (fn === null) delete line.function_name
  else line.function_name = fn
  return JSON.stringify(line)
}

const nearestRank = (values: readonly number[], fraction: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] as number
}

describe('the report per function (issue 15)', () => {
  it('summarizes each function and all of them, and the parts add up to the whole', async () => {
    // Prepare
    const lines = generateLifecycleLines({
      lines: 12_000,
      containers: 24,
      seed: 3,
      functions: ['orders-api', 'payments', 'emails'],
    })

    // Act
    const model = await buildReport(lines)

    // Assess
    expect(model.functions.map((entry) => entry.functionName)).toEqual(['emails', 'orders-api', 'payments'])
    expect(model.summary.functions).toBe(3)
    const sum = (pick: (summary: (typeof model.functions)[number]['summary']) => number) =>
      model.functions.reduce((total, entry) => total + pick(entry.summary), 0)
    expect(sum((summary) => summary.containers)).toBe(model.summary.containers)
    expect(sum((summary) => summary.invocations)).toBe(model.summary.invocations)
    expect(sum((summary) => summary.errors)).toBe(model.summary.errors)
    expect(sum((summary) => summary.clientErrors)).toBe(model.summary.clientErrors)
    expect(sum((summary) => summary.coldStarts)).toBe(model.summary.coldStarts)
    expect(sum((summary) => summary.latencyMs.all?.count ?? 0)).toBe(model.summary.latencyMs.all?.count)
    expect(sum((summary) => summary.idleGapMs?.count ?? 0)).toBe(model.summary.idleGapMs?.count)
    for (const { functionName, summary } of model.functions) {
      expect(summary.containers).toBe(
        model.containers.filter((container) => container.functionName === functionName).length,
      )
    }
  })

  it('keeps containers without a function_name apart, listed last', async () => {
    // Prepare
    const lines = [
      end('c1', 'orders-api', 1_000, { invocation: 1, duration_ms: 5 }),
      end('c2', null, 2_000, { invocation: 1, duration_ms: 7 }),
    ]

    // Act
    const model = await buildReport(lines)

    // Assess
    expect(model.functions.map((entry) => [entry.functionName, entry.summary.invocations])).toEqual([
      ['orders-api', 1],
      [null, 1],
    ])
    expect(renderTable(model)).toContain('(no function_name)')
  })

  it('gives duration percentiles cold and warm apart, and the init of cold starts', async () => {
    // Prepare: one cold invocation of 800 ms after a 300 ms init, then 100 warm ones of 1 to 100 ms
    const start = lifecycleLine({
      at: 500,
      container: 'c1',
      environment: ENVIRONMENT,
      startedAt: 0,
      fields: {
        event: 'container.start',
        invocation: 1,
        cold_start: true,
        start_type: 'cold',
        since_runtime_start_ms: 300,
      },
    })
    const cold = end('c1', 'orders-api', 1_300, {
      invocation: 1,
      cold_start: true,
      start_type: 'cold',
      duration_ms: 800,
    })
    const warm = Array.from({ length: 100 }, (_, index) =>
      end('c1', 'orders-api', 2_000 + index * 1_000, {
        invocation: index + 2,
        cold_start: false,
        start_type: 'warm',
        duration_ms: index + 1,
      }),
    )

    // Act
    const { summary, containers } = await buildReport([start, cold, ...warm])

    // Assess
    expect(summary.latencyMs.cold).toEqual({ count: 1, min: 800, p50: 800, p90: 800, p99: 800, max: 800 })
    const latency = summary.latencyMs.warm
    expect(latency).toMatchObject({ count: 100, min: 1, max: 100 })
    for (const [key, exact] of [
      ['p50', 50],
      ['p90', 90],
      ['p99', 99],
    ] as const) {
      expect(latency?.[key]).toBeGreaterThanOrEqual(exact)
      expect(latency?.[key]).toBeLessThanOrEqual(exact * 1.045)
    }
    expect(summary.latencyMs.all).toMatchObject({ count: 101, min: 1, max: 800 })
    expect(containers[0]?.initMs).toBe(300)
    expect(summary.initMs).toEqual({ count: 1, min: 300, median: 300, p90: 300, max: 300 })
  })

  it('tells 1,000 functions apart and counts the lines of any further one under (other functions)', async () => {
    // Prepare: a log that names a new function on every line
    const lines = Array.from({ length: 1_010 }, (_, index) =>
      end(`c${index}`, `fn-${String(index).padStart(4, '0')}`, 1_000 + index, {
        invocation: 1,
        duration_ms: 3,
      }),
    )

    // Act
    const model = await buildReport(lines, { bins: 1 })

    // Assess
    expect(model.functions).toHaveLength(1_001)
    const other = model.functions.find((entry) => entry.functionName === '(other functions)')
    expect(other?.summary).toMatchObject({
      containers: 10,
      invocations: 10,
      latencyMs: { all: { count: 10 } },
    })
    expect(
      model.containers.filter((container) => container.functionName === '(other functions)'),
    ).toHaveLength(10)
    expect(model.summary.latencyMs.all?.count).toBe(1_010)
  })

  it('ignores a duration that is not a non-negative number', async () => {
    // Act
    const { summary } = await buildReport([
      end('c1', 'f', 1_000, { invocation: 1, duration_ms: -3 }),
      end('c1', 'f', 2_000, { invocation: 2, duration_ms: 'slow' }),
    ])

    // Assess
    expect(summary.latencyMs).toEqual({ all: null, cold: null, warm: null })
  })

  it('prints a function column and a line per function in the terminal, and the functions in JSON', async () => {
    // Prepare
    const model = await buildReport(
      generateLifecycleLines({ lines: 3_000, containers: 6, seed: 9, functions: ['orders-api', 'payments'] }),
    )

    // Act
    const table = renderTable(model)
    const json = JSON.parse(renderJson(model))

    // Assess
    expect(table).toMatch(/Per function\n {2}function\s+containers\s+invocations\s+cold starts\s+p50\s+p99/)
    expect(table).toMatch(/\n {2}orders-api\s+3\s/)
    expect(table).toMatch(/\n {2}payments\s+3\s/)
    expect(table).toMatch(/Longest-lived containers \(6 of 6\)\n {2}function\s+container/)
    expect(json.functions.map((entry: { functionName: string }) => entry.functionName)).toEqual([
      'orders-api',
      'payments',
    ])
    expect(json.containers.every((container: { functionName: string }) => container.functionName)).toBe(true)
  })
})

describe('the HTML page of several functions', () => {
  it('has a filter, a view per function, a sortable container table and five charts per view', async () => {
    // Prepare
    const model = await buildReport(
      generateLifecycleLines({
        lines: 4_000,
        containers: 8,
        seed: 11,
        functions: ['orders-api', 'payments'],
      }),
    )

    // Act
    const html = renderHtml(model)

    // Assess
    expect(html).toContain('<select id="function-filter">')
    expect(html.match(/<section class="view"/g)).toHaveLength(3)
    expect(html.match(/<figure class="chart-card/g)).toHaveLength(15)
    expect(html.match(/<tr data-function="f[01]"/g)).toHaveLength(8)
    // The longest-lived of 8 containers, in the overall timeline and in its function's
    expect(html.match(/data-longest="true"/g)).toHaveLength(2)
    expect(html.match(/<tr data-function="f[01]" class="longest"/g)).toHaveLength(1)
    expect(html).not.toMatch(/(src|href)="https?:/)
  })

  it('has no filter for a single function and lists at most 2,000 containers, the longest-lived', async () => {
    // Prepare
    const lines = Array.from({ length: 2_001 }, (_, index) =>
      end(`c${index}`, 'orders-api', 1_000 + index, { invocation: 1 }),
    )
    const model = await buildReport(lines, { bins: 1 })

    // Act
    const html = renderHtml(model)

    // Assess
    expect(html).not.toContain('<select')
    expect(html).toContain('Listing the 2,000 longest-lived of 2,001 containers.')
  })
})

describe('bounded summaries', () => {
  it('estimates duration quantiles within 4.5% above the exact value, min and max exact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 900_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0.5, 0.9, 0.99),
        (values, fraction) => {
          // Prepare
          const sketch = new DurationSketch()

          // Act
          for (const value of values) sketch.add(value)

          // Assess
          const exact = nearestRank(values, fraction)
          const estimate = sketch.quantile(fraction)
          expect(estimate).toBeGreaterThanOrEqual(exact - 0.005)
          expect(estimate).toBeLessThanOrEqual(exact * 1.0443 + 0.005)
          expect(sketch.min).toBe(Math.min(...values))
          expect(sketch.max).toBe(Math.max(...values))
        },
      ),
    )
  })

  it('merges sketches and histograms as if every value went into one', () => {
    // Prepare
    const [left, right, whole] = [new DurationSketch(), new DurationSketch(), new DurationSketch()]
    const [idleLeft, idleRight] = [new LogHistogram(), new LogHistogram()]
    for (let value = 1; value <= 200; value += 1) {
      ;(value % 2 ? left : right).add(value)
      whole.add(value)
    }
    // Far from the class edges: a value within 9% below an edge may land one class up.
    for (const value of [5_000, 5_000, 5_000]) idleLeft.add(value)
    for (const value of [50_000, 50_000, 50_000, 50_000, 500_000]) idleRight.add(value)

    // Act
    left.merge(right)
    idleLeft.merge(idleRight)

    // Assess
    for (const fraction of [0.5, 0.9, 0.99]) expect(left.quantile(fraction)).toBe(whole.quantile(fraction))
    expect(left.count).toBe(200)
    expect(idleLeft.count).toBe(8)
    expect(idleLeft.classify([10_000, 100_000])).toEqual([3, 4, 1])
  })
})

describe('chart data', () => {
  const container = (startedAt: number, end: number, startType: 'cold' | 'warm' = 'cold') =>
    ({ startedAt, lastSeenAt: end, shutdown: null, startType }) as never

  it('counts the most containers alive in each bin, a replacement at the same instant included', () => {
    // Act
    const replaced = fleetSize(
      [container(0, 50), container(50, 100), container(20, 30), container(95, 100)],
      { from: 0, to: 100 },
      4,
    )
    const apart = fleetSize([container(0, 10), container(60, 70)], { from: 0, to: 100 }, 4)

    // Assess
    expect(replaced).toEqual([2, 2, 2, 2])
    expect(apart).toEqual([1, 0, 1, 0])
  })

  it('bins cold starts only, and classes values by edges', () => {
    // Act
    const colds = coldStartsOverTime(
      [container(0, 1), container(60, 70), container(99, 100), container(10, 20, 'warm')],
      { from: 0, to: 100 },
      2,
    )

    // Assess
    expect(colds).toEqual([1, 2])
    expect(classify([0, 1, 5, 10, 11], [1, 10])).toEqual([1, 2, 2])
    expect([0, 2, 3, 7, 45, 99, 101].map(niceMax)).toEqual([2, 2, 4, 8, 60, 100, 200])
    const at = Date.parse('2026-11-26T07:08:09Z')
    expect([clock(at, 12_000), clock(at, 86_400_000), clock(at, 7 * 86_400_000)]).toEqual([
      '07:08:09',
      '07:08',
      '11-26 07:08',
    ])
  })
})

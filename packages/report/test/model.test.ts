import { describe, expect, it } from '@jest/globals'
import { BIN_FLAGS, buildReport, ReportBuilder, renderHtml, renderTable } from '@lambda-lifetime/report'
import { LogHistogram, TimeBins } from '../src/bins.js'
import { knownLog, T0 } from './fixtures.js'
import { generateLifecycleLines } from './support/generate.js'

describe('buildReport on a log with known answers', () => {
  it('counts lines by kind and never fails on foreign ones', async () => {
    // Act
    const model = await buildReport(knownLog())

    // Assess
    expect(model.lines).toEqual({ total: 29, lifecycle: 18 })
    expect(model.skipped).toEqual({
      platform: 4,
      text: 2,
      json: 1,
      invalid: 2,
      newerSchema: 2,
      tooLong: 0,
    })
    expect(model.newestSchemaSeen).toBe(3)
    expect(model.timeRange).toEqual({ from: T0 + 500, to: T0 + 300_000 })
  })

  it('gives each container its start, end, invocations and markers', async () => {
    // Act
    const { containers } = await buildReport(knownLog())

    // Assess
    const byId = Object.fromEntries(
      containers.map((container) => [container.containerId.slice(0, 2), container]),
    )
    expect(containers.map((container) => container.containerId.slice(0, 2))).toEqual(['c1', 'c3', 'c4', 'c2'])
    expect(byId.c1).toMatchObject({
      startedAt: T0,
      lastSeenAt: T0 + 120_600,
      shutdown: null,
      lifetimeMs: 120_600,
      invocations: 3,
      errors: 1,
      startType: 'cold',
      initType: 'on-demand',
      workerId: null,
      functionName: 'orders-api',
    })
    expect(byId.c2).toMatchObject({
      restartOf: 'c1-aaaaaaaa',
      startedAt: T0 + 121_000,
      shutdown: { at: T0 + 300_000, reason: 'spindown' },
      lifetimeMs: 179_000,
      invocations: 2,
    })
    expect(byId.c3).toMatchObject({
      workerId: 1,
      startType: 'pre-initialized',
      invocations: 4,
      lifetimeMs: 40_000,
    })
    expect(byId.c4).toMatchObject({
      workerId: 2,
      startType: 'pre-initialized',
      startedAt: T0,
      shutdown: { at: T0 + 50_000, reason: 'timeout' },
      lifetimeMs: 50_000,
      breakerChanges: 1,
    })
    const c3Flags = byId.c3?.activity.flags.reduce((all, flag) => all | flag, 0)
    expect(c3Flags).toBe(BIN_FLAGS.breakerOpen)
    expect(byId.c1?.activity.counts.reduce((sum, count) => sum + count, 0)).toBe(3)
  })

  it('summarizes lifetimes, invocations, cold starts, idle gaps, restarts and breakers', async () => {
    // Act
    const { summary } = await buildReport(knownLog())

    // Assess
    expect(summary).toMatchObject({
      containers: 4,
      environments: 2,
      invocations: 11,
      coldStarts: 2,
      preInitialized: 2,
      restarts: 1,
      shutdowns: 2,
      shutdownReasons: { spindown: 1, timeout: 1 },
      errors: 1,
      timeoutWarnings: 0,
      lifetimeMs: { min: 40_000, median: 50_000, p90: 179_000, max: 179_000 },
      invocationsPerContainer: { min: 2, median: 2, p90: 4, max: 4, mean: 2.75 },
      breakers: { payments: { open: 1, halfOpen: 0, close: 1 } },
    })
    expect(summary.coldStartRatio).toBeCloseTo(2 / 11)
    expect(summary.idleGapMs).toMatchObject({ count: 6, min: 500, p90: 60_000, max: 60_000 })
    expect(summary.idleGapMs?.median).toBeGreaterThanOrEqual(2_000)
    expect(summary.idleGapMs?.median).toBeLessThanOrEqual(2_000 * 1.1)
  })

  it('counts timeout warnings, unnamed breakers and half-open states', async () => {
    // Prepare
    const base = { lifecycle_schema: 1, container_id: 'c1', timestamp: '2026-11-27T06:00:00Z' }
    const lines = [
      { ...base, event: 'invocation.timeout-warning', remaining_ms: 500 },
      { ...base, event: 'breaker.halfOpen' },
      { ...base, event: 'container.shutdown' },
      { ...base, event: 'pool.create', resource: 'pg' },
      { ...base, event: 'container.start', runtime_started_at: 'not a date', start_type: 'sideways' },
      { ...base, event: 'invocation.end', idle_ms: 5_000 },
      { ...base, container_id: 'c2', event: 'container.start' },
    ].map((line) => JSON.stringify(line))

    // Act
    const model = await buildReport(lines)
    const { summary, containers } = model

    // Assess
    expect(summary).toMatchObject({
      timeoutWarnings: 1,
      breakers: { '(unnamed)': { open: 0, halfOpen: 1, close: 0 } },
      shutdownReasons: { unknown: 1 },
      coldStartRatio: null,
      idleGapMs: null,
    })
    expect(containers[0]).toMatchObject({
      startType: null,
      startedAt: Date.parse(base.timestamp),
      invocations: 0,
    })
    expect(
      containers[0]?.activity.flags.some(
        (flag) => flag === (BIN_FLAGS.timeoutWarning | BIN_FLAGS.breakerHalfOpen),
      ),
    ).toBe(true)
    expect(renderTable(model)).toContain('shutdown (unknown)')
    expect(renderHtml(model)).not.toContain('environment ')
  })

  it('reports nothing, without failing, when no line is a lifecycle line', async () => {
    // Act
    const model = await buildReport(['START RequestId: 1', 'text'])

    // Assess
    expect(model.timeRange).toBeNull()
    expect(model.summary).toMatchObject({ containers: 0, lifetimeMs: null, invocationsPerContainer: null })
  })

  it('rejects a bin count that is not an integer from 1 to 10,000', () => {
    // Act / Assess
    expect(() => new ReportBuilder({ bins: 0 })).toThrow(
      '@lambda-lifetime/report: option "bins" must be an integer >= 1 and <= 10000, got 0',
    )
    expect(() => new ReportBuilder({ bins: 2.5 })).toThrow(TypeError)
    expect(() => new ReportBuilder({ bins: 1e9 })).toThrow(TypeError)
    expect(new ReportBuilder().finish().containers).toEqual([])
  })
})

describe('buildReport on generated logs', () => {
  it.each([
    ['classic, every wrapper format', { managedInstances: false, format: 'mixed' as const }],
    ['Managed Instances, interleaved workers', { managedInstances: true, format: 'text' as const }],
    ['bare lines', { format: 'bare' as const, restartRate: 0.5 }],
  ])('finds the generator known answers (%s)', async (_name, options) => {
    // Prepare
    const generator = generateLifecycleLines({ lines: 5_000, containers: 12, seed: 3, ...options })
    const lines: string[] = []
    let next = generator.next()
    while (!next.done) {
      lines.push(next.value)
      next = generator.next()
    }
    const answers = next.value

    // Act
    const model = await buildReport(lines)

    // Assess
    expect(model.lines).toEqual({ total: answers.lines, lifecycle: answers.lifecycleLines })
    expect(model.skipped).toEqual(answers.skipped)
    expect(model.summary).toMatchObject({
      containers: answers.containers,
      environments: answers.environments,
      invocations: answers.invocations,
      errors: answers.errors,
      clientErrors: answers.clientErrors,
      coldStarts: answers.coldStarts,
      restarts: answers.restarts,
      shutdowns: answers.shutdowns,
    })
    expect(answers.clientErrors).toBeGreaterThan(0)
    expect(answers.lines).toBeGreaterThan(4_500)
    expect(answers.lines).toBeLessThan(5_500)
  })

  it('generates the same log from the same seed, and another from another seed', () => {
    // Act
    const first = [...generateLifecycleLines({ lines: 500, seed: 9 })]
    const again = [...generateLifecycleLines({ lines: 500, seed: 9 })]
    const other = [...generateLifecycleLines({ lines: 500, seed: 10 })]
    const defaults = [...generateLifecycleLines()]

    // Assess
    expect(again).toEqual(first)
    expect(other).not.toEqual(first)
    expect(defaults.length).toBeGreaterThan(9_000)
  })

  it('keeps a fixed number of bins per container whatever the number of lines', async () => {
    // Act
    const small = await buildReport(generateLifecycleLines({ lines: 1_000, containers: 3 }), { bins: 50 })
    const large = await buildReport(generateLifecycleLines({ lines: 20_000, containers: 3 }), { bins: 50 })

    // Assess
    const sizes = [...small.containers, ...large.containers].map(
      (container) => container.activity.counts.length,
    )
    expect(new Set(sizes)).toEqual(new Set([50]))
    const ticks = large.containers.map((container) =>
      container.activity.counts.reduce((sum, count) => sum + count, 0),
    )
    expect(ticks.reduce((sum, count) => sum + count, 0)).toBe(large.summary.invocations)
  })
})

describe('TimeBins', () => {
  it('widens to take earlier and later times, keeping every count', () => {
    // Prepare
    const bins = new TimeBins(4)

    // Act
    bins.add(1_000, 1, 0)
    bins.add(1_001, 2, BIN_FLAGS.error)
    bins.add(990, 1, 0)
    bins.add(5_000, 3, BIN_FLAGS.breakerOpen)

    // Assess
    const { originMs, binMs, counts, flags } = bins.toJSON()
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(7)
    expect(originMs).toBeLessThanOrEqual(990)
    expect(originMs + 4 * binMs).toBeGreaterThan(5_000)
    expect(flags.reduce((all, flag) => all | flag, 0)).toBe(BIN_FLAGS.error | BIN_FLAGS.breakerOpen)
    expect(counts[Math.floor((5_000 - originMs) / binMs)]).toBe(3)
  })
})

describe('LogHistogram', () => {
  it('estimates quantiles within 9% and never beyond the extremes', () => {
    // Prepare
    const histogram = new LogHistogram()
    for (let value = 1; value <= 1_000; value += 1) histogram.add(value)
    histogram.add(0)

    // Act
    const [median, p90, p100, p0] = [0.5, 0.9, 1, 0].map((fraction) => histogram.quantile(fraction))

    // Assess
    expect(median).toBeGreaterThanOrEqual(500)
    expect(median).toBeLessThanOrEqual(545)
    expect(p90).toBeGreaterThanOrEqual(900)
    expect(p90).toBeLessThanOrEqual(981)
    expect(p100).toBe(1_000)
    expect(p0).toBe(0)
  })
})

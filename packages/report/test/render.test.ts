import { describe, expect, it } from '@jest/globals'
import { buildReport, renderHtml, renderJson, renderTable } from '@lambda-lifetime/report'
import { knownLog, lifecycleLine } from './fixtures.js'
import { generateLifecycleLines } from './support/generate.js'

const rowsOf = (html: string): string[] =>
  [...html.matchAll(/<g class="container-row" data-container-id="([^"]*)"/g)].map((match) => match[1] ?? '')

describe('renderTable', () => {
  it('prints the summary, the skipped lines, the schema warning and the longest-lived containers', async () => {
    // Prepare
    const model = await buildReport(knownLog())

    // Act
    const table = renderTable(model, { top: 2 })

    // Assess
    expect(table).toContain('Container lifetimes 2026-11-27 06:00:00Z -> 2026-11-27 06:05:00Z (4 min 59 s)')
    expect(table).toMatch(/containers\s+4 \(2 environments\)/)
    expect(table).toMatch(/cold starts\s+2 \(18\.18% of invocations\), 2 pre-initialized/)
    expect(table).toMatch(/lifetime\s+min 40\.0 s {2}median 50\.0 s {2}p90 2 min 59 s {2}max 2 min 59 s/)
    expect(table).toMatch(/shutdowns\s+2 \(timeout 1, spindown 1\)|shutdowns\s+2 \(spindown 1, timeout 1\)/)
    expect(table).toContain('payments: open 1, half-open 0, close 1')
    expect(table).toContain(
      'skipped: platform 4, text 2, other JSON 1, invalid 2, newer schema 2, too long 0',
    )
    expect(table).toMatch(
      /! 2 lines use lifecycle_schema 3, newer than this report reads: @lambda-lifetime\/report \S+ reads lifecycle_schema 1 and 2/,
    )
    expect(table).toContain('Longest-lived containers (2 of 4)')
    expect(table).toMatch(
      /↻ c2-bbbbb\s+456789abcdef\s+2026-11-27 06:02:01Z\s+2 min 59 s\s+2\s+shutdown \(spindown\)/,
    )
  })

  it('says so when there is nothing to report', async () => {
    // Act
    const table = renderTable(await buildReport(['hello']))

    // Assess
    expect(table).toContain('Container lifetimes: no lifecycle lines found')
    expect(table).toMatch(/lifetime\s+n\/a/)
    expect(table).not.toContain('Longest-lived')
  })

  it('formats long durations in hours and days', async () => {
    // Prepare
    const day = 86_400_000
    const lines = [0, 200 * day + 3 * 3_600_000].map((at) =>
      lifecycleLine({
        at,
        container: 'long',
        environment: 'e',
        startedAt: 0,
        fields: { event: 'container.thaw' },
      }),
    )
    const hours = [0, 2 * 3_600_000 + 5 * 60_000].map((at) =>
      lifecycleLine({
        at,
        container: 'mid',
        environment: 'e',
        startedAt: 0,
        fields: { event: 'container.thaw' },
      }),
    )

    // Act
    const model = await buildReport([...lines, ...hours])
    const table = renderTable(model)
    const html = renderHtml(model)

    // Assess
    expect(table).toContain('200 d 3 h')
    // Past 10 weeks, grid lines every few whole weeks, at most 10 steps: every 3 weeks over 200 days
    expect(html.match(/UTC<\/text>/g)?.length).toBeGreaterThanOrEqual(9)
    expect(html.match(/UTC<\/text>/g)?.length).toBeLessThanOrEqual(11)
    expect(table).toContain('2 h 05 min')
  })
})

describe('renderJson', () => {
  it('gives scripts the model without the timeline bins', async () => {
    // Prepare
    const model = await buildReport(knownLog())

    // Act
    const parsed = JSON.parse(renderJson(model)) as typeof model

    // Assess
    expect(parsed.summary).toEqual(model.summary)
    expect(parsed.containers).toHaveLength(4)
    expect(parsed.containers[0]).not.toHaveProperty('activity')
    expect(parsed.containers[0]).toHaveProperty('lifetimeMs', 120_600)
  })
})

describe('renderHtml', () => {
  it('draws one row per container with its markers, self-contained', async () => {
    // Prepare
    const model = await buildReport(knownLog())

    // Act
    const html = renderHtml(model, { title: 'orders-api' })

    // Assess
    const chart = html.slice(html.indexOf('<div class="chart">'))
    expect(rowsOf(html)).toEqual(model.containers.map((container) => container.containerId))
    expect(html).toContain('<title>orders-api</title>')
    expect(chart.match(/class="cold-start"/g)).toHaveLength(2)
    expect(chart.match(/class="warm-start"/g)).toHaveLength(2)
    expect(chart.match(/class="restart"/g)).toHaveLength(1)
    expect(chart.match(/class="shutdown"/g)).toHaveLength(2)
    expect(chart).toContain('class="breaker-open"')
    expect(chart).toContain('class="breaker-close"')
    expect(chart).toContain('class="tick error"')
    expect(chart).toContain('>↻ c2-bbbbb</text>')
    expect(chart).toContain('>c3-ccccc w1</text>')
    expect(html).toContain('newer than this report reads')
    expect(html).not.toMatch(/(src|href)="https?:/)
  })

  it('escapes what comes from the logs', async () => {
    // Prepare
    const hostile = lifecycleLine({
      at: 0,
      container: '"><script>alert(1)</script>',
      environment: '<b>env</b>',
      startedAt: 0,
      fields: { event: 'container.shutdown', reason: '<img src=x>' },
    })

    // Act
    const html = renderHtml(await buildReport([hostile]))

    // Assess
    // The page's own script, and nothing from the logs.
    expect(html.match(/<script>/g)).toHaveLength(1)
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<b>env')
    expect(html).toContain('&#34;&#62;&#60;script&#62;')
  })

  it('samples rows across the lifetime distribution above maxRows, and says so', async () => {
    // Prepare
    const model = await buildReport(generateLifecycleLines({ lines: 6_000, containers: 90, seed: 5 }))
    const lifetimes = model.containers.map((container) => container.lifetimeMs)

    // Act
    const html = renderHtml(model, { maxRows: 20 })

    // Assess
    const rows = rowsOf(html)
    expect(rows).toHaveLength(20)
    expect(html).toContain('Showing 20 of 90 containers, sampled evenly across the lifetime distribution')
    const drawn = model.containers.filter((container) => rows.includes(container.containerId))
    expect(drawn.map((container) => container.lifetimeMs)).toEqual(
      expect.arrayContaining([Math.min(...lifetimes), Math.max(...lifetimes)]),
    )
  })

  it('renders an empty page when nothing was found', async () => {
    // Act
    const html = renderHtml(await buildReport([]))

    // Assess
    expect(html).toContain('No lifecycle lines found.')
    expect(rowsOf(html)).toEqual([])
  })
})

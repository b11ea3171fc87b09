import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { buildReport, type ContainerReport, renderHtml } from '@lambda-lifetime/report'
import type { Browser } from 'playwright-core'
import { generateLifecycleLines } from '../../packages/report/test/support/generate.js'
import { launchBrowser, watchPage } from '../support/browser.js'

/**
 * The HTML report in a real headless Chromium (the one @sparticuz/chromium ships, or CHROMIUM_PATH). The
 * pages and their screenshots stay in test/artifacts (git-ignored) for a person to look at; the assertions
 * are on what the page shows.
 */
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts')

const labelOf = (container: ContainerReport): string =>
  `${container.restartOf ? '↻ ' : ''}${container.containerId.slice(0, 8)}${container.workerId === null ? '' : ` w${container.workerId}`}`

describe('the HTML report in headless Chromium', () => {
  let browser: Browser

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true })
    browser = await launchBrowser()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
  })

  const open = async (html: string, name: string) => {
    const file = join(ARTIFACTS, `${name}.html`)
    await writeFile(file, html)
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const watch = watchPage(page)
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
    return { page, watch, url: pathToFileURL(file).href }
  }

  it('draws one visible, labelled row per container, with no error and no request beyond the page', async () => {
    // Prepare
    const model = await buildReport(
      generateLifecycleLines({ lines: 20_000, containers: 14, seed: 42, restartRate: 0.2 }),
    )

    // Act
    const { page, watch, url } = await open(renderHtml(model, { title: 'orders-api, one day' }), 'report')

    // Assess
    try {
      const rows = page.locator('svg g.container-row')
      await expect(rows.count()).resolves.toBe(model.containers.length)
      const ids = await rows.evaluateAll((elements) =>
        elements.map((element) => element.getAttribute('data-container-id')),
      )
      expect(ids).toEqual(model.containers.map((container) => container.containerId))
      const labels = await page.locator('svg g.container-row text.row-label').allTextContents()
      expect(labels).toEqual(model.containers.map(labelOf))
      const chart = await page.locator('div.chart svg').boundingBox()
      for (const index of [0, model.containers.length - 1]) {
        const label = await page.locator('svg g.container-row text.row-label').nth(index).boundingBox()
        const lifespan = await page.locator('svg g.container-row rect.lifespan').nth(index).boundingBox()
        expect(label?.width).toBeGreaterThan(20)
        expect(lifespan?.width).toBeGreaterThanOrEqual(1)
        expect(lifespan && chart && lifespan.x + lifespan.width).toBeLessThanOrEqual((chart?.x ?? 0) + 1200)
      }
      await expect(page.locator('h1').textContent()).resolves.toBe('orders-api, one day')
      await expect(page.locator('table.summary').textContent()).resolves.toContain(
        `${model.summary.containers} (${model.summary.environments} environments)`,
      )
      await expect(page.locator('p.note').count()).resolves.toBe(0)
      expect(watch.consoleErrors).toEqual([])
      expect(watch.pageErrors).toEqual([])
      expect(watch.requests).toEqual([url])
    } finally {
      await page.close()
    }
  }, 60_000)

  it('keeps hundreds of containers readable: sampled rows, the shortest and longest kept, said on the page', async () => {
    // Prepare
    const model = await buildReport(generateLifecycleLines({ lines: 30_000, containers: 300, seed: 8 }))
    const byLifetime = [...model.containers].sort((a, b) => a.lifetimeMs - b.lifetimeMs)

    // Act
    const { page, watch, url } = await open(renderHtml(model), 'report-sampled')

    // Assess
    try {
      await expect(page.locator('svg g.container-row').count()).resolves.toBe(60)
      const ids = await page
        .locator('svg g.container-row')
        .evaluateAll((elements) => elements.map((element) => element.getAttribute('data-container-id')))
      expect(ids).toContain(byLifetime[0]?.containerId)
      expect(ids).toContain(byLifetime.at(-1)?.containerId)
      await expect(page.locator('p.note').isVisible()).resolves.toBe(true)
      await expect(page.locator('p.note').textContent()).resolves.toContain('Showing 60 of 300 containers')
      await expect(page.locator('div.chart svg[role="img"]').getAttribute('aria-label')).resolves.toBe(
        'Timeline of 60 containers (sampled)',
      )
      expect(watch.consoleErrors).toEqual([])
      expect(watch.pageErrors).toEqual([])
      expect(watch.requests).toEqual([url])
    } finally {
      await page.close()
    }
  }, 60_000)

  it('filters by function, sorts the container table by mouse and keyboard, and draws charts with axes', async () => {
    // Prepare
    const model = await buildReport(
      generateLifecycleLines({
        lines: 20_000,
        containers: 18,
        seed: 7,
        functions: ['orders-api', 'payments'],
      }),
    )
    const payments = model.containers.filter((container) => container.functionName === 'payments')

    // Act
    const { page, watch, url } = await open(renderHtml(model), 'report-functions')

    // Assess
    try {
      const lifetimes = () =>
        page
          .locator('#containers tbody tr:not([hidden]) td:nth-child(7)')
          .evaluateAll((cells) => cells.map((cell) => Number(cell.getAttribute('data-value'))))
      await page.locator('#containers thead th:nth-child(7) button').click()
      const ascending = await lifetimes()
      expect(ascending).toEqual([...ascending].sort((a, b) => a - b))
      await expect(page.locator('#containers thead th:nth-child(7)').getAttribute('aria-sort')).resolves.toBe(
        'ascending',
      )
      await page.locator('#containers thead th:nth-child(7) button').focus()
      await page.keyboard.press('Enter')
      const descending = await lifetimes()
      expect(descending).toEqual([...ascending].reverse())
      // The top 10% of 18 containers, rounded up
      await expect(page.locator('#containers tbody tr.longest').count()).resolves.toBe(2)
      await expect(page.locator('#containers tbody tr').first().getAttribute('class')).resolves.toBe(
        'longest',
      )

      await page.selectOption('#function-filter', { label: `payments (${payments.length} containers)` })
      const shownFunctions = await page
        .locator('#containers tbody tr:not([hidden]) td:first-child')
        .allTextContents()
      expect(shownFunctions).toEqual(payments.map(() => 'payments'))
      await expect(page.locator('#containers-shown').textContent()).resolves.toBe(String(payments.length))
      const visibleViews = page.locator('section.view:not([hidden])')
      await expect(visibleViews.count()).resolves.toBe(1)
      await expect(visibleViews.locator('h2').first().textContent()).resolves.toBe('Summary: payments')
      await expect(visibleViews.locator('svg g.container-row').count()).resolves.toBe(payments.length)

      const charts = visibleViews.locator('figure.chart-card')
      await expect(charts.count()).resolves.toBe(5)
      for (let index = 0; index < 5; index += 1) {
        const chart = charts.nth(index)
        const xAxis = await chart.locator('line.x-axis').boundingBox()
        const yAxis = await chart.locator('line.y-axis').boundingBox()
        expect(xAxis?.width).toBeGreaterThan(400)
        expect(yAxis?.height).toBeGreaterThan(100)
        await expect(chart.locator('text.axis-title').count()).resolves.toBe(2)
        await expect(chart.locator('text.axis-label').count()).resolves.toBeGreaterThanOrEqual(5)
        await expect(chart.locator('.reading').isVisible()).resolves.toBe(true)
      }
      const fleet = await visibleViews.locator('figure.fleet-size polyline.step').boundingBox()
      expect(fleet?.width).toBeGreaterThan(400)
      await expect(visibleViews.locator('figure.lifetimes rect.bar').count()).resolves.toBe(10)
      expect(watch.consoleErrors).toEqual([])
      expect(watch.pageErrors).toEqual([])
      expect(watch.requests).toEqual([url])
    } finally {
      await page.close()
    }
  }, 60_000)
})

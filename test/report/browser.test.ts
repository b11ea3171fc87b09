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
})

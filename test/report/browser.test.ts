import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { buildReport, generateLifecycleLines, renderHtml } from '@lambda-lifetime/report'
import { type Browser, chromium } from 'playwright-core'

/**
 * The HTML report in a real browser (Debian's chromium). CI must install it
 * (`apt-get install -y chromium`); locally, REPORT_BROWSER_TEST=skip skips this file with a message.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts')
const skip = process.env.REPORT_BROWSER_TEST === 'skip'
if (skip) console.warn('test/report/browser.test.ts skipped: REPORT_BROWSER_TEST=skip')
const describeBrowser = skip ? describe.skip : describe

describeBrowser('the HTML report in headless Chromium', () => {
  let browser: Browser

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} not found: install it (apt-get update && apt-get install -y chromium) or set REPORT_BROWSER_TEST=skip`,
      )
    }
    await mkdir(ARTIFACTS, { recursive: true })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
  })

  const open = async (html: string, name: string) => {
    const file = join(ARTIFACTS, `${name}.html`)
    await writeFile(file, html)
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const requests: string[] = []
    page.on('request', (request) => requests.push(request.url()))
    await page.goto(pathToFileURL(file).href)
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
    return { page, requests, file }
  }

  it('draws one visible row per container, loads nothing else, and is screenshotted', async () => {
    // Prepare
    const model = await buildReport(
      generateLifecycleLines({ lines: 20_000, containers: 14, seed: 42, restartRate: 0.2 }),
    )

    // Act
    const { page, requests, file } = await open(renderHtml(model, { title: 'orders-api, one day' }), 'report')

    // Assess
    const rows = page.locator('svg g.container-row')
    await expect(rows.count()).resolves.toBe(model.containers.length)
    const ids = await rows.evaluateAll((elements) =>
      elements.map((element) => element.getAttribute('data-container-id')),
    )
    expect(ids).toEqual(model.containers.map((container) => container.containerId))
    const box = await page.locator('svg g.container-row').first().boundingBox()
    expect(box?.width).toBeGreaterThan(100)
    expect(requests).toEqual([pathToFileURL(file).href])
    expect(existsSync(join(ARTIFACTS, 'report.png'))).toBe(true)
    await page.close()
  }, 60_000)

  it('keeps hundreds of containers readable: sampled rows, said on the page', async () => {
    // Prepare
    const model = await buildReport(generateLifecycleLines({ lines: 30_000, containers: 300, seed: 8 }))

    // Act
    const { page } = await open(renderHtml(model), 'report-sampled')

    // Assess
    await expect(page.locator('svg g.container-row').count()).resolves.toBe(60)
    await expect(page.locator('p.note').isVisible()).resolves.toBe(true)
    await expect(page.locator('p.note').textContent()).resolves.toContain('Showing 60 of 300 containers')
    await page.close()
  }, 60_000)
})

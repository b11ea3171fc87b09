import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { shortId } from '@lambda-lifetime/emulator'
import type { Browser, Page } from 'playwright-core'
import { launchBrowser, watchPage } from '../support/browser.js'
import { fn, waitFor, withEmulator } from './harness.js'

/**
 * The dashboard in a real headless Chromium, against a real emulator running the real runtime client.
 * Screenshots go to test/artifacts (git-ignored); with UPDATE_SCREENSHOTS=1 the one of the README is
 * written to packages/emulator/docs/dashboard.png.
 */
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts')
const README_SHOT = join(process.cwd(), 'packages', 'emulator', 'docs', 'dashboard.png')

const rowOf = (page: Page, functionName: string, id: string) =>
  page.locator(`section.function[data-name="${functionName}"] tbody tr[data-id="${id}"]`)

const cellText = (page: Page, functionName: string, id: string, column: number): Promise<string> =>
  rowOf(page, functionName, id)
    .locator('th, td')
    .nth(column)
    .textContent()
    .then((text) => text ?? '')

describe('the dashboard in headless Chromium', () => {
  let browser: Browser

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    browser = await launchBrowser()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
  })

  it('shows an outside invocation within a second, stops an environment, invokes from the page, opens the report', async () => {
    await withEmulator(
      [fn('hello', 'lifetime.handler', { memoryMb: 256 }), fn('orders', 'lifetime.handler')],
      {},
      async ({ emulator, invoke }) => {
        // Prepare
        const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
        const watch = watchPage(page)
        try {
          await page.goto(emulator.dashboardUrl as string)
          await page.locator('#connection', { hasText: 'Live' }).waitFor({ timeout: 10_000 })

          // Act: an invocation from outside, through the AWS SDK
          const first = await invoke('hello', {})
          const seenFrom = Date.now()
          const id = emulator.environments('hello')[0]?.id as string
          // One wait for the row with its count: two waits in a row would each take their polling delay.
          await rowOf(page, 'hello', id)
            .locator(':nth-child(4)')
            .filter({ hasText: /^1$/ })
            .waitFor({ timeout: 1_000 })
          const appearedMs = Date.now() - seenFrom

          // Assess: the row, in words
          expect(first.body.view.startType).toBe('cold')
          expect(appearedMs).toBeLessThan(1_000)
          await expect(cellText(page, 'hello', id, 0)).resolves.toBe(shortId(id))
          await expect(cellText(page, 'hello', id, 1)).resolves.toMatch(/^(idle|frozen|busy)$/)
          await expect(cellText(page, 'hello', id, 2)).resolves.toBe('on-demand')
          await expect(cellText(page, 'hello', id, 6)).resolves.toBe('0')
          await expect(cellText(page, 'hello', id, 7)).resolves.toMatch(/^\d+ ms$/)
          await expect(cellText(page, 'hello', id, 8)).resolves.toMatch(/^(\d+|–) MB \/ 256 MB$/)
          await expect(
            page.locator(`svg g.lane[data-id="${id}"] text.mark`).first().textContent(),
          ).resolves.toMatch(/^▲hello env \w{8}: cold start \(on-demand\) at /)
          await expect(page.locator('#latest li').first().textContent()).resolves.toContain(
            `hello env ${shortId(id)}: cold start (on-demand)`,
          )
          await expect(
            page.locator('section.function[data-name="orders"] p.empty').isVisible(),
          ).resolves.toBe(true)
          await page.screenshot({ path: join(ARTIFACTS, 'dashboard-first.png') })

          // Act: stop it from the keyboard
          const stop = page.getByRole('button', { name: `Stop environment ${shortId(id)} of hello` })
          await stop.focus()
          await page.keyboard.press('Enter')
          await page.locator(`tr[data-id="${id}"][data-state="shut down"]`).waitFor({ timeout: 10_000 })

          // Assess: shut down on the page and in the emulator
          expect(emulator.environments('hello')).toEqual([])
          await expect(stop.isDisabled()).resolves.toBe(true)
          await expect(page.locator('#latest').textContent()).resolves.toContain(
            `hello env ${shortId(id)}: stopped, SIGKILL`,
          )

          // Act: invoke from the page with a sample event
          await page.selectOption('#invoke-function', 'hello')
          await page.selectOption('#invoke-sample', 'sqs')
          await expect(page.locator('#invoke-payload').inputValue()).resolves.toContain(
            '"eventSource": "aws:sqs"',
          )
          await page.getByRole('button', { name: 'Invoke' }).click()
          await page.locator('#answer-summary', { hasText: 'Success' }).waitFor({ timeout: 10_000 })

          // Assess: a new environment answered (a cold start after the stop), on the page too
          const answer = JSON.parse((await page.locator('#answer-payload').textContent()) ?? 'null')
          expect(answer.view.startType).toBe('cold')
          expect(answer.view.invocation).toBe(1)
          const second = emulator.environments('hello')[0]?.id as string
          expect(second).not.toBe(id)
          await expect(page.locator('#answer-summary').textContent()).resolves.toContain(shortId(second))
          await rowOf(page, 'hello', second).waitFor({ timeout: 1_000 })
          await expect(page.locator('#answer-log').textContent()).resolves.toContain('REPORT RequestId')

          // Act: a bad event is refused on the page, before it is sent
          await page.locator('#invoke-payload').fill('{"a":')
          await expect(page.locator('#invoke-problem').textContent()).resolves.toContain(
            'The event is not JSON',
          )
          await expect(page.locator('#invoke-payload').getAttribute('aria-invalid')).resolves.toBe('true')
          await page.selectOption('#invoke-sample', 'http-api')

          // Assess: what a person sees, and that nothing failed or came from elsewhere
          await invoke('orders', {})
          await page.locator('section.function[data-name="orders"] tbody tr').waitFor({ timeout: 1_000 })
          await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') })
          if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: README_SHOT })
          expect(watch.consoleErrors).toEqual([])
          expect(watch.pageErrors).toEqual([])
          const origin = new URL(emulator.dashboardUrl as string).origin
          expect(watch.requests.filter((url) => new URL(url).origin !== origin)).toEqual([])

          // Act: the lifetime report of this run
          const [report] = await Promise.all([
            page.waitForEvent('popup'),
            page.getByRole('link', { name: 'Lifetime report of this run' }).click(),
          ])
          await report.waitForLoadState()

          // Assess
          await expect(report.locator('h1').textContent()).resolves.toBe('Container lifetimes of this run')
          await report.close()
        } finally {
          await page.close()
        }
      },
    )
  }, 90_000)

  it('ignores actions sent by a page of another origin (CSRF)', async () => {
    await withEmulator([fn('hello', 'lifetime.handler')], {}, async ({ emulator, invoke }) => {
      // Prepare: a live environment, and a page elsewhere that tries to stop it and to invoke
      await invoke('hello', {})
      const id = emulator.environments('hello')[0]?.id as string
      const base = `${emulator.invokeUrl}/_lambda-lifetime/dashboard`
      const evil = `<!doctype html><html><body><iframe name="sink"></iframe>
<form id="f" method="POST" action="${base}/stop" enctype="text/plain" target="sink">
<input name='{"id":"${id}","x":"' value='"}'></form>
<script>
const body = JSON.stringify({ id: ${JSON.stringify(id)} })
const attempts = [
  fetch('${base}/stop', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body }),
  fetch('${base}/stop', { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
  fetch('${base}/invoke', { method: 'POST', mode: 'no-cors', body: JSON.stringify({ functionName: 'hello', payload: '{}' }) }),
  fetch('${emulator.invokeUrl}/').then((response) => response.text()),
].map((attempt) => attempt.then(() => 'answered', () => 'refused'))
Promise.all(attempts).then((results) => {
  document.getElementById('f').submit()
  document.title = 'done ' + results.join(',')
})
</script></body></html>`
      const server: Server = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html' }).end(evil)
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const page = await browser.newPage()
      try {
        // Act
        await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`)
        await page.waitForFunction("document.title.startsWith('done')", undefined, { timeout: 10_000 })
        const sink = page.frame({ name: 'sink' })
        await waitFor(
          async () => (await sink?.content().catch(() => ''))?.includes('another site') === true,
          'the form post to land',
        )

        // Assess: the environment still lives, ran one invocation only, and the page could read nothing
        await expect(page.title()).resolves.toBe('done answered,refused,answered,refused')
        const environment = emulator.environments('hello').find((candidate) => candidate.id === id)
        expect(environment?.state).toMatch(/^(idle|busy)$/)
        expect(environment?.invocations).toBe(1)
      } finally {
        await page.close()
        await new Promise((resolve) => server.close(resolve))
      }
    })
  }, 60_000)
})

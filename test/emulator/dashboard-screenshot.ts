/**
 * Takes the README's dashboard screenshot from a real run of about 75 seconds: a burst that scales a
 * function out, warm reuse, a crash and its restart, an environment stopped, idle ones reaped, and a
 * second function. Run it by hand (it is not a test):
 *
 *   npx tsx test/emulator/dashboard-screenshot.ts
 *
 * It writes packages/emulator/docs/dashboard.png.
 */
import { join } from 'node:path'
import { launchBrowser } from '../support/browser.js'
import { fn, withEmulator } from './harness.js'

const OUT = join(process.cwd(), 'packages', 'emulator', 'docs', 'dashboard.png')
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

await withEmulator(
  [fn('hello', 'lifetime.handler', { memoryMb: 256 }), fn('orders', 'lifetime.handler', { memoryMb: 512 })],
  { idleTimeoutMs: 25_000, concurrency: 4 },
  async ({ emulator, invoke }) => {
    const browser = await launchBrowser()
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
      await page.goto(emulator.dashboardUrl as string)
      await page.selectOption('#lanes-window', '60000')
      const quiet = (run: Promise<unknown>) => run.catch(() => undefined)
      // A burst: four at once scale hello out to four environments.
      await Promise.all([1, 2, 3, 4].map(() => quiet(invoke('hello', { sleepMs: 1500 }))))
      for (let round = 0; round < 6; round++) {
        await Promise.all([
          quiet(invoke('hello', { sleepMs: 400 })),
          quiet(invoke('orders', { sleepMs: 200 })),
        ])
        await pause(2_000)
      }
      // A crash: the runtime restarts in the same environment.
      await quiet(invoke('hello', { crash: true }))
      await quiet(invoke('hello', { sleepMs: 300 }))
      // One environment stopped by hand: the next burst makes a cold start.
      const [busiest] = emulator.environments('hello')
      if (busiest) {
        await page
          .getByRole('button', { name: new RegExp(`^Stop environment ${busiest.id.slice(-32, -24)}`) })
          .click()
      }
      for (let round = 0; round < 12; round++) {
        await Promise.all([
          quiet(invoke('hello', { sleepMs: 250 })),
          quiet(invoke('hello', { sleepMs: 250 })),
        ])
        if (round % 3 === 0) await quiet(invoke('orders', {}))
        await pause(3_000)
      }
      await page.selectOption('#invoke-sample', 'sqs')
      await page.getByRole('button', { name: 'Invoke' }).click()
      await page.locator('#answer-summary', { hasText: 'Success' }).waitFor({ timeout: 10_000 })
      await page.locator('#invoke-sample').focus()
      await page.screenshot({ path: OUT })
      console.log(`wrote ${OUT}`)
    } finally {
      await browser.close()
    }
  },
)

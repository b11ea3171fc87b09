import { describe, expect, it } from '@jest/globals'
import { emulatorValidateOptions } from '@lambda-lifetime/emulator'
import { fn, withEmulator } from './harness.js'

describe('the dashboard option', () => {
  it('serves the page at the Invoke API root by default, next to the Invoke API', async () => {
    await withEmulator([fn('hello', 'lifetime.handler')], {}, async ({ emulator }) => {
      // Act
      const page = await fetch(emulator.dashboardUrl as string)
      const environments = await fetch(`${emulator.invokeUrl}/_lambda-lifetime/environments`)

      // Assess
      expect(emulator.dashboardUrl).toBe(`${emulator.invokeUrl}/`)
      expect(page.status).toBe(200)
      await expect(page.text()).resolves.toContain('<title>lambda-lifetime emulator</title>')
      await expect(environments.json()).resolves.toEqual([])
    })
  })

  it('leaves the root to the Invoke API with dashboard: false', async () => {
    await withEmulator([fn('hello', 'lifetime.handler')], { dashboard: false }, async ({ emulator }) => {
      // Act
      const root = await fetch(`${emulator.invokeUrl}/`)
      const events = await fetch(`${emulator.invokeUrl}/_lambda-lifetime/dashboard/events`)

      // Assess
      expect(emulator.dashboardUrl).toBeNull()
      expect(root.status).toBe(404)
      expect(root.headers.get('x-amzn-errortype')).toBe('UnknownOperationException')
      expect(events.status).toBe(404)
    })
  })

  it('refuses a dashboard option that is not a boolean, naming it', () => {
    // Act / Assess
    expect(() =>
      emulatorValidateOptions({
        functions: [fn('hello', 'lifetime.handler')],
        dashboard: 'yes' as unknown as boolean,
      }),
    ).toThrow(/option "dashboard" must be a boolean/)
  })
})

import { join } from 'node:path'
import sparticuz from '@sparticuz/chromium'
import { type Browser, chromium } from 'playwright-core'
import { packagedChromium } from '../support/browser.js'

/**
 * Chromium with the same-origin policy on: launchBrowser() passes @sparticuz/chromium's arguments,
 * which include --disable-web-security (fine for a report opened from a file, wrong for a test of
 * what another origin can do).
 */
export const launchSecureBrowser = async (): Promise<Browser> => {
  const system = process.env.CHROMIUM_PATH
  if (system) return chromium.launch({ executablePath: system, headless: true, args: ['--no-sandbox'] })
  const executablePath = await packagedChromium()
  const unsafe = new Set(['--single-process', '--disable-web-security', '--allow-running-insecure-content'])
  return chromium.launch({
    executablePath,
    headless: true,
    args: sparticuz.args.filter((arg) => !unsafe.has(arg)),
    env: { ...process.env, FONTCONFIG_FILE: join(executablePath, '..', 'fonts.conf') },
  })
}

/**
 * A real headless Chromium for tests, on any machine: the one `@sparticuz/chromium` ships inside its npm
 * package (no apt-get step), or the browser at CHROMIUM_PATH when that is set. The package extracts its
 * Brotli archives to the temp directory by default and leaves them there; here they go once into
 * node_modules/.cache (a cache that `npm ci` replaces and `git clean` ignores), extracted into a private
 * folder first and renamed into place, so two Jest workers never see a half-written binary.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import sparticuz from '@sparticuz/chromium'
import { type Browser, chromium, type Page } from 'playwright-core'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CACHE = join(ROOT, 'node_modules', '.cache', 'lambda-lifetime-chromium')

const sparticuzVersion = async (): Promise<string> => {
  const manifest = join(ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json')
  return (JSON.parse(await readFile(manifest, 'utf8')) as { version: string }).version
}

/**
 * The package extracts into `os.tmpdir()`, which reads TMPDIR: a child process with TMPDIR set to a private
 * folder (Jest gives tests a copy of process.env, which Node's own os module never sees).
 */
const extractInto = async (folder: string): Promise<void> => {
  const script =
    "const { default: chromium } = await import('@sparticuz/chromium'); process.stdout.write(await chromium.executablePath())"
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: folder, NODE_OPTIONS: '' },
  })
  if (stdout !== join(folder, 'chromium')) {
    throw new Error(`@sparticuz/chromium extracted to ${stdout}, not into ${folder}`)
  }
}

/**
 * The package's own fonts.conf names /tmp/fonts and a cache in /tmp/fonts-cache (Lambda's layout): this one
 * adds the machine's fonts, the packaged ones where they were extracted, and keeps the cache beside them.
 */
const writeFontConfig = async (folder: string, final: string): Promise<void> => {
  await writeFile(
    join(folder, 'fonts.conf'),
    `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${join(final, 'fonts', 'fonts')}</dir>
  <cachedir>${join(final, 'fonts-cache')}</cachedir>
</fontconfig>
`,
  )
}

/** The path of the packaged Chromium, extracted on first use (a few seconds) and cached per version. */
export const packagedChromium = async (): Promise<string> => {
  const target = join(CACHE, await sparticuzVersion())
  const executable = join(target, 'chromium')
  if (existsSync(executable)) return executable
  await mkdir(CACHE, { recursive: true })
  const staging = await mkdtemp(join(CACHE, 'extracting-'))
  try {
    await extractInto(staging)
    await writeFontConfig(staging, target)
    await rename(staging, target).catch((error: NodeJS.ErrnoException) => {
      // Another worker renamed its copy first: use that one.
      if (!existsSync(executable)) throw error
    })
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  // About 200 MB each: the Chromium of a previous version of the package goes once this one is in place.
  for (const entry of await readdir(CACHE)) {
    if (entry !== basename(target) && !entry.startsWith('extracting-')) {
      await rm(join(CACHE, entry), { recursive: true, force: true })
    }
  }
  return executable
}

/**
 * @sparticuz/chromium's arguments that do not belong in tests. `--single-process`: Lambda needs one
 * process (no prctl there); here it would make closing a page close the browser. The web-security ones:
 * a test of what another origin can do (the dashboard's CSRF test) needs the same-origin policy on.
 */
const NOT_HERE = new Set(['--single-process', '--disable-web-security', '--allow-running-insecure-content'])

/**
 * Launches headless Chromium: CHROMIUM_PATH when set (a system browser), else the packaged one.
 *
 * @example
 * ```ts
 * const browser = await launchBrowser()
 * try { ... } finally { await browser.close() }
 * ```
 */
export const launchBrowser = async (): Promise<Browser> => {
  const system = process.env.CHROMIUM_PATH
  if (system) return chromium.launch({ executablePath: system, headless: true, args: ['--no-sandbox'] })
  const executablePath = await packagedChromium()
  return chromium.launch({
    executablePath,
    headless: true,
    args: sparticuz.args.filter((arg) => !NOT_HERE.has(arg)),
    // Its fonts come with it; without them a machine with no fonts installed draws no text.
    env: { ...process.env, FONTCONFIG_FILE: join(executablePath, '..', 'fonts.conf') },
  })
}

/** What a page did while it was open: console errors, uncaught errors, and every URL it requested. */
export interface PageWatch {
  readonly consoleErrors: string[]
  readonly pageErrors: string[]
  readonly requests: string[]
}

/**
 * Records a page's console errors, uncaught exceptions and requests from now on.
 *
 * @example
 * ```ts
 * const watch = watchPage(page)
 * await page.goto(url)
 * expect(watch.pageErrors).toEqual([])
 * ```
 */
export const watchPage = (page: Page): PageWatch => {
  const watch: PageWatch = { consoleErrors: [], pageErrors: [], requests: [] }
  page.on('console', (message) => {
    if (message.type() === 'error') watch.consoleErrors.push(message.text())
  })
  page.on('pageerror', (error) => watch.pageErrors.push(error.message))
  page.on('request', (request) => watch.requests.push(request.url()))
  return watch
}

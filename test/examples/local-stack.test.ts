/**
 * The stack `npm start` runs serves HTTP through the emulator's own hardened front door (issue 11): a
 * function answer HTTP cannot carry is a 502 with the reason and the process keeps serving, a browser at
 * the first URL printed gets a page listing the routes (bug 4), and the terminal lines read a 4xx answer
 * as a client error, not `success` (bug 8).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { EmulatorEvent } from '@lambda-lifetime/emulator'
import { type LocalStack, startLocalStack } from '../../scripts/local/local-stack.mjs'
import { terminalLine } from '../../scripts/local/terminal.mjs'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')

let stack: LocalStack
let logDir: string
const lines: string[] = []

beforeAll(async () => {
  logDir = await mkdtemp(join(tmpdir(), 'local-stack-logs-'))
  stack = await startLocalStack({
    logDir,
    extraFunctions: [{ name: 'euro', handler: 'index.handler', codeDir: join(fixtures, 'euro-header') }],
    extraRoutes: { '/euro': 'euro' },
    onEvent: (event: EmulatorEvent) => {
      const line = terminalLine(event)
      if (line !== null) lines.push(line)
    },
  })
}, 90_000)

afterAll(async () => {
  await stack?.stop()
  await rm(logDir, { recursive: true, force: true })
}, 30_000)

/** Waits until a terminal line matches, or fails with the lines seen. */
const lineMatching = async (pattern: RegExp, ms = 10_000): Promise<string> => {
  const deadline = Date.now() + ms
  for (;;) {
    const found = lines.find((line) => pattern.test(line))
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`no line matches ${pattern}:\n${lines.join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('npm start’s HTTP front door', () => {
  it('answers a header value with € by a 502 with the reason, and keeps serving', async () => {
    // Act
    const euro = await fetch(`${stack.httpUrl}/euro`)
    const hello = await fetch(`${stack.httpUrl}/hello`)

    // Assess
    expect(euro.status).toBe(502)
    const body = (await euro.json()) as { message: string; reason: string }
    // API Gateway's words for a Lambda answer it cannot use, with the emulator's reason beside them.
    expect(body.message).toBe('Internal Server Error')
    expect(body.reason).toContain('x-price')
    expect(hello.status).toBe(200)
  })

  it('gives a browser at / a page listing the functions and routes (bug 4)', async () => {
    // Act
    const page = await fetch(`${stack.httpUrl}/`, { headers: { accept: 'text/html' } })

    // Assess
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await page.text()
    expect(html).toContain('<a href="/hello">/hello</a>: <strong>hello</strong>')
    expect(html).toContain('<strong>orders-api</strong>')
  })

  it('prints a 404 and a 400 answer as client errors and a 200 as ok (bug 8)', async () => {
    // Act
    const missing = await fetch(`${stack.httpUrl}/orders/no-such-order-route/x`)
    const malformed = await fetch(`${stack.httpUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"item":',
    })

    // Assess
    expect(missing.status).toBe(404)
    expect(malformed.status).toBe(400)
    expect(await lineMatching(/orders-api env [0-9a-f]{8} invocation \d+: client error 404/)).not.toContain(
      'success',
    )
    await lineMatching(/orders-api env [0-9a-f]{8} invocation \d+: client error 400/)
    await lineMatching(/hello env [0-9a-f]{8} invocation \d+: ok 200 in \d+ ms · container [0-9a-f]{8}$/)
  })
})

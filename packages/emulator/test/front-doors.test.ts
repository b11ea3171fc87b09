/**
 * The Invoke API and the HTTP front door on requests they refuse before any environment starts: no
 * runtime process is spawned here (the end-to-end cases are in test/emulator).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { type Emulator, type FunctionConfig, startEmulator } from '@lambda-lifetime/emulator'
import { MAX_EVENT_PAYLOAD_BYTES, MAX_SYNC_PAYLOAD_BYTES, parseFunctionReference } from '../src/invoke-api.js'

const fixtures = fileURLToPath(new URL('../../../test/emulator/fixtures', import.meta.url))
const functions: FunctionConfig[] = [{ name: 'web', handler: 'http.handler', codeDir: fixtures }]
const logDir = mkdtempSync(join(tmpdir(), 'emulator-front-doors-'))
let invokeOnly: Emulator
let withHttp: Emulator

beforeAll(async () => {
  invokeOnly = await startEmulator({ logDir, functions })
  withHttp = await startEmulator({ logDir, functions, httpPort: 0 })
})

afterAll(async () => {
  await invokeOnly?.stop()
  await withHttp?.stop()
  rmSync(logDir, { recursive: true, force: true })
})

describe('parseFunctionReference', () => {
  test.each([
    ['hello', 'hello', null],
    ['hello:prod', 'hello', 'prod'],
    ['123456789012:function:hello', 'hello', null],
    ['arn:aws:lambda:us-east-1:123456789012:function:hello:%24LATEST', 'hello', '$LATEST'],
    [encodeURIComponent('arn:aws:lambda:us-east-1:123456789012:function:hello'), 'hello', null],
    ['function', 'function', null],
    ['function:%24LATEST', 'function', '$LATEST'],
    ['123456789012:function', '123456789012', 'function'],
    ['arn:aws:lambda:us-east-1:123456789012:function:function', 'function', null],
  ])('%s names %p, qualifier %p', (pathPart, name, qualifier) => {
    // Act / Assess
    expect(parseFunctionReference(pathPart)).toMatchObject({ name, qualifier })
  })

  test.each(['a:b:c', 'arn:aws:lambda:us-east-1:1:function:x', 'na me'])(
    '%s is a ValidationException',
    (pathPart) => {
      // Act / Assess
      expect(() => parseFunctionReference(encodeURIComponent(pathPart))).toThrow(
        expect.objectContaining({ code: 'ValidationException', statusCode: 400 }),
      )
    },
  )
})

describe('Invoke API', () => {
  test('without httpPort there is no HTTP front door, and the Invoke API takes a free port', () => {
    // Assess
    expect(invokeOnly.httpUrl).toBeNull()
    expect(invokeOnly.invokeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  test('an Event payload over 1 MB is refused with 413 naming InvokeAsync, and nothing starts', async () => {
    // Act
    const response = await fetch(`${invokeOnly.invokeUrl}/2015-03-31/functions/web/invocations`, {
      method: 'POST',
      headers: { 'X-Amz-Invocation-Type': 'Event' },
      body: Buffer.alloc(MAX_EVENT_PAYLOAD_BYTES + 1, 0x20),
    })

    // Assess
    expect(response.status).toBe(413)
    expect(response.headers.get('x-amzn-errortype')).toBe('RequestEntityTooLargeException')
    expect(((await response.json()) as { message: string }).message).toContain('InvokeAsync')
    expect(invokeOnly.environments()).toEqual([])
  })

  test('a function name that is not valid percent-encoding is a ValidationException (400) with the reason', async () => {
    // Act
    const response = await fetch(`${invokeOnly.invokeUrl}/2015-03-31/functions/web%E0%A4%A/invocations`, {
      method: 'POST',
      body: '{}',
    })

    // Assess
    expect(response.status).toBe(400)
    expect(response.headers.get('x-amzn-errortype')).toBe('ValidationException')
    expect(await response.text()).toContain('not valid percent-encoding')
  })

  test('a port in use rejects startEmulator, which stops what it started', async () => {
    // Prepare
    const port = Number(new URL(invokeOnly.invokeUrl).port)
    const exitHooks = process.listenerCount('exit')

    // Act
    const starting = startEmulator({ logDir, functions, port })

    // Assess
    await expect(starting).rejects.toMatchObject({ code: 'EADDRINUSE' })
    expect(process.listenerCount('exit')).toBe(exitHooks)
  })
})

describe('HTTP front door', () => {
  test('a body over 6 MB gets 413 without invoking the function', async () => {
    // Act
    const response = await fetch(`${withHttp.httpUrl}/upload`, {
      method: 'POST',
      body: Buffer.alloc(MAX_SYNC_PAYLOAD_BYTES + 1, 0x20),
    })

    // Assess
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({
      message: 'Request Entity Too Large',
      reason: `the body is over ${MAX_SYNC_PAYLOAD_BYTES} bytes, Lambda's limit for a synchronous invocation`,
    })
    expect(withHttp.environments()).toEqual([])
  })
})

/**
 * The HTTP front door with a project's API routes (`apiRoutes`): requests matched as API Gateway matches
 * them, REST API routes getting payload 1.0 events with the route in `resource` and `pathParameters`,
 * misses answered as API Gateway does, and the routes listed for a browser. Also `redeploy` of a
 * function the emulator does not have, and routes naming no function.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { type Emulator, type HttpRoute, startEmulator } from '@lambda-lifetime/emulator'

const fixtures = new URL('./fixtures', import.meta.url).pathname
const restRoute = (method: string, path: string): HttpRoute => ({
  api: 'Rest',
  kind: 'rest-api',
  payloadFormat: '1.0',
  method,
  path,
  functionName: 'fn',
})

let emulator: Emulator
let logDir = ''

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'emulator-api-routes-'))
  emulator = await startEmulator({
    functions: [{ name: 'fn', handler: 'rest-echo.handler', codeDir: fixtures }],
    apiRoutes: [restRoute('GET', '/orders/{id}'), restRoute('ANY', '/files/{proxy+}')],
    httpPort: 0,
    logDir,
  })
}, 30_000)

afterAll(async () => {
  await emulator?.stop()
  rmSync(logDir, { recursive: true, force: true })
})

interface RestEcho {
  event: {
    resource: string
    path: string
    httpMethod: string
    pathParameters: Record<string, string> | null
    queryStringParameters: Record<string, string> | null
    multiValueQueryStringParameters: Record<string, string[]> | null
    body: string | null
    isBase64Encoded: boolean
    requestContext: { resourcePath: string; httpMethod: string }
  }
}

describe('the HTTP front door with apiRoutes', () => {
  test('a REST API route gets a 1.0 event with its resource, path parameters and query', async () => {
    // Act
    const response = await fetch(`${emulator.httpUrl}/orders/42?tag=a&tag=b`)
    const binary = await fetch(`${emulator.httpUrl}/files/a/b.png`, {
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array([1, 2, 3]),
    })

    // Assess
    expect(response.status).toBe(200)
    const { event } = (await response.json()) as RestEcho
    expect(event).toMatchObject({
      resource: '/orders/{id}',
      path: '/orders/42',
      httpMethod: 'GET',
      pathParameters: { id: '42' },
      // A REST API keeps the last value of a repeated parameter; all of them are in the multi-value map.
      queryStringParameters: { tag: 'b' },
      multiValueQueryStringParameters: { tag: ['a', 'b'] },
      body: null,
      isBase64Encoded: false,
      requestContext: { resourcePath: '/orders/{id}', httpMethod: 'GET' },
    })
    const upload = ((await binary.json()) as RestEcho).event
    expect(upload.pathParameters).toEqual({ proxy: 'a/b.png' })
    expect(upload.isBase64Encoded).toBe(true)
    expect(Buffer.from(upload.body as string, 'base64')).toEqual(Buffer.from([1, 2, 3]))
  })

  test('a path or method no route takes answers as a REST API does; a browser at / gets the routes', async () => {
    // Act
    const missing = await fetch(`${emulator.httpUrl}/nowhere`)
    const wrongMethod = await fetch(`${emulator.httpUrl}/orders/42`, { method: 'DELETE' })
    const page = await fetch(`${emulator.httpUrl}/`, { headers: { accept: 'text/html' } })

    // Assess
    expect(missing.status).toBe(403)
    expect(await missing.json()).toEqual({ message: 'Missing Authentication Token' })
    expect(wrongMethod.status).toBe(403)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('GET /orders/{id} (rest-api, payload 1.0): <strong>fn</strong>')
    expect(html).toContain('API Gateway&#39;s answer for a route that does not exist')
  })

  test('redeploy of an unknown function is not found; routes naming no function are refused', async () => {
    // Act
    const redeploy = emulator.redeploy({ name: 'nope', handler: 'respond.handler', codeDir: fixtures })
    const start = startEmulator({
      functions: [{ name: 'fn', handler: 'respond.handler', codeDir: fixtures }],
      apiRoutes: [{ ...restRoute('GET', '/x'), functionName: 'other' }],
    })

    // Assess
    await expect(redeploy).rejects.toMatchObject({ code: 'ResourceNotFoundException' })
    await expect(start).rejects.toThrow('option "apiRoutes[0].functionName" names no function: "other"')
  })
})

/** The Runtime and Extensions API server alone: routing and request checks, with handlers that record. */
import { Agent, request, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import fc from 'fast-check'
import { type RuntimeApiHandlers, sendJson, startRuntimeApi } from '../src/runtime-api.js'

const registered: { name: string; events: readonly string[] }[] = []
const subscriptions: { id: string | null; body: string }[] = []
let server: Server
let api: string

const handlers: RuntimeApiHandlers = {
  next: (response) => sendJson(response, 200, {}),
  result: (_requestId, _body, _errorType, response) => sendJson(response, 202, {}),
  stream: (_requestId, request, response) => {
    request.resume()
    request.on('end', () => sendJson(response, 202, {}))
  },
  initError: (_body, response) => sendJson(response, 202, {}),
  registerExtension: (name, events, response) => {
    registered.push({ name, events })
    sendJson(response, 200, {}, { 'Lambda-Extension-Identifier': 'id-1' })
  },
  nextExtensionEvent: (_id, response) => sendJson(response, 200, {}),
  subscribeTelemetry: (id, body, response) => {
    subscriptions.push({ id, body: body.toString('utf8') })
    sendJson(response, 200, 'OK')
  },
  allowPeer: () => true,
}

const register = (body: string) =>
  fetch(`${api}/2020-01-01/extension/register`, {
    method: 'POST',
    headers: { 'Lambda-Extension-Name': 'watcher' },
    body,
  })

beforeAll(async () => {
  const started = await startRuntimeApi(handlers)
  server = started.server
  api = `http://127.0.0.1:${started.port}`
})

afterAll(async () => {
  await new Promise((resolve) => {
    server.close(resolve)
    server.closeAllConnections()
  })
})

describe('any request', () => {
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']
  const paths = [
    '/2018-06-01/runtime/invocation/next',
    '/2018-06-01/runtime/invocation/{id}/response',
    '/2018-06-01/runtime/invocation/{id}/error',
    '/2018-06-01/runtime/init/error',
    '/2020-01-01/extension/register',
    '/2020-01-01/extension/event/next',
    '/2022-07-01/telemetry',
    '/{id}',
  ]
  const send = (method: string, path: string, headers: Record<string, string>, body: Buffer) =>
    new Promise<number>((resolve, reject) => {
      const call = request(
        { host: '127.0.0.1', port: Number(new URL(api).port), method, path, headers },
        (response) => {
          response.resume()
          response.on('end', () => resolve(response.statusCode as number))
        },
      )
      call.on('error', reject)
      call.end(method === 'GET' ? undefined : body)
    })

  test('gets an answer with a status, and the server answers the next well-formed call', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...methods),
        fc.constantFrom(...paths),
        // A path segment: any text percent-encoded, or broken percent-encoding as it arrives
        fc.oneof(
          fc.string().map((text) => encodeURIComponent(text)),
          fc.constantFrom('%', '%E0%A4%A', '%zz', '..', ''),
        ),
        fc.dictionary(
          fc.constantFrom('lambda-extension-name', 'lambda-extension-identifier', 'x-any'),
          fc
            .string({ unit: 'grapheme-ascii', maxLength: 20 })
            .map((value) => value.replace(/[^\x20-\x7e]/g, '')),
        ),
        fc.uint8Array({ maxLength: 200 }),
        async (method, template, id, headers, body) => {
          // Act
          const status = await send(method, template.replace('{id}', id), headers, Buffer.from(body))
          const healthy = await register('{"events":[]}')

          // Assess
          expect(status).toBeGreaterThanOrEqual(200)
          expect(status).toBeLessThan(500)
          expect(healthy.status).toBe(200)
        },
      ),
      { numRuns: 300 },
    )
  })

  test('a request id that is not valid percent-encoding gets 400 with the reason', async () => {
    // Act
    const response = await fetch(`${api}/2018-06-01/runtime/invocation/%E0%A4%A/response`, {
      method: 'POST',
      body: '{}',
    })

    // Assess
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ errorType: 'InvalidRequestID' })
  })
})

describe('the peer check', () => {
  const serve = async (allowPeer: RuntimeApiHandlers['allowPeer']) => {
    let asked = 0
    const started = await startRuntimeApi({
      ...handlers,
      allowPeer: (socket) => {
        asked += 1
        return allowPeer(socket)
      },
    })
    return { ...started, asked: () => asked }
  }

  const close = (closing: Server) =>
    new Promise((resolve) => {
      closing.close(resolve)
      closing.closeAllConnections()
    })

  test('is asked once per connection; a refused connection gets 403 on every request, /next included', async () => {
    // Prepare
    const refusing = await serve(() => false)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port: refusing.port, path, agent }, (response) => {
          response.resume()
          response.on('end', () => resolve(response.statusCode as number))
        })
          .on('error', reject)
          .end()
      })

    try {
      // Act
      const statuses = [
        await get('/2018-06-01/runtime/invocation/next'),
        await get('/2018-06-01/runtime/invocation/next'),
        await get('/2020-01-01/extension/event/next'),
      ]

      // Assess
      expect(statuses).toEqual([403, 403, 403])
      expect(refusing.asked()).toBe(1)
    } finally {
      agent.destroy()
      await close(refusing.server)
    }
  })

  test('a check that fails refuses the connection', async () => {
    // Prepare
    const failing = await serve(() => {
      throw new Error('no /proc here')
    })

    try {
      // Act
      const response = await fetch(`http://127.0.0.1:${failing.port}/2018-06-01/runtime/init/error`, {
        method: 'POST',
        body: '{}',
      })

      // Assess
      expect(response.status).toBe(403)
      expect(await response.json()).toMatchObject({ errorType: 'AccessDeniedException' })
    } finally {
      await close(failing.server)
    }
  })
})

describe('extension registration', () => {
  test('a body without events registers for none; events that are not strings are refused', async () => {
    // Prepare
    registered.length = 0

    // Act
    const withoutEvents = await register('{}')
    const numericEvents = await register('{"events":[1]}')

    // Assess
    expect(withoutEvents.status).toBe(200)
    expect(withoutEvents.headers.get('lambda-extension-identifier')).toBe('id-1')
    expect(registered).toEqual([{ name: 'watcher', events: [] }])
    expect(numericEvents.status).toBe(400)
    expect(await numericEvents.json()).toMatchObject({ errorType: 'Extension.InvalidRequest' })
  })
})

describe('Telemetry API route', () => {
  test('PUT /2022-07-01/telemetry (with or without the trailing slash) reaches the handler with the identifier', async () => {
    // Prepare
    subscriptions.length = 0

    // Act
    const named = await fetch(`${api}/2022-07-01/telemetry`, {
      method: 'PUT',
      headers: { 'Lambda-Extension-Identifier': 'id-1' },
      body: '{"types":[]}',
    })
    const slashed = await fetch(`${api}/2022-07-01/telemetry/`, { method: 'PUT', body: '{}' })
    const posted = await fetch(`${api}/2022-07-01/telemetry`, { method: 'POST', body: '{}' })

    // Assess
    expect([named.status, slashed.status, posted.status]).toEqual([200, 200, 404])
    expect(subscriptions).toEqual([
      { id: 'id-1', body: '{"types":[]}' },
      { id: null, body: '{}' },
    ])
  })
})

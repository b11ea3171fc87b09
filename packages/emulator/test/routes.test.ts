/**
 * The Invoke API and HTTP front door routes against stub backends: the answers that need a backend to
 * misbehave, or a request no fetch would send.
 */
import type { Server } from 'node:http'
import { afterEach, describe, expect, test } from '@jest/globals'
import { InvokeApiError } from '@lambda-lifetime/emulator'
import { classifyAnswer } from '../src/emulator.js'
import { type HttpBackend, httpFrontDoorRoute, routeFunction, sendHttpError } from '../src/http-api.js'
import { close, createGuardedServer, listen } from '../src/http-server.js'
import {
  asciiJson,
  decodeClientContext,
  type InvokeBackend,
  invokeApiRoute,
  sendInvokeError,
} from '../src/invoke-api.js'
import type { InvokeOptions, InvokeResult } from '../src/types.js'
import { bodyOf, rawExchange, statusOf } from './support/raw.js'

const servers: Server[] = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => close(server)))
})

const serveInvoke = async (overrides: Partial<InvokeBackend> = {}) => {
  const calls: [string, string, InvokeOptions | undefined][] = []
  const backend: InvokeBackend = {
    region: 'us-east-1',
    accountId: '000000000000',
    hasFunction: (name) => name === 'fn',
    invokeRaw: async (name, payload, options) => {
      calls.push([name, payload, options])
      return { statusCode: 200, requestId: 'r', payload, environmentId: 'e' }
    },
    environments: () => [],
    ...overrides,
  }
  const server = createGuardedServer(invokeApiRoute(backend), sendInvokeError)
  servers.push(server)
  return { url: await listen(server, 0, '127.0.0.1'), calls }
}

const serveHttp = async (invokeRaw: HttpBackend['invokeRaw'], integrationTimeoutMs?: number) => {
  const server = createGuardedServer(
    httpFrontDoorRoute({
      accountId: '000000000000',
      functionName: 'fn',
      routes: {},
      functionNames: ['fn'],
      invokeUrl: 'x',
      invokeRaw,
      ...(integrationTimeoutMs === undefined ? {} : { integrationTimeoutMs }),
    }),
    sendHttpError,
  )
  servers.push(server)
  return listen(server, 0, '127.0.0.1')
}

describe('Invoke API route', () => {
  test('a failure of the emulator itself is a 500 ServiceException with the reason, and it serves on', async () => {
    // Prepare
    let fail = true
    const { url } = await serveInvoke({
      invokeRaw: async (_name, payload) => {
        if (fail) throw new Error('pool on fire')
        return { statusCode: 200, requestId: 'r', payload, environmentId: 'e' }
      },
    })

    // Act
    const failed = await fetch(`${url}/2015-03-31/functions/fn/invocations`, { method: 'POST', body: '{}' })
    fail = false
    const next = await fetch(`${url}/2015-03-31/functions/fn/invocations`, {
      method: 'POST',
      body: '{"a":1}',
    })

    // Assess
    expect(failed.status).toBe(500)
    expect(failed.headers.get('x-amzn-errortype')).toBe('ServiceException')
    expect(await failed.json()).toEqual({ Type: 'Service', message: 'The emulator failed: pool on fire' })
    expect(await next.json()).toEqual({ a: 1 })
  })

  test('a request target that is not a URL is a 400 ValidationException', async () => {
    // Prepare
    const { url } = await serveInvoke()

    // Act
    const answer = await rawExchange(url, 'POST http://[::1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')

    // Assess
    expect(statusOf(answer)).toBe(400)
    expect(JSON.parse(bodyOf(answer)).message).toBe('The request target is not a valid URL: http://[::1')
  })

  test('DryRun checks and answers 204 without invoking; an Event carries no client context', async () => {
    // Prepare
    const { url, calls } = await serveInvoke()
    const context = Buffer.from('{"custom":{"a":1}}').toString('base64')

    // Act
    const dry = await fetch(`${url}/2015-03-31/functions/fn/invocations`, {
      method: 'POST',
      headers: { 'X-Amz-Invocation-Type': 'DryRun' },
      body: '{}',
    })
    const event = await fetch(`${url}/2015-03-31/functions/fn/invocations`, {
      method: 'POST',
      headers: { 'X-Amz-Invocation-Type': 'Event', 'X-Amz-Client-Context': context },
      body: '{}',
    })

    // Assess
    expect(dry.status).toBe(204)
    expect(event.status).toBe(200)
    expect(calls).toEqual([['fn', '{}', { type: 'Event', tail: false }]])
  })

  test('GET of the environments answers the backend’s snapshots; other operations are unknown', async () => {
    // Prepare
    const { url } = await serveInvoke()

    // Act
    const environments = await fetch(`${url}/_lambda-lifetime/environments`)
    const unknown = await fetch(`${url}/2015-03-31/functions`)

    // Assess
    expect(await environments.json()).toEqual([])
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException')
  })

  test('a client context sent twice is refused', () => {
    // Act / Assess
    expect(() => decodeClientContext(['e30=', 'e30='])).toThrow('The header was sent more than once.')
  })

  test('asciiJson escapes what a header cannot carry and writes undefined as null', () => {
    // Act / Assess
    expect(asciiJson({ a: 'Zürich €\u007f' })).toBe('{"a":"Z\\u00fcrich \\u20ac\\u007f"}')
    expect(JSON.parse(asciiJson({ a: 'Zürich €' }))).toEqual({ a: 'Zürich €' })
    expect(asciiJson(undefined)).toBe('null')
  })
})

describe('HTTP front door route', () => {
  test('every refusal of Lambda, a throttle too, is API Gateway’s 500 with the reason', async () => {
    // Prepare
    const throttled = await serveHttp(async () => {
      throw new InvokeApiError('TooManyRequestsException', 429, 'Rate Exceeded.')
    })
    const refused = await serveHttp(async () => {
      throw new InvokeApiError('ResourceNotFoundException', 404, 'Function not found: x')
    })
    const broken = await serveHttp(async () => {
      throw new Error('pool on fire')
    })

    // Act
    const first = await fetch(`${throttled}/a`)
    const second = await fetch(`${refused}/a`)
    const third = await fetch(`${broken}/a`)

    // Assess
    expect(first.status).toBe(500)
    expect(((await first.json()) as { reason: string }).reason).toContain('TooManyRequestsException')
    expect(second.status).toBe(500)
    expect(await second.json()).toEqual({
      message: 'Internal Server Error',
      reason: 'the invocation failed: ResourceNotFoundException: Function not found: x',
    })
    expect(((await third.json()) as { reason: string }).reason).toBe('the invocation failed: pool on fire')
  })

  test('past the integration timeout the caller gets 503 Service Unavailable; the invocation goes on', async () => {
    // Prepare
    let finish: (result: InvokeResult) => void = () => {}
    const pending = new Promise<InvokeResult>((resolve) => {
      finish = resolve
    })
    const url = await serveHttp(() => pending, 50)

    // Act
    const answer = await fetch(`${url}/slow`)
    finish({ statusCode: 200, requestId: 'r', payload: '{}', environmentId: 'e' })

    // Assess
    expect(answer.status).toBe(503)
    expect(((await answer.json()) as { message: string }).message).toBe('Service Unavailable')
  })

  test('sendHttpError answers a failure of the route itself with its reason, whatever was thrown', async () => {
    // Prepare
    const server = createGuardedServer(() => {
      throw 'broken route'
    }, sendHttpError)
    servers.push(server)
    const url = await listen(server, 0, '127.0.0.1')

    // Act
    const response = await fetch(url)

    // Assess
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({
      message: 'Internal Server Error',
      reason: 'the emulator failed: broken route',
    })
  })
})

describe('classifyAnswer', () => {
  test.each([
    ['success', '{"statusCode":"x"}', { answer: 'success' }],
    ['success', '{"statusCode": oops', { answer: 'success' }],
    ['success', '{"statusCode":302}', { answer: 'success', statusCode: 302 }],
    ['crash', '', { answer: 'error' }],
    [
      'success',
      `{"statusCode":404,"body":"${'x'.repeat(70_000)}"}`,
      { answer: 'client-error', statusCode: 404 },
    ],
    ['success', `{"body":"${'x'.repeat(70_000)}","statusCode":404}`, { answer: 'success' }],
  ] as const)('%s with payload %# reads %j', (outcome, payload, reading) => {
    // Act / Assess
    expect(classifyAnswer(outcome, payload)).toEqual(reading)
  })
})

describe('routeFunction', () => {
  const routes = { '/hello': 'hello', '/hello/admin': 'admin', '/files/': 'files' }

  test.each([
    ['/hello', 'hello'],
    ['/hello/x', 'hello'],
    ['/hello/admin/users', 'admin'],
    ['/helloworld', 'api'],
    ['/files/a.txt', 'files'],
    ['/', 'api'],
  ])('%s goes to %s (the longest prefix it is, or is under)', (path, name) => {
    // Act / Assess
    expect(routeFunction(path, routes, 'api')).toBe(name)
  })
})

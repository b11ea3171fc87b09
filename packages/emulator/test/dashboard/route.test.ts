import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from '@jest/globals'
import * as report from '@lambda-lifetime/report'
import {
  createDashboard,
  type DashboardBackend,
  isLocalHost,
  TOKEN_HEADER,
} from '../../src/dashboard/route.js'
import { InvokeApiError } from '../../src/errors.js'
import { close, createGuardedServer, listen } from '../../src/http-server.js'
import { invokeApiRoute, sendInvokeError } from '../../src/invoke-api.js'
import type { EmulatorEvent, EnvironmentInfo, InvokeResult } from '../../src/types.js'

/** A dashboard in front of the real Invoke API route, over a backend that records what it is asked. */
const serve = async (
  overrides: Partial<DashboardBackend> = {},
  options: Parameters<typeof createDashboard>[1] = {},
) => {
  const listeners = new Set<(event: EmulatorEvent) => void>()
  const calls = { invoked: [] as string[], stopped: [] as string[] }
  const backend: DashboardBackend = {
    logDir: join(tmpdir(), 'no-such-dashboard-logs'),
    region: 'us-east-1',
    accountId: '000000000000',
    functions: [{ name: 'hello', memoryMb: 128, timeoutMs: 3000 }],
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    invokeRaw: async (name, payload): Promise<InvokeResult> => {
      calls.invoked.push(`${name} ${payload}`)
      return {
        statusCode: 200,
        requestId: 'r-1',
        payload: '{"ok":true}',
        environmentId: '2026/12/04/[$LATEST]0c043fa44889969a82ad0b09bd15493d',
        logResult: Buffer.from('START RequestId: r-1\n').toString('base64'),
      }
    },
    stopEnvironment: (id) => {
      calls.stopped.push(id)
      return id === 'known'
    },
    ...overrides,
  }
  const dashboard = createDashboard(backend, options)
  const invokeRoute = invokeApiRoute({
    region: 'us-east-1',
    accountId: '000000000000',
    hasFunction: () => false,
    invokeRaw: backend.invokeRaw,
    environments: () => [],
  })
  const server = createGuardedServer(dashboard.route(invokeRoute), sendInvokeError)
  const url = await listen(server, 0, '127.0.0.1')
  const emit = (event: EmulatorEvent): void => {
    for (const listener of listeners) listener(event)
  }
  servers.push(async () => {
    dashboard.close()
    await close(server)
  })
  return { url, dashboard, calls, emit, listeners }
}

const servers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of servers.splice(0)) await stop()
})

/** A request with exactly the headers given (fetch adds its own, and refuses to set Host). */
const raw = (
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> =>
  new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, {
      method: options.method ?? 'GET',
      headers: options.headers,
    })
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      )
    })
    request.on('error', reject)
    request.end(options.body)
  })

const act = (url: string, token: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  raw(url, `/_lambda-lifetime/dashboard/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin: url,
      [TOKEN_HEADER]: token,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

const info = (id: string, state: EnvironmentInfo['state'] = 'idle'): EnvironmentInfo => ({
  id,
  functionName: 'hello',
  state,
  frozen: false,
  initType: 'on-demand',
  pid: null,
  runtimes: 1,
  invocations: 1,
  inFlight: 0,
  extensions: [],
  createdAt: 1_000,
  lastInvocationEndAt: null,
  tmpDir: '/tmp/x',
  logFile: '/tmp/x.log',
})

describe('the dashboard routes', () => {
  it('serves the page at / with its token and a strict content policy, and its assets; the Invoke API keeps the rest', async () => {
    // Prepare
    const { url, dashboard } = await serve()

    // Act
    const page = await raw(url, '/')
    const script = await raw(url, '/_lambda-lifetime/dashboard/app.js')
    const style = await raw(url, '/_lambda-lifetime/dashboard/app.css')
    const samples = await raw(url, '/_lambda-lifetime/dashboard/samples')
    const unknown = await raw(url, '/_lambda-lifetime/dashboard/nothing')
    const postRoot = await raw(url, '/', { method: 'POST', body: '{}' })

    // Assess
    expect(page.status).toBe(200)
    expect(page.body).toContain(`<meta name="lambda-lifetime-token" content="${dashboard.token}">`)
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(script.body).toContain('new EventSource')
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8')
    const names = (JSON.parse(samples.body) as { name: string }[]).map((sample) => sample.name)
    expect(names).toEqual(expect.arrayContaining(['http-api', 'sqs', 's3', 'schedule']))
    expect(unknown.status).toBe(404)
    expect(postRoot.status).toBe(404)
    expect(postRoot.headers['x-amzn-errortype']).toBe('UnknownOperationException')
  })

  it('answers only requests addressed to localhost or an IP address (DNS rebinding)', async () => {
    // Prepare
    const { url } = await serve()
    const port = new URL(url).port

    // Act
    const rebound = await raw(url, '/', { headers: { host: `evil.example:${port}` } })
    const named = await raw(url, '/', { headers: { host: `localhost:${port}` } })
    const v6 = await raw(url, '/', { headers: { host: `[::1]:${port}` } })

    // Assess
    expect(rebound.status).toBe(403)
    expect(JSON.parse(rebound.body).message).toContain('localhost or an IP address')
    expect(named.status).toBe(200)
    expect(v6.status).toBe(200)
    expect(isLocalHost(undefined)).toBe(false)
    expect(isLocalHost('app.localhost:80')).toBe(true)
    expect(isLocalHost('127.0.0.1.evil.example')).toBe(false)
    expect(isLocalHost('a b')).toBe(false)
    expect(isLocalHost('[::1')).toBe(false)
  })

  it.each([
    ['no token', { [TOKEN_HEADER]: '' }, 'token'],
    ['a wrong token', { [TOKEN_HEADER]: 'x'.repeat(32) }, 'token'],
    ['another origin', { origin: 'https://evil.example' }, 'another site'],
    ['a cross-site fetch', { 'sec-fetch-site': 'cross-site' }, 'Sec-Fetch-Site'],
    ['a form body', { 'content-type': 'text/plain' }, 'JSON'],
  ])('refuses an action with %s (CSRF), and does nothing', async (_case, headers, reason) => {
    // Prepare
    const { url, dashboard, calls } = await serve()

    // Act
    const stopped = await act(url, dashboard.token, 'stop', { id: 'known' }, headers)
    const invoked = await act(
      url,
      dashboard.token,
      'invoke',
      { functionName: 'hello', payload: '{}' },
      headers,
    )

    // Assess
    expect(stopped.status).toBe(403)
    expect(JSON.parse(stopped.body).message).toContain(reason)
    expect(invoked.status).toBe(403)
    expect(calls).toEqual({ invoked: [], stopped: [] })
  })

  it('stops a known environment, and says so when there is none', async () => {
    // Prepare
    const { url, dashboard, calls } = await serve()

    // Act
    const known = await act(url, dashboard.token, 'stop', { id: 'known' })
    const unknown = await act(url, dashboard.token, 'stop', { id: 'gone' })
    const noId = await act(url, dashboard.token, 'stop', {})

    // Assess
    expect(known.status).toBe(202)
    expect(JSON.parse(known.body)).toEqual({ stopping: 'known' })
    expect(unknown.status).toBe(404)
    expect(noId.status).toBe(404)
    expect(calls.stopped).toEqual(['known', 'gone'])
  })

  it('invokes with the event as it was typed and answers with the result, the environment and the log', async () => {
    // Prepare
    const { url, dashboard, calls } = await serve()

    // Act
    const answer = await act(url, dashboard.token, 'invoke', { functionName: 'hello', payload: '{ "a": 1 }' })

    // Assess
    expect(answer.status).toBe(200)
    const body = JSON.parse(answer.body)
    expect(body).toMatchObject({
      requestId: 'r-1',
      environment: '0c043fa4',
      functionError: null,
      payload: '{"ok":true}',
      log: 'START RequestId: r-1\n',
    })
    expect(calls.invoked).toEqual(['hello { "a": 1 }'])
  })

  it('says when the function failed, and answers an Event-like result with no environment and no log', async () => {
    // Prepare
    const { url, dashboard } = await serve({
      invokeRaw: async () => ({
        statusCode: 200,
        requestId: 'r-2',
        payload: '{"errorType":"Error"}',
        environmentId: null,
        functionError: 'Unhandled',
      }),
    })

    // Act
    const answer = await act(url, dashboard.token, 'invoke', { functionName: 'hello', payload: '{}' })
    const head = await raw(url, '/_lambda-lifetime/dashboard/events', { method: 'HEAD' })

    // Assess
    expect(JSON.parse(answer.body)).toMatchObject({ environment: null, functionError: 'Unhandled', log: '' })
    expect(head.status).toBe(200)
    expect(dashboard.stream.size).toBe(0)
  })

  it('refuses an action without a content type', async () => {
    // Prepare
    const { url, dashboard } = await serve()

    // Act
    const answer = await raw(url, '/_lambda-lifetime/dashboard/stop', {
      method: 'POST',
      headers: { [TOKEN_HEADER]: dashboard.token },
      body: '{"id":"known"}',
    })

    // Assess
    expect(answer.status).toBe(403)
    expect(JSON.parse(answer.body).message).toContain('JSON')
  })

  it.each([
    ['an unknown function', { functionName: 'nope', payload: '{}' }, 404, 'no function named'],
    ['a payload that is not text', { functionName: 'hello', payload: {} }, 400, 'JSON text'],
    ['an event that is not JSON', { functionName: 'hello', payload: '{"a":' }, 400, 'the event is not JSON'],
    ['a body that is not JSON', '{"functionName":', 400, 'the body is not JSON'],
    ['a body that is not an object', '[1]', 400, 'a JSON object'],
  ])('refuses %s with the reason', async (_case, body, status, reason) => {
    // Prepare
    const { url, dashboard, calls } = await serve()

    // Act
    const answer = await act(url, dashboard.token, 'invoke', body)

    // Assess
    expect(answer.status).toBe(status)
    expect(JSON.parse(answer.body).message).toContain(reason)
    expect(calls.invoked).toEqual([])
  })

  it('refuses a body over the limit without reading it, and other methods', async () => {
    // Prepare
    const { url, dashboard } = await serve()

    // Act
    const large = await act(url, dashboard.token, 'stop', { id: 'x'.repeat(5000) })
    const put = await raw(url, '/_lambda-lifetime/dashboard/stop', { method: 'PUT' })
    const preflight = await raw(url, '/_lambda-lifetime/dashboard/stop', { method: 'OPTIONS' })

    // Assess
    expect(large.status).toBe(413)
    expect(put.status).toBe(405)
    expect(preflight.status).toBe(405)
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
  })

  it("passes Lambda's refusals on (a throttle is a 429 with the reason)", async () => {
    // Prepare
    const { url, dashboard } = await serve({
      invokeRaw: () => Promise.reject(new InvokeApiError('TooManyRequestsException', 429, 'Rate Exceeded.')),
    })

    // Act
    const answer = await act(url, dashboard.token, 'invoke', { functionName: 'hello', payload: '{}' })

    // Assess
    expect(answer.status).toBe(429)
    expect(JSON.parse(answer.body)).toEqual({ message: 'Rate Exceeded.', code: 'TooManyRequestsException' })
  })

  it('turns its own failure into a 500 with the reason', async () => {
    // Prepare
    const { url, dashboard } = await serve({ invokeRaw: () => Promise.reject(new Error('boom')) })

    // Act
    const answer = await act(url, dashboard.token, 'invoke', { functionName: 'hello', payload: '{}' })

    // Assess
    expect(answer.status).toBe(500)
    expect(answer.body).toContain('boom')
  })

  it('says how to install the report when @lambda-lifetime/report is missing', async () => {
    // Prepare
    const { url } = await serve({}, { loadReport: () => Promise.reject(new Error('Cannot find package')) })
    const { url: old } = await serve({}, { loadReport: async () => ({ runReportCli: () => 0 }) })

    // Act
    const missing = await raw(url, '/_lambda-lifetime/dashboard/report')
    const outdated = await raw(old, '/_lambda-lifetime/dashboard/report')

    // Assess
    expect(missing.status).toBe(501)
    expect(missing.body).toContain('npm install --save-dev @lambda-lifetime/report')
    expect(outdated.status).toBe(501)
  })

  it('draws the report of the log folder, and says why when it cannot', async () => {
    // Prepare
    const logDir = mkdtempSync(join(tmpdir(), 'dashboard-report-'))
    try {
      const { url } = await serve({ logDir }, { loadReport: async () => report })
      const { url: broken } = await serve(
        { logDir },
        {
          loadReport: async () => ({
            ...report,
            renderHtml: () => {
              throw new Error('no ink')
            },
          }),
        },
      )

      // Act
      const [first, second] = await Promise.all([
        raw(url, '/_lambda-lifetime/dashboard/report'),
        raw(url, '/_lambda-lifetime/dashboard/report'),
      ])
      const failed = await raw(broken, '/_lambda-lifetime/dashboard/report')

      // Assess
      expect(first.status).toBe(200)
      expect(first.body).toContain('<h1>Container lifetimes of this run</h1>')
      expect(second.body).toBe(first.body)
      expect(failed.status).toBe(500)
      expect(JSON.parse(failed.body).message).toContain('no ink')
    } finally {
      rmSync(logDir, { recursive: true, force: true })
    }
  })

  it('streams a snapshot, then one update per emulator event; stops listening when closed', async () => {
    // Prepare
    const { url, emit, dashboard, listeners } = await serve()
    emit({ type: 'environment.start', at: Date.now(), environment: info('env-a', 'initializing') })
    const controller = new AbortController()
    const response = await fetch(`${url}/_lambda-lifetime/dashboard/events`, { signal: controller.signal })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    const readUntil = async (needle: string): Promise<void> => {
      while (!text.includes(needle)) text += new TextDecoder().decode((await reader.read()).value)
    }

    // Act
    await readUntil('event: snapshot')
    await readUntil('\n\n')
    emit({ type: 'invocation.throttle', at: Date.now(), functionName: 'hello' })
    await readUntil('"throttle"')
    controller.abort()
    dashboard.close()

    // Assess
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const snapshot = JSON.parse(/event: snapshot\ndata: (.*)\n/.exec(text)?.[1] ?? 'null')
    expect(snapshot.environments.map((row: { id: string; state: string }) => [row.id, row.state])).toEqual([
      ['env-a', 'initializing'],
    ])
    expect(snapshot.history.map((moment: { kind: string }) => moment.kind)).toEqual(['cold-start'])
    expect(text).toContain('data: {"moment":{"at":')
    expect(listeners.size).toBe(0)
  })
})

describe('the trace view', () => {
  const TRACE = '1-6b12e7b6-000000000000000000000002'
  const segment = {
    traceId: TRACE,
    id: 'a6d16119d43e7afd',
    parentId: null,
    name: 'hello',
    startMs: 1_000,
    endMs: 1_012,
    origin: 'AWS::Lambda::Function',
    annotations: { start_type: 'warm' },
    metadata: null,
    error: false,
    fault: false,
    throttle: false,
  }
  const summary = {
    traceId: TRACE,
    functionName: 'hello',
    requestId: 'r-1',
    environmentId: 'env-a',
    startMs: 1_000,
    endMs: 1_012,
    segmentCount: 1,
    error: false,
    fault: false,
    annotations: { start_type: 'warm' },
  }
  const traces = {
    list: () => [summary],
    get: (traceId: string) => (traceId === TRACE ? { ...summary, segments: [segment] } : null),
  }

  it('serves its script, the trace list, one trace, and a 404 for a trace not kept', async () => {
    // Prepare
    const { url } = await serve({ traces })

    // Act
    const script = await fetch(`${url}/_lambda-lifetime/dashboard/traces.js`)
    const list = await fetch(`${url}/_lambda-lifetime/dashboard/traces`)
    const one = await fetch(`${url}/_lambda-lifetime/dashboard/traces/${TRACE}`)
    const missing = await fetch(`${url}/_lambda-lifetime/dashboard/traces/1-00000000-%zz`)
    const page = await (await fetch(`${url}/`)).text()

    // Assess
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    await expect(script.text()).resolves.toContain("addEventListener('lambda-lifetime:trace'")
    await expect(list.json()).resolves.toEqual([summary])
    await expect(one.json()).resolves.toEqual({ ...summary, segments: [segment] })
    expect(missing.status).toBe(404)
    await expect(missing.json()).resolves.toEqual({ message: 'no trace "1-00000000-%zz" is kept' })
    expect(page).toContain('/_lambda-lifetime/dashboard/traces.js')
  })

  it('without a receiver lists no trace and finds none', async () => {
    // Prepare
    const { url } = await serve()

    // Act
    const list = await fetch(`${url}/_lambda-lifetime/dashboard/traces`)
    const one = await fetch(`${url}/_lambda-lifetime/dashboard/traces/${TRACE}`)

    // Assess
    await expect(list.json()).resolves.toEqual([])
    expect(one.status).toBe(404)
  })

  it('streams the traces on connect, then the summary of a trace each time one of its segments arrives', async () => {
    // Prepare
    const { url, emit } = await serve({ traces })
    const controller = new AbortController()
    const response = await fetch(`${url}/_lambda-lifetime/dashboard/events`, { signal: controller.signal })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    const readUntil = async (needle: string): Promise<void> => {
      while (!text.includes(needle)) text += new TextDecoder().decode((await reader.read()).value)
    }

    // Act
    await readUntil('event: snapshot')
    await readUntil('\n\n')
    const event = { at: Date.now(), functionName: 'hello', environmentId: 'env-a', segment } as const
    emit({
      type: 'trace.segment',
      ...event,
      segment: { ...segment, traceId: '1-6b12e7b6-000000000000000000000009' },
    })
    emit({ type: 'trace.segment', ...event })
    await readUntil('"trace":')
    controller.abort()

    // Assess
    const snapshot = JSON.parse(/event: snapshot\ndata: (.*)\n/.exec(text)?.[1] ?? 'null')
    expect(snapshot.traces).toEqual([summary])
    const updates = [...text.matchAll(/\ndata: (\{"trace".*)\n/g)].map((match) =>
      JSON.parse(match[1] as string),
    )
    // A segment of a trace no longer kept is not sent; the summary goes without its segments.
    expect(updates).toEqual([{ trace: summary }])
  })
})

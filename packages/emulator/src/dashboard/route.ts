/**
 * The dashboard's routes, served on the Invoke API's port in front of the Invoke API: the page at `/`,
 * its script and style, a server-sent event stream, sample events, and three actions (invoke, stop an
 * environment, the lifetime report). The Invoke API keeps every other path.
 *
 * Guarding a local server against the web pages its user visits: every route answers only requests
 * addressed to `localhost` or an IP address (a DNS-rebinding page names its own host), and the actions
 * (POST) also need the token written into the page (which another origin cannot read), a JSON body
 * (which a form cannot send) and, when the browser says where the request comes from, the page's own
 * origin.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import { isRecord } from '@lambda-lifetime/commons'
import { InvokeApiError, reasonOf } from '../errors.js'
import { EVENT_SOURCES, sampleEvent } from '../events/samples.js'
import { leaveBodyUnread, type Route, readBody, requestTarget } from '../http-server.js'
import { MAX_SYNC_PAYLOAD_BYTES } from '../invoke-api.js'
import type { EmulatorEvent, InvokeOptions, InvokeResult, TraceRecord, TraceSummary } from '../types.js'
import { shortId } from '../view.js'
import { CLIENT_SCRIPT } from './client-script.js'
import { CLIENT_STYLE } from './client-style.js'
import { EventStream, type EventStreamLimits } from './event-stream.js'
import { DashboardModel, type FunctionSummary, type ModelLimits } from './model.js'
import { dashboardPage, reportMissingPage } from './page.js'
import { TRACE_SCRIPT, TRACE_STYLE } from './trace-view.js'

/** Where the dashboard's own paths live; `/` is the page too. */
export const DASHBOARD_PREFIX = '/_lambda-lifetime/dashboard'

/** One trace with its segments: `<prefix>/traces/<trace id>`. */
const TRACE_PREFIX = `${DASHBOARD_PREFIX}/traces/`

/** The header that carries the page's token on every action. */
export const TOKEN_HEADER = 'x-lambda-lifetime-token'

/** What the dashboard needs from the emulator. */
export interface DashboardBackend {
  readonly logDir: string
  readonly region: string
  readonly accountId: string
  readonly functions: readonly FunctionSummary[]
  subscribe(listener: (event: EmulatorEvent) => void): () => void
  invokeRaw(functionName: string, payload: string, options?: InvokeOptions): Promise<InvokeResult>
  /** Shuts one environment down now; false when no live environment has that id. */
  stopEnvironment(id: string): boolean
  /** The X-Ray receiver's traces, when it runs. */
  readonly traces?: TraceSource
}

/** Where the trace view reads traces (the emulator's X-Ray receiver). */
export interface TraceSource {
  list(functionName?: string): TraceSummary[]
  get(traceId: string): TraceRecord | null
}

/** Traces a browser gets on connect (newest first). */
const TRACES_ON_CONNECT = 100

/** Options of `createDashboard`, for tests and embedders. */
export interface DashboardOptions {
  /** Loads `@lambda-lifetime/report`. Default: a dynamic import (the package is an optional peer). */
  readonly loadReport?: () => Promise<unknown>
  readonly limits?: ModelLimits & EventStreamLimits
}

/** A dashboard bound to an emulator. */
export interface Dashboard {
  /** The page's secret, for tests that act as the page. */
  readonly token: string
  readonly stream: EventStream
  /** The dashboard's paths, then `next` for every other one. */
  route(next: Route): Route
  /** Stops listening to the emulator and ends every stream. */
  close(): void
}

/** The parts of `@lambda-lifetime/report` the dashboard uses. */
interface ReportModule {
  buildReport(lines: AsyncIterable<string> | Iterable<string>): Promise<unknown>
  readLifecycleLines(source: string, options: { onWarning: (message: string) => void }): AsyncIterable<string>
  renderHtml(model: unknown, options: { title: string }): string
}

const isReportModule = (value: unknown): value is ReportModule =>
  isRecord(value) &&
  typeof value.buildReport === 'function' &&
  typeof value.readLifecycleLines === 'function' &&
  typeof value.renderHtml === 'function'

const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const send = (
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void => {
  response.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  })
  response.end(body)
}

const sendJson = (response: ServerResponse, status: number, value: unknown): void =>
  send(response, status, 'application/json', JSON.stringify(value))

const refuse = (response: ServerResponse, status: number, message: string): void => {
  sendJson(response, status, { message })
}

/**
 * Whether a `Host` header names this machine the way a person or the emulator would: `localhost`
 * (or a name under `.localhost`) or an IP address. A page on another site that rebinds its own name
 * to 127.0.0.1 still sends its own name, and is refused.
 *
 * @example
 * ```ts
 * isLocalHost('127.0.0.1:9001') // true
 * isLocalHost('evil.example:9001') // false
 * ```
 */
export const isLocalHost = (host: string | undefined): boolean => {
  if (host === undefined || /[@/\\?#\s]/.test(host)) return false
  const url = requestTarget(`http://${host}/`)
  if (url === null) return false
  const name = url.hostname
  return name === 'localhost' || name.endsWith('.localhost') || isIP(name.replace(/^\[|\]$/g, '')) !== 0
}

const sameToken = (given: string | string[] | undefined, token: string): boolean =>
  typeof given === 'string' &&
  given.length === token.length &&
  timingSafeEqual(Buffer.from(given), Buffer.from(token))

/** Why an action request does not come from the page itself, or null when it does. */
const foreignAction = (request: IncomingMessage, token: string): string | null => {
  const origin = request.headers.origin
  if (origin !== undefined && origin !== `http://${request.headers.host}`)
    return `the dashboard's actions answer only the dashboard's own page (origin ${origin.slice(0, 100)} is another site)`
  const site = request.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin')
    return `the dashboard's actions answer only the dashboard's own page (Sec-Fetch-Site: ${site})`
  if (!sameToken(request.headers[TOKEN_HEADER], token))
    return `the dashboard's actions need the token of its page in ${TOKEN_HEADER}`
  if (!String(request.headers['content-type'] ?? '').startsWith('application/json'))
    return 'the dashboard takes JSON (Content-Type: application/json)'
  return null
}

/** A JSON object body, or an answer saying why not (then null). */
const readJsonBody = async (
  request: IncomingMessage,
  response: ServerResponse,
  limit: number,
): Promise<Record<string, unknown> | null> => {
  const body = await readBody(request, response, limit)
  if (body === null) {
    refuse(response, 413, `the body is over ${limit} bytes`)
    return null
  }
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch (error) {
    refuse(response, 400, `the body is not JSON: ${reasonOf(error)}`)
    return null
  }
  if (!isRecord(value)) {
    refuse(response, 400, 'the body must be a JSON object')
    return null
  }
  return value
}

/** The sample events of every source, with the emulator's region and account. */
const samples = (backend: Pick<DashboardBackend, 'region' | 'accountId'>) =>
  EVENT_SOURCES.map((source) => ({
    name: source.name,
    description: source.description,
    event: sampleEvent(source.name, { region: backend.region, accountId: backend.accountId }),
  }))

/**
 * Makes the dashboard of an emulator: it listens to the emulator's events from now on and serves the
 * page and its routes through `route(next)`.
 *
 * @example
 * ```ts
 * const dashboard = createDashboard(backend)
 * const server = createGuardedServer(dashboard.route(invokeApiRoute(backend)), sendInvokeError)
 * ```
 */
export const createDashboard = (backend: DashboardBackend, options: DashboardOptions = {}): Dashboard => {
  const token = randomBytes(24).toString('base64url')
  const model = new DashboardModel(backend.functions, options.limits)
  const stream = new EventStream(options.limits)
  const unsubscribe = backend.subscribe((event) => {
    // Emulator-wide notices (credentials, /tmp) concern no function: the terminal says them, not the page.
    if (event.type === 'emulator.notice') return
    if (event.type === 'trace.segment') {
      const trace = backend.traces?.get(event.segment.traceId)
      if (trace) stream.send(JSON.stringify({ trace: { ...trace, segments: undefined } }))
      return
    }
    stream.send(JSON.stringify(model.apply(event)))
  })
  const page = dashboardPage(token)
  const loadReport = options.loadReport ?? (() => import('@lambda-lifetime/report' as string))
  let building: Promise<string> | null = null

  const report = async (): Promise<string> => {
    const module: unknown = await loadReport().catch(() => null)
    if (!isReportModule(module)) throw new ReportMissingError()
    const lines = existsSync(backend.logDir)
      ? module.readLifecycleLines(backend.logDir, { onWarning: () => {} })
      : []
    return module.renderHtml(await module.buildReport(lines), { title: 'Container lifetimes of this run' })
  }

  const serveReport = async (response: ServerResponse): Promise<void> => {
    // One build at a time: a second click waits for the same one.
    building ??= report().finally(() => {
      building = null
    })
    try {
      send(response, 200, 'text/html; charset=utf-8', await building)
    } catch (error) {
      if (error instanceof ReportMissingError)
        send(response, 501, 'text/html; charset=utf-8', reportMissingPage())
      else refuse(response, 500, `the report could not be built: ${reasonOf(error)}`)
    }
  }

  const invoke = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readJsonBody(request, response, MAX_SYNC_PAYLOAD_BYTES + 64 * 1024)
    if (body === null) return
    const { functionName, payload } = body
    if (typeof functionName !== 'string' || !backend.functions.some((fn) => fn.name === functionName))
      return refuse(response, 404, `no function named ${JSON.stringify(functionName)}`)
    if (typeof payload !== 'string') return refuse(response, 400, 'payload must be the event as JSON text')
    try {
      JSON.parse(payload)
    } catch (error) {
      return refuse(response, 400, `the event is not JSON: ${reasonOf(error)}`)
    }
    const started = performance.now()
    try {
      const result = await backend.invokeRaw(functionName, payload, { tail: true })
      sendJson(response, 200, {
        requestId: result.requestId,
        environment: result.environmentId === null ? null : shortId(result.environmentId),
        functionError: result.functionError ?? null,
        payload: result.payload,
        log: Buffer.from(result.logResult ?? '', 'base64').toString('utf8'),
        roundTripMs: Math.round(performance.now() - started),
      })
    } catch (error) {
      if (!(error instanceof InvokeApiError)) throw error
      sendJson(response, error.statusCode, { message: error.message, code: error.code })
    }
  }

  const stop = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readJsonBody(request, response, 4 * 1024)
    if (body === null) return
    if (typeof body.id !== 'string' || !backend.stopEnvironment(body.id))
      return refuse(response, 404, `no live environment with id ${JSON.stringify(body.id)}`)
    sendJson(response, 202, { stopping: body.id })
  }

  const serveTrace = (traceId: string, response: ServerResponse): void => {
    const trace = backend.traces?.get(traceId) ?? null
    if (trace === null) refuse(response, 404, `no trace ${JSON.stringify(traceId.slice(0, 100))} is kept`)
    else sendJson(response, 200, trace)
  }

  const actions: Record<string, typeof invoke> = {
    [`${DASHBOARD_PREFIX}/invoke`]: invoke,
    [`${DASHBOARD_PREFIX}/stop`]: stop,
  }

  const get = async (path: string, head: boolean, response: ServerResponse): Promise<void> => {
    switch (path) {
      case '/':
      case `${DASHBOARD_PREFIX}/`:
        return send(response, 200, 'text/html; charset=utf-8', page, {
          'Content-Security-Policy': PAGE_POLICY,
          'Referrer-Policy': 'no-referrer',
        })
      case `${DASHBOARD_PREFIX}/app.js`:
        return send(response, 200, 'text/javascript; charset=utf-8', CLIENT_SCRIPT)
      case `${DASHBOARD_PREFIX}/app.css`:
        return send(response, 200, 'text/css; charset=utf-8', CLIENT_STYLE + TRACE_STYLE)
      case `${DASHBOARD_PREFIX}/traces.js`:
        return send(response, 200, 'text/javascript; charset=utf-8', TRACE_SCRIPT)
      case `${DASHBOARD_PREFIX}/traces`:
        return sendJson(response, 200, backend.traces?.list() ?? [])
      case `${DASHBOARD_PREFIX}/samples`:
        return sendJson(response, 200, samples(backend))
      case `${DASHBOARD_PREFIX}/events`:
        // A HEAD has no body to stream: it would hold a place among the clients for nothing.
        if (head) return send(response, 200, 'text/event-stream; charset=utf-8', '')
        stream.open(
          response,
          JSON.stringify({
            ...model.snapshot(Date.now()),
            traces: backend.traces?.list().slice(0, TRACES_ON_CONNECT) ?? [],
          }),
        )
        return
      case `${DASHBOARD_PREFIX}/report`:
        return serveReport(response)
      default:
        if (path.startsWith(TRACE_PREFIX)) return serveTrace(path.slice(TRACE_PREFIX.length), response)
        return refuse(response, 404, `the dashboard has no page ${path.slice(0, 200)}`)
    }
  }

  const route =
    (next: Route): Route =>
    async (request, response) => {
      const path = requestTarget(request.url)?.pathname
      const reading = request.method === 'GET' || request.method === 'HEAD'
      const mine = (path === '/' && reading) || path?.startsWith(`${DASHBOARD_PREFIX}/`)
      if (path === undefined || !mine) return next(request, response)
      if (!isLocalHost(request.headers.host)) {
        leaveBodyUnread(request, response)
        return refuse(
          response,
          403,
          'the dashboard answers only requests addressed to localhost or an IP address (a page of another site cannot reach it through its own name)',
        )
      }
      if (reading) {
        leaveBodyUnread(request, response)
        return get(path, request.method === 'HEAD', response)
      }
      const action = actions[path]
      if (request.method !== 'POST' || action === undefined) {
        leaveBodyUnread(request, response)
        return refuse(response, 405, `${request.method} ${path.slice(0, 200)} is not a dashboard action`)
      }
      const foreign = foreignAction(request, token)
      if (foreign !== null) {
        leaveBodyUnread(request, response)
        return refuse(response, 403, foreign)
      }
      return action(request, response)
    }

  return {
    token,
    stream,
    route,
    close: () => {
      unsubscribe()
      stream.close()
    },
  }
}

/** `@lambda-lifetime/report` is not installed (or not a version the dashboard knows). */
class ReportMissingError extends Error {
  constructor() {
    super('@lambda-lifetime/report is not installed')
    this.name = 'ReportMissingError'
  }
}

/**
 * The HTTP front door: an HTTP request becomes an API Gateway HTTP API (payload format 2.0) event, and
 * the function's answer becomes the HTTP response, with API Gateway's rules for both.
 */
import { randomUUID } from 'node:crypto'
import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http'
import { isRecord } from '@lambda-lifetime/commons'
import { InvokeApiError, reasonOf } from './errors.js'
import { functionUrlInvocation } from './function-url.js'
import { leaveBodyUnread, readBody, requestTarget } from './http-server.js'
import { MAX_SYNC_PAYLOAD_BYTES } from './invoke-api.js'
import { fromRestApiResult, toRestApiEvent } from './rest-api.js'
import type { InvokeOptions, InvokeResult } from './types.js'

/** The request parts the event is made of. */
export interface HttpRequestParts {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  readonly sourceIp: string
  readonly accountId: string
}

/** The HTTP answer made of the function's result. */
export interface HttpAnswer {
  readonly statusCode: number
  readonly headers: Record<string, string | string[]>
  readonly body: Buffer
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i

const joinHeaders = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) =>
      value === undefined || name === 'cookie'
        ? []
        : [[name, Array.isArray(value) ? value.join(',') : value]],
    ),
  )

const queryParameters = (search: URLSearchParams): Record<string, string> | undefined => {
  const result: Record<string, string> = {}
  for (const [name, value] of search) result[name] = name in result ? `${result[name]},${value}` : value
  return Object.keys(result).length > 0 ? result : undefined
}

/** `02/Jun/2025:10:00:00 +0000`, API Gateway's `requestContext.time`. */
const formatTime = (date: Date): string => {
  const [, day, month, year, time] = date.toUTCString().split(' ')
  return `${day}/${month}/${year}:${time} +0000`
}

/**
 * Builds the HTTP API v2 event of a request; a body that is not text travels base64-encoded. Throws a
 * TypeError when `url` is not a request target (`requestTarget` tells beforehand).
 *
 * @example
 * ```ts
 * const event = toHttpApiEvent({ method: 'GET', url: '/hello?x=1', headers: {}, body: Buffer.alloc(0), sourceIp: '127.0.0.1', accountId: '000000000000' })
 * event.rawPath // '/hello'
 * ```
 */
export const toHttpApiEvent = (request: HttpRequestParts): Record<string, unknown> => {
  const url = requestTarget(request.url)
  if (url === null) throw new TypeError(`not a request target: ${request.url}`)
  const now = new Date()
  const host = String(request.headers.host ?? 'localhost')
  const cookies = request.headers.cookie?.split(/;\s*/).filter((cookie) => cookie.length > 0)
  const textual = TEXT_TYPES.test(String(request.headers['content-type'] ?? 'text/plain'))
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers: joinHeaders(request.headers),
    ...(queryParameters(url.searchParams)
      ? { queryStringParameters: queryParameters(url.searchParams) }
      : {}),
    requestContext: {
      accountId: request.accountId,
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: {
        method: request.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: String(request.headers['user-agent'] ?? ''),
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: formatTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: request.body.length > 0 && !textual,
  }
  if (request.body.length > 0)
    event.body = textual ? request.body.toString('utf8') : request.body.toString('base64')
  return event
}

const jsonAnswer = (statusCode: number, message: string, reason?: string): HttpAnswer => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(reason === undefined ? { message } : { message, reason })),
})

/** API Gateway's answers when Lambda itself refused or failed. */
export const HTTP_ERRORS = {
  functionError: jsonAnswer(500, 'Internal Server Error'),
  throttled: jsonAnswer(429, 'Too Many Requests'),
  tooLarge: jsonAnswer(
    413,
    'Request Entity Too Large',
    `the body is over ${MAX_SYNC_PAYLOAD_BYTES} bytes, Lambda's limit for a synchronous invocation`,
  ),
} as const

/** API Gateway's 502 for a function response it cannot send, with the reason the emulator found. */
const malformedResponse = (reason: string): HttpAnswer =>
  jsonAnswer(502, 'Internal Server Error', `malformed Lambda response: ${reason}`)

const isResponseObject = (value: unknown): value is Record<string, unknown> =>
  isRecord(value) && 'statusCode' in value

/** Connection-level headers are the front door's to set, as they are API Gateway's. */
const HOP_BY_HOP = new Set([
  'connection',
  'content-length',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** The reason a header cannot be sent over HTTP/1.1 (Node's own checks), or null when it can. */
const headerProblem = (name: string, value: string): string | null => {
  try {
    validateHeaderName(name)
  } catch {
    return `header name ${JSON.stringify(name)} is not an HTTP token`
  }
  try {
    validateHeaderValue(name, value)
  } catch {
    return `header ${JSON.stringify(name)} has a value with characters HTTP forbids (control characters or above U+00FF): ${JSON.stringify(value.slice(0, 60))}`
  }
  return null
}

const responseHeaders = (result: Record<string, unknown>): Record<string, string | string[]> | string => {
  const headers: Record<string, string | string[]> = {}
  const given = result.headers ?? {}
  if (!isRecord(given)) return 'headers must be an object of names to values'
  for (const [name, value] of Object.entries(given)) {
    const text = String(value)
    const problem = headerProblem(name, text)
    if (problem !== null) return problem
    if (!HOP_BY_HOP.has(name.toLowerCase())) headers[name.toLowerCase()] = text
  }
  if (Array.isArray(result.cookies) && result.cookies.length > 0) {
    const cookies = result.cookies.map(String)
    const bad = cookies.find((cookie) => headerProblem('set-cookie', cookie) !== null)
    if (bad !== undefined)
      return `cookie ${JSON.stringify(bad.slice(0, 60))} has characters HTTP forbids (control characters or above U+00FF)`
    headers['set-cookie'] = cookies
  }
  return headers
}

/**
 * Turns the function's JSON result into the HTTP answer. A result without `statusCode` is a 200 with
 * the result as its JSON body, as API Gateway does for payload format 2.0. A result HTTP cannot carry
 * (a header name that is not a token, a value or cookie with CR, LF or characters above U+00FF) is
 * API Gateway's 502, with the reason.
 *
 * @example
 * ```ts
 * fromHttpApiResult('{"statusCode":201,"body":"made"}', false).statusCode // 201
 * ```
 */
export const fromHttpApiResult = (payload: string, functionError: boolean): HttpAnswer => {
  if (functionError) return HTTP_ERRORS.functionError
  let result: unknown
  try {
    result = JSON.parse(payload)
  } catch {
    return HTTP_ERRORS.functionError
  }
  if (!isResponseObject(result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result)
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) }
  }
  const headers = responseHeaders(result)
  if (typeof headers === 'string') return malformedResponse(headers)
  const rawBody = result.body === undefined || result.body === null ? '' : String(result.body)
  const body = result.isBase64Encoded === true ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody)
  const statusCode = Number(result.statusCode)
  // 1xx are the connection's business (and would leave the client waiting for a final answer).
  if (!Number.isInteger(statusCode) || statusCode < 200 || statusCode > 599)
    return malformedResponse(
      `statusCode must be an integer from 200 to 599, got ${String(result.statusCode).slice(0, 40)}`,
    )
  return { statusCode, headers, body }
}

/** What the HTTP front door needs from the emulator behind it. */
export interface HttpBackend {
  readonly accountId: string
  /** The function behind the front door where no route matches. */
  readonly functionName: string
  /** Path prefixes and their functions. */
  readonly routes: Readonly<Record<string, string>>
  /** Every function and the Invoke API's URL, for the index page. */
  readonly functionNames: readonly string[]
  readonly invokeUrl: string
  invokeRaw(functionName: string, payload: string, options?: InvokeOptions): Promise<InvokeResult>
  /** The function's payload format: `1.0` gets REST API events. Default `2.0`. */
  payloadFormat?(functionName: string): '1.0' | '2.0'
}

const sendAnswer = (response: ServerResponse, answer: HttpAnswer): void => {
  response.writeHead(answer.statusCode, { ...answer.headers, 'content-length': answer.body.length })
  response.end(answer.body)
}

/**
 * The front door's answer for its own failure: 500 with the reason (the route throws only on the
 * emulator's own faults; a function's failure is an ordinary answer).
 *
 * @example
 * ```ts
 * sendHttpError(response, new Error('boom')) // 500 {"message":"Internal Server Error","reason":"…boom"}
 * ```
 */
export const sendHttpError = (response: ServerResponse, error: unknown): void =>
  sendAnswer(response, jsonAnswer(500, 'Internal Server Error', `the emulator failed: ${reasonOf(error)}`))

/**
 * The function a path goes to: the longest route prefix it is (or is under), else the default.
 *
 * @example
 * ```ts
 * routeFunction('/hello/x', { '/hello': 'hello' }, 'api') // 'hello'
 * ```
 */
export const routeFunction = (
  path: string,
  routes: Readonly<Record<string, string>>,
  fallback: string,
): string => {
  let best: [string, string] | undefined
  for (const [prefix, name] of Object.entries(routes)) {
    const under = path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)
    if (under && (best === undefined || prefix.length > best[0].length)) best = [prefix, name]
  }
  return best?.[1] ?? fallback
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`)

/**
 * The page a browser gets at the front door's root when the function has no route there: what runs,
 * and where to go. Small and self-contained (no script, no CDN).
 */
export const indexPage = (
  backend: Pick<HttpBackend, 'functionName' | 'functionNames' | 'invokeUrl' | 'routes'>,
): HttpAnswer => {
  const environments = `${backend.invokeUrl}/_lambda-lifetime/environments`
  const functions = backend.functionNames
    .map((name) => {
      const front = name === backend.functionName ? ' (behind this HTTP front door)' : ''
      const invoke = `${backend.invokeUrl}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`
      return `<li><strong>${escapeHtml(name)}</strong>${front}: <code>POST ${escapeHtml(invoke)}</code></li>`
    })
    .join('\n')
  const routes = Object.entries(backend.routes)
    .map(
      ([prefix, name]) =>
        `<li><a href="${escapeHtml(prefix)}">${escapeHtml(prefix)}</a>: <strong>${escapeHtml(name)}</strong></li>`,
    )
    .join('\n')
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lambda-lifetime emulator</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}</style>
</head><body>
<h1>lambda-lifetime emulator</h1>
<p>The function <strong>${escapeHtml(backend.functionName)}</strong> has no answer for <code>GET /</code>. Every request to this address reaches a function as an API Gateway HTTP API (v2) event, by the routes below.</p>
<h2>Functions</h2>
<ul>
${functions}
</ul>
<h2>Routes</h2>
<ul>
${routes}
<li><a href="/">/</a> and any other path here: <strong>${escapeHtml(backend.functionName)}</strong></li>
<li><a href="${escapeHtml(environments)}">${escapeHtml(environments)}</a>: the live environments as JSON</li>
<li><code>${escapeHtml(backend.invokeUrl)}</code>: the Lambda Invoke API (the <code>endpoint</code> of a LambdaClient)</li>
</ul>
</body></html>
`
  return { statusCode: 404, headers: { 'content-type': 'text/html; charset=utf-8' }, body: Buffer.from(html) }
}

const acceptsHtml = (request: IncomingMessage): boolean =>
  String(request.headers.accept ?? '').includes('text/html')

const lambdaRefusal = (error: unknown): HttpAnswer => {
  if (error instanceof InvokeApiError && error.statusCode === 429) return HTTP_ERRORS.throttled
  const reason = error instanceof InvokeApiError ? `${error.code}: ${error.message}` : reasonOf(error)
  return jsonAnswer(500, 'Internal Server Error', `the invocation failed: ${reason}`)
}

/**
 * The HTTP front door as a route: a bad request target is a 400, a body over 6 MB a 413 (read no
 * further), a function response HTTP cannot carry a 502, all with a reason. A browser asking for `/`
 * where the function answers 404 gets the index page.
 */
export const httpFrontDoorRoute =
  (backend: HttpBackend) =>
  async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const target = requestTarget(request.url)
    if (target === null) {
      leaveBodyUnread(request, response)
      const reason = `the request target is not a valid URL: ${String(request.url).slice(0, 200)}`
      sendAnswer(response, jsonAnswer(400, 'Bad Request', reason))
      return
    }
    const body = await readBody(request, response, MAX_SYNC_PAYLOAD_BYTES)
    if (body === null) {
      sendAnswer(response, HTTP_ERRORS.tooLarge)
      return
    }
    const parts: HttpRequestParts = {
      // Requests from an http.Server always have a method.
      method: request.method as string,
      url: target.href,
      headers: request.headers,
      body,
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      accountId: backend.accountId,
    }
    let answer: HttpAnswer
    try {
      const functionName = routeFunction(target.pathname, backend.routes, backend.functionName)
      const rest = backend.payloadFormat?.(functionName) === '1.0'
      const event = rest ? toRestApiEvent(parts) : toHttpApiEvent(parts)
      const functionUrl = functionUrlInvocation(request, response)
      const result = await backend.invokeRaw(functionName, JSON.stringify(event), functionUrl.options)
      if (await functionUrl.served()) return
      const failed = result.functionError !== undefined
      answer = rest ? fromRestApiResult(result.payload, failed) : fromHttpApiResult(result.payload, failed)
    } catch (error) {
      answer = lambdaRefusal(error)
    }
    const browsingRoot = target.pathname === '/' && (request.method === 'GET' || request.method === 'HEAD')
    if (answer.statusCode === 404 && browsingRoot && acceptsHtml(request)) answer = indexPage(backend)
    sendAnswer(response, answer)
  }

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
import type { Router } from './project/routes.js'
import { fromRestApiResult, toProxyRestApiEvent } from './rest-api.js'
import type { InvokeOptions, InvokeResult } from './types.js'

/** The request parts the event is made of. */
export interface HttpRequestParts {
  readonly method: string
  readonly url: string
  /** As Node gives them; `request.headersDistinct` keeps repeated headers apart, to be joined with `,`. */
  readonly headers: IncomingHttpHeaders | NodeJS.Dict<string | string[]>
  readonly body: Buffer
  readonly sourceIp: string
  readonly accountId: string
  /** The port the request came in on, for `x-forwarded-port`. Default 80. */
  readonly port?: number
}

/** The HTTP answer made of the function's result. */
export interface HttpAnswer {
  readonly statusCode: number
  readonly headers: Record<string, string | string[]>
  readonly body: Buffer
}

/**
 * The content types HTTP API hands over as text; any other body (a form post, a request without a
 * content type, binary) arrives base64-encoded.
 */
const TEXT_TYPES = /^\s*(text\/|application\/(json|xml|javascript)\s*(;|$)|[^;]*\+(json|xml)\s*(;|$))/i

/** A header sent more than once is one value, joined with `,` as API Gateway joins them. */
const oneValue = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(',') : value

const joinHeaders = (headers: HttpRequestParts['headers']): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) =>
      value === undefined || name === 'cookie' ? [] : [[name, oneValue(value) as string]],
    ),
  )

/** `Root=1-<time>-<24 hex>`, the trace id API Gateway adds when the caller sent none. */
const newTraceHeader = (now: Date): string =>
  `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)}`

/** The headers API Gateway adds: who called, over what, on which port, and the trace id. */
const addedHeaders = (request: HttpRequestParts, now: Date): Record<string, string> => {
  const forwardedFor = oneValue(request.headers['x-forwarded-for'])
  return {
    'x-forwarded-for': forwardedFor ? `${forwardedFor}, ${request.sourceIp}` : request.sourceIp,
    'x-forwarded-proto': 'http',
    'x-forwarded-port': String(request.port ?? 80),
    'x-amzn-trace-id': oneValue(request.headers['x-amzn-trace-id']) ?? newTraceHeader(now),
  }
}

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
  const host = oneValue(request.headers.host) ?? 'localhost'
  const cookie = request.headers.cookie
  const cookies = (Array.isArray(cookie) ? cookie.join('; ') : cookie)
    ?.split(/;\s*/)
    .filter((text) => text.length > 0)
  const textual = TEXT_TYPES.test(oneValue(request.headers['content-type']) ?? '')
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers: { ...joinHeaders(request.headers), ...addedHeaders(request, now) },
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
        userAgent: oneValue(request.headers['user-agent']) ?? '',
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

/** Multi-valued query parameters, as a REST API (1.0) event carries them. */
const multiValueQuery = (search: URLSearchParams): Record<string, string[]> | null => {
  const result: Record<string, string[]> = {}
  for (const [name, value] of search) result[name] = [...(result[name] ?? []), value]
  return Object.keys(result).length > 0 ? result : null
}

/** The route a request matched, as the events carry it. */
export interface MatchedRoute {
  /** `GET /orders/{id}` or `$default` (2.0 `routeKey`); a REST API's `resource` is the path part. */
  readonly routeKey: string
  readonly pathParameters: Readonly<Record<string, string>>
}

/**
 * Builds the API Gateway REST API (payload 1.0) event of a request, with the matched route as
 * `resource` and `pathParameters`; a body that is not text travels base64-encoded.
 *
 * @example
 * ```ts
 * const event = toRestApiEvent(parts, { routeKey: 'GET /orders/{id}', pathParameters: { id: '42' } })
 * event.resource // '/orders/{id}'
 * ```
 */
export const toRestApiEvent = (request: HttpRequestParts, route: MatchedRoute): Record<string, unknown> => {
  const url = requestTarget(request.url)
  if (url === null) throw new TypeError(`not a request target: ${request.url}`)
  const now = new Date()
  const resource = route.routeKey === '$default' ? url.pathname : route.routeKey.replace(/^\S+ /, '')
  const headers: Record<string, string> = {}
  const multiValueHeaders: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue
    const values = Array.isArray(value) ? value : [value]
    headers[name] = values.at(-1) as string
    multiValueHeaders[name] = values
  }
  const multiQuery = multiValueQuery(url.searchParams)
  // A REST API keeps the last value of a repeated parameter (an HTTP API joins them with commas).
  const query =
    multiQuery === null
      ? null
      : Object.fromEntries(
          Object.entries(multiQuery).map(([name, values]) => [name, values.at(-1) as string]),
        )
  const textual = TEXT_TYPES.test(String(request.headers['content-type'] ?? 'text/plain'))
  const hasParameters = Object.keys(route.pathParameters).length > 0
  return {
    resource,
    path: url.pathname,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiQuery,
    pathParameters: hasParameters ? { ...route.pathParameters } : null,
    stageVariables: null,
    requestContext: {
      accountId: request.accountId,
      apiId: 'local',
      resourceId: 'local',
      resourcePath: resource,
      httpMethod: request.method,
      path: `/local${url.pathname}`,
      protocol: 'HTTP/1.1',
      stage: 'local',
      domainName: String(request.headers.host ?? 'localhost'),
      requestId: randomUUID(),
      requestTime: formatTime(now),
      requestTimeEpoch: now.getTime(),
      identity: {
        sourceIp: request.sourceIp,
        userAgent: String(request.headers['user-agent'] ?? ''),
      },
    },
    body: request.body.length === 0 ? null : request.body.toString(textual ? 'utf8' : 'base64'),
    isBase64Encoded: request.body.length > 0 && !textual,
  }
}

/** The HTTP API (2.0) event of a request that matched a route: its `routeKey` and `pathParameters`. */
const toRoutedHttpApiEvent = (request: HttpRequestParts, route: MatchedRoute): Record<string, unknown> => {
  const event = toHttpApiEvent(request)
  const context = event.requestContext as Record<string, unknown>
  return {
    ...event,
    routeKey: route.routeKey,
    ...(Object.keys(route.pathParameters).length > 0 ? { pathParameters: { ...route.pathParameters } } : {}),
    requestContext: { ...context, routeKey: route.routeKey },
  }
}

const jsonAnswer = (statusCode: number, message: string, reason?: string): HttpAnswer => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(reason === undefined ? { message } : { message, reason })),
})

/**
 * API Gateway's answers when Lambda itself refused or failed. Every failed invocation, a throttle or
 * an unknown function included, is an integration failure: 500 `Internal Server Error` (the emulator
 * adds the reason); the integration timeout (30 s) is 503 `Service Unavailable`.
 */
export const HTTP_ERRORS = {
  functionError: jsonAnswer(500, 'Internal Server Error'),
  integrationTimeout: jsonAnswer(
    503,
    'Service Unavailable',
    "the function did not answer within the HTTP API's 30 s integration timeout",
  ),
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
  /** A project's API routes (`apiRoutes`): when set, requests are matched as API Gateway matches them. */
  readonly router?: Router
  /** HTTP API's integration timeout: 30 s, which the invocation does not stop. */
  readonly integrationTimeoutMs?: number
  invokeRaw(functionName: string, payload: string, options?: InvokeOptions): Promise<InvokeResult>
  /** The function's payload format: `1.0` gets REST API events. Default `2.0`. */
  payloadFormat?(functionName: string): '1.0' | '2.0'
}

/** HTTP API's limit on waiting for a Lambda integration. */
export const INTEGRATION_TIMEOUT_MS = 30_000

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
  backend: Pick<HttpBackend, 'functionName' | 'functionNames' | 'invokeUrl' | 'routes' | 'router'>,
): HttpAnswer => {
  const environments = `${backend.invokeUrl}/_lambda-lifetime/environments`
  const functions = backend.functionNames
    .map((name) => {
      const front = name === backend.functionName ? ' (behind this HTTP front door)' : ''
      const invoke = `${backend.invokeUrl}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`
      return `<li><strong>${escapeHtml(name)}</strong>${front}: <code>POST ${escapeHtml(invoke)}</code></li>`
    })
    .join('\n')
  const apiRoutes = (backend.router?.routes ?? []).map((route) => {
    const target = route.path === '$default' || route.path.includes('{') ? '' : route.path
    const label = route.path === '$default' ? '$default' : `${route.method} ${route.path}`
    const shown =
      target === '' ? escapeHtml(label) : `<a href="${escapeHtml(target)}">${escapeHtml(label)}</a>`
    return `<li>${shown} (${route.kind}, payload ${route.payloadFormat}): <strong>${escapeHtml(route.functionName)}</strong></li>`
  })
  const fallback =
    backend.router === undefined
      ? `<li><a href="/">/</a> and any other path here: <strong>${escapeHtml(backend.functionName)}</strong></li>`
      : '<li>any other path: API Gateway&#39;s answer for a route that does not exist</li>'
  const intro =
    backend.router === undefined
      ? `The function <strong>${escapeHtml(backend.functionName)}</strong> has no answer for <code>GET /</code>. Every request to this address reaches a function as an API Gateway HTTP API (v2) event, by the routes below.`
      : 'No route answers <code>GET /</code>. Every request to this address is matched against the routes of the project, as API Gateway matches them, and reaches the function as the event its API sends.'
  const routes = Object.entries(backend.router === undefined ? backend.routes : {})
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
<p>${intro}</p>
<h2>Functions</h2>
<ul>
${functions}
</ul>
<h2>Routes</h2>
<ul>
${routes}${apiRoutes.join('\n')}
${fallback}
<li><a href="${escapeHtml(environments)}">${escapeHtml(environments)}</a>: the live environments as JSON</li>
<li><code>${escapeHtml(backend.invokeUrl)}</code>: the Lambda Invoke API (the <code>endpoint</code> of a LambdaClient)</li>
</ul>
</body></html>
`
  // A page served as asked for: 200, so a browser (and a link checker) sees the address working.
  return { statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: Buffer.from(html) }
}

const acceptsHtml = (request: IncomingMessage): boolean =>
  String(request.headers.accept ?? '').includes('text/html')

const lambdaRefusal = (error: unknown): HttpAnswer => {
  const reason = error instanceof InvokeApiError ? `${error.code}: ${error.message}` : reasonOf(error)
  return jsonAnswer(500, 'Internal Server Error', `the invocation failed: ${reason}`)
}

/**
 * Where a request goes and the event it becomes: by the project's API routes when there are some (a
 * miss is API Gateway's answer), else by path prefix to a function, as an HTTP API (2.0) event.
 */
const routeRequest = (
  backend: HttpBackend,
  parts: HttpRequestParts,
  pathname: string,
): { functionName: string; event: Record<string, unknown>; rest: boolean } | { answer: HttpAnswer } => {
  if (backend.router === undefined) {
    const functionName = routeFunction(pathname, backend.routes, backend.functionName)
    // A function marked as REST (payload 1.0) without routes sits behind a `/{proxy+}` resource.
    const rest = backend.payloadFormat?.(functionName) === '1.0'
    return { functionName, event: rest ? toProxyRestApiEvent(parts) : toHttpApiEvent(parts), rest }
  }
  const match = backend.router.match(parts.method, pathname)
  if (!match.matched) {
    const { statusCode, headers, body } = match.response
    return { answer: { statusCode, headers: { ...headers }, body: Buffer.from(body) } }
  }
  const rest = match.route.payloadFormat === '1.0'
  const event = rest ? toRestApiEvent(parts, match) : toRoutedHttpApiEvent(parts, match)
  return { functionName: match.route.functionName, event, rest }
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
      headers: request.headersDistinct,
      body,
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      accountId: backend.accountId,
      port: request.socket.localPort ?? 80,
    }
    let answer: HttpAnswer
    let missed = false
    let timer: NodeJS.Timeout | undefined
    try {
      const routed = routeRequest(backend, parts, target.pathname)
      missed = 'answer' in routed
      if ('answer' in routed) answer = routed.answer
      else {
        const functionUrl = functionUrlInvocation(request, response)
        const invocation = backend.invokeRaw(
          routed.functionName,
          JSON.stringify(routed.event),
          functionUrl.options,
        )
        const timeout = new Promise<null>((resolve) => {
          timer = setTimeout(resolve, backend.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS, null)
        })
        // Past the integration timeout the caller gets its answer; the invocation runs on, as on AWS.
        invocation.catch(() => {})
        const result = await Promise.race([invocation, timeout])
        if (result !== null && (await functionUrl.served())) return
        const failed = result?.functionError !== undefined
        answer =
          result === null
            ? HTTP_ERRORS.integrationTimeout
            : routed.rest
              ? fromRestApiResult(result.payload, failed)
              : fromHttpApiResult(result.payload, failed)
      }
    } catch (error) {
      answer = lambdaRefusal(error)
    } finally {
      clearTimeout(timer)
    }
    const browsingRoot = target.pathname === '/' && (request.method === 'GET' || request.method === 'HEAD')
    if ((answer.statusCode === 404 || missed) && browsingRoot && acceptsHtml(request))
      answer = indexPage(backend)
    sendAnswer(response, answer)
  }

/**
 * The HTTP front door: an HTTP request becomes an API Gateway HTTP API (payload format 2.0) event, and
 * the function's answer becomes the HTTP response, with API Gateway's rules for both.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

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
 * Builds the HTTP API v2 event of a request; a body that is not text travels base64-encoded.
 *
 * @example
 * ```ts
 * const event = toHttpApiEvent({ method: 'GET', url: '/hello?x=1', headers: {}, body: Buffer.alloc(0), sourceIp: '127.0.0.1', accountId: '000000000000' })
 * event.rawPath // '/hello'
 * ```
 */
export const toHttpApiEvent = (request: HttpRequestParts): Record<string, unknown> => {
  const url = new URL(request.url, 'http://localhost')
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

const jsonAnswer = (statusCode: number, message: string): HttpAnswer => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ message })),
})

/** API Gateway's answers when Lambda itself refused or failed. */
export const HTTP_ERRORS = {
  functionError: jsonAnswer(500, 'Internal Server Error'),
  throttled: jsonAnswer(429, 'Too Many Requests'),
  tooLarge: jsonAnswer(413, 'Request Entity Too Large'),
} as const

const isResponseObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && 'statusCode' in value

/**
 * Turns the function's JSON result into the HTTP answer. A result without `statusCode` is a 200 with
 * the result as its JSON body, as API Gateway does for payload format 2.0.
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
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries((result.headers ?? {}) as Record<string, unknown>)) {
    headers[name.toLowerCase()] = String(value)
  }
  if (Array.isArray(result.cookies) && result.cookies.length > 0)
    headers['set-cookie'] = result.cookies.map(String)
  const rawBody = result.body === undefined || result.body === null ? '' : String(result.body)
  const body = result.isBase64Encoded === true ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody)
  const statusCode = Number(result.statusCode)
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return HTTP_ERRORS.functionError
  return { statusCode, headers, body }
}

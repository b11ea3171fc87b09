/**
 * API Gateway REST API (Lambda proxy integration, payload format 1.0): the event a request becomes
 * and the HTTP answer the function's result becomes. A function behind a REST API reads
 * `event.httpMethod`, `event.path`, `multiValueHeaders`…, and answers `{ statusCode, headers,
 * multiValueHeaders, body, isBase64Encoded }`.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { isRecord } from '@lambda-lifetime/commons'
import { fromHttpApiResult, type HttpAnswer, type HttpRequestParts } from './http-api.js'
import { requestTarget } from './http-server.js'

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i

/** REST API's answer when the function failed or gave a result it cannot send: 502. */
export const REST_API_ERROR: HttpAnswer = {
  statusCode: 502,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ message: 'Internal server error' })),
}

const multiValueHeaders = (headers: IncomingHttpHeaders): Record<string, string[]> =>
  Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value : [value]]],
    ),
  )

const lastValues = (multi: Record<string, string[]>): Record<string, string> =>
  Object.fromEntries(Object.entries(multi).map(([name, values]) => [name, values.at(-1) as string]))

/** `04/Dec/2026:16:00:00 +0000`, API Gateway's `requestTime`. */
const formatTime = (date: Date): string => {
  const [, day, month, year, time] = date.toUTCString().split(' ')
  return `${day}/${month}/${year}:${time} +0000`
}

/**
 * The REST API proxy event of a request, for a `/{proxy+}` resource on the `local` stage (the path
 * is `pathParameters.proxy`). A body that is not text travels base64-encoded. Throws a TypeError when
 * `url` is not a request target.
 *
 * @example
 * ```ts
 * const event = toRestApiEvent({ method: 'GET', url: '/orders/7?x=1&x=2', headers: {}, body: Buffer.alloc(0), sourceIp: '127.0.0.1', accountId: '000000000000' })
 * event.httpMethod // 'GET'
 * event.multiValueQueryStringParameters // { x: ['1', '2'] }
 * ```
 */
export const toRestApiEvent = (
  request: HttpRequestParts,
  resource = '/{proxy+}',
): Record<string, unknown> => {
  const url = requestTarget(request.url)
  if (url === null) throw new TypeError(`not a request target: ${request.url}`)
  const now = new Date()
  const headers = multiValueHeaders(request.headers)
  const query: Record<string, string[]> = {}
  for (const [name, value] of url.searchParams) query[name] = [...(query[name] ?? []), value]
  const hasQuery = Object.keys(query).length > 0
  const textual = TEXT_TYPES.test(String(request.headers['content-type'] ?? 'text/plain'))
  const proxy = url.pathname.replace(/^\//, '')
  return {
    resource,
    path: url.pathname,
    httpMethod: request.method,
    headers: lastValues(headers),
    multiValueHeaders: headers,
    queryStringParameters: hasQuery ? lastValues(query) : null,
    multiValueQueryStringParameters: hasQuery ? query : null,
    pathParameters: resource === '/{proxy+}' && proxy.length > 0 ? { proxy } : null,
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
      extendedRequestId: randomUUID(),
      requestTime: formatTime(now),
      requestTimeEpoch: now.getTime(),
      identity: { sourceIp: request.sourceIp, userAgent: String(request.headers['user-agent'] ?? '') },
    },
    body:
      request.body.length === 0
        ? null
        : textual
          ? request.body.toString('utf8')
          : request.body.toString('base64'),
    isBase64Encoded: request.body.length > 0 && !textual,
  }
}

/**
 * The HTTP answer of a REST API proxy result: `headers` and `multiValueHeaders` merged (Set-Cookie
 * values each their own header). A function error, or a result without a valid `statusCode`, is REST
 * API's 502 `Internal server error` (an HTTP API answers 500 there).
 *
 * @example
 * ```ts
 * fromRestApiResult('{"statusCode":201,"multiValueHeaders":{"Set-Cookie":["a=1","b=2"]},"body":"made"}', false).statusCode // 201
 * ```
 */
export const fromRestApiResult = (payload: string, functionError: boolean): HttpAnswer => {
  if (functionError) return REST_API_ERROR
  let result: unknown
  try {
    result = JSON.parse(payload)
  } catch {
    return REST_API_ERROR
  }
  if (!isRecord(result) || !('statusCode' in result)) return REST_API_ERROR
  const headers: Record<string, string> = {}
  const cookies: string[] = []
  const single = isRecord(result.headers) ? result.headers : {}
  const multi = isRecord(result.multiValueHeaders) ? result.multiValueHeaders : {}
  for (const [name, value] of Object.entries(single)) {
    if (name.toLowerCase() === 'set-cookie') cookies.push(String(value))
    else headers[name] = String(value)
  }
  for (const [name, values] of Object.entries(multi)) {
    const list = (Array.isArray(values) ? values : [values]).map(String)
    if (name.toLowerCase() === 'set-cookie') cookies.push(...list)
    else headers[name] = list.join(',')
  }
  const answer = fromHttpApiResult(
    JSON.stringify({
      statusCode: result.statusCode,
      headers,
      cookies,
      body: result.body,
      isBase64Encoded: result.isBase64Encoded,
    }),
    false,
  )
  return answer.statusCode === 502 ? { ...REST_API_ERROR, body: answer.body } : answer
}

/**
 * API Gateway REST API (Lambda proxy integration, payload format 1.0): the event a request becomes
 * and the HTTP answer the function's result becomes. A function behind a REST API reads
 * `event.httpMethod`, `event.path`, `multiValueHeaders`…, and answers `{ statusCode, headers,
 * multiValueHeaders, body, isBase64Encoded }`.
 */
import { isRecord } from '@lambda-lifetime/commons'
import { fromHttpApiResult, type HttpAnswer, type HttpRequestParts, toRestApiEvent } from './http-api.js'
import { requestTarget } from './http-server.js'

/** REST API's answer when the function failed or gave a result it cannot send: 502. */
export const REST_API_ERROR: HttpAnswer = {
  statusCode: 502,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ message: 'Internal server error' })),
}

/**
 * The REST API proxy event of a request to a function marked as REST (payload 1.0) without routes: a
 * `/{proxy+}` resource on the `local` stage, the path in `pathParameters.proxy`. Throws a TypeError when
 * `url` is not a request target.
 *
 * @example
 * ```ts
 * const event = toProxyRestApiEvent({ method: 'GET', url: '/orders/7?x=1&x=2', headers: {}, body: Buffer.alloc(0), sourceIp: '127.0.0.1', accountId: '000000000000' })
 * event.pathParameters // { proxy: 'orders/7' }
 * event.multiValueQueryStringParameters // { x: ['1', '2'] }
 * ```
 */
export const toProxyRestApiEvent = (request: HttpRequestParts): Record<string, unknown> => {
  const url = requestTarget(request.url)
  if (url === null) throw new TypeError(`not a request target: ${request.url}`)
  const proxy = url.pathname.replace(/^\//, '')
  return toRestApiEvent(request, {
    routeKey: 'ANY /{proxy+}',
    pathParameters: proxy.length > 0 ? { proxy } : {},
  })
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

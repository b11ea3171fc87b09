/**
 * One router for every route of every API in a project, with API Gateway's choice when several match:
 * a literal segment beats `{param}`, which beats the greedy `{proxy+}`; a route's own method beats
 * `ANY`; `$default` only when nothing else matches. When nothing matches at all the answer is API
 * Gateway's: an HTTP API says 404 `{"message":"Not Found"}`, a REST API 403
 * `{"message":"Missing Authentication Token"}` (it says that for any unknown path or method).
 *
 * Wiring: the HTTP front door calls `router.match(req.method, pathname)` for each request; a match gives
 * the function to invoke, the `pathParameters` and `routeKey` for the event (2.0 `routeKey`/1.0
 * `resource`), and `route.payloadFormat` picks the event builder; a miss is written as is
 * (`result.response`). Function URLs are `$default` routes of their own API: serve them on their own
 * port or under a prefix (`/_url/<function>`), else they compete with an HTTP API's `$default`
 * (`router.conflicts` lists such pairs for a start-up warning).
 */
import type { ApiKind, HttpRoute } from './template.js'

/** A request the router found a route for. */
export interface RouteMatch {
  readonly matched: true
  readonly route: HttpRoute
  /** Decoded values of `{param}` and `{proxy+}` (the rest of the path, slashes included). */
  readonly pathParameters: Readonly<Record<string, string>>
  /** `GET /orders/{id}` or `$default`, as API Gateway puts it in a 2.0 event. */
  readonly routeKey: string
}

/** The response API Gateway gives when no route matches. */
export interface UnmatchedResponse {
  readonly statusCode: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** A request no route takes. */
export interface RouteMiss {
  readonly matched: false
  readonly response: UnmatchedResponse
}

/** Routes of a project, matched the way API Gateway matches them. */
export interface Router {
  readonly routes: readonly HttpRoute[]
  /** `METHOD path` keys served by more than one route: the first registered wins. */
  readonly conflicts: readonly string[]
  /** Never throws: any method and path get a match or API Gateway's miss answer. */
  match(method: string, path: string): RouteMatch | RouteMiss
}

type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'greedy'; readonly name: string }

/** Lower ranks win: literal 0, `{param}` 1, `{proxy+}` 2. */
const SEGMENT_RANK = { literal: 0, param: 1, greedy: 2 } as const

interface CompiledRoute {
  readonly route: HttpRoute
  readonly order: number
  readonly segments: readonly Segment[]
  readonly isDefault: boolean
}

const parseSegment = (text: string): Segment => {
  const variable = /^\{([^{}]+)\}$/.exec(text)?.[1]
  if (variable === undefined) return { kind: 'literal', text }
  return variable.endsWith('+')
    ? { kind: 'greedy', name: variable.slice(0, -1) }
    : { kind: 'param', name: variable }
}

/** `/a/b/` and `/a/b` are one path; `/` stays `/`. */
const splitPath = (path: string): string[] => {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
  return trimmed === '/' || trimmed === '' ? [] : trimmed.replace(/^\//, '').split('/')
}

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The path parameters when `segments` match `parts`, else undefined. */
const matchSegments = (
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> | undefined => {
  const parameters: Record<string, string> = {}
  for (const [index, segment] of segments.entries()) {
    const part = parts[index]
    if (segment.kind === 'greedy') {
      const rest = parts.slice(index)
      if (rest.length === 0 || rest.every((item) => item === '')) return undefined
      parameters[segment.name] = decode(rest.join('/'))
      return parameters
    }
    if (part === undefined) return undefined
    if (segment.kind === 'literal' && segment.text !== part) return undefined
    if (segment.kind === 'param') {
      if (part === '') return undefined
      parameters[segment.name] = decode(part)
    }
  }
  return segments.length === parts.length ? parameters : undefined
}

/** API Gateway's preference between two routes that both match: most specific segment by segment, then method. */
const compareSpecificity = (left: CompiledRoute, right: CompiledRoute): number => {
  if (left.isDefault !== right.isDefault) return left.isDefault ? 1 : -1
  const length = Math.max(left.segments.length, right.segments.length)
  for (let index = 0; index < length; index += 1) {
    const leftRank = rankAt(left.segments, index)
    const rightRank = rankAt(right.segments, index)
    if (leftRank !== rightRank) return leftRank - rightRank
  }
  const leftAny = left.route.method === 'ANY' ? 1 : 0
  const rightAny = right.route.method === 'ANY' ? 1 : 0
  return leftAny - rightAny || left.order - right.order
}

/** A missing segment ranks after the greedy one it follows, which consumed it. */
const rankAt = (segments: readonly Segment[], index: number): number => {
  const segment = segments[index]
  return segment === undefined ? 3 : SEGMENT_RANK[segment.kind]
}

const JSON_HEADERS = { 'content-type': 'application/json' }

/**
 * What API Gateway answers when no route matches: 404 Not Found (HTTP API, Function URL), 403 Missing
 * Authentication Token (REST API).
 *
 * @example
 * ```ts
 * unmatchedResponse('rest-api') // { statusCode: 403, body: '{"message":"Missing Authentication Token"}', … }
 * ```
 */
export const unmatchedResponse = (kind: ApiKind): UnmatchedResponse =>
  kind === 'rest-api'
    ? {
        statusCode: 403,
        headers: { ...JSON_HEADERS, 'x-amzn-errortype': 'MissingAuthenticationTokenException' },
        body: JSON.stringify({ message: 'Missing Authentication Token' }),
      }
    : { statusCode: 404, headers: JSON_HEADERS, body: JSON.stringify({ message: 'Not Found' }) }

const routeKeyOf = (route: HttpRoute): string =>
  route.path === '$default' ? '$default' : `${route.method} ${route.path}`

/**
 * A router over the routes of one or more APIs. Misses answer as a REST API when every route is a REST
 * API route, else as an HTTP API.
 *
 * @example
 * ```ts
 * const router = createRouter(project.routes)
 * const result = router.match('GET', '/orders/42')
 * if (result.matched) result.pathParameters // { id: '42' }
 * else result.response                       // { statusCode: 404, body: '{"message":"Not Found"}', … }
 * ```
 */
export const createRouter = (routes: readonly HttpRoute[]): Router => {
  const compiled: CompiledRoute[] = routes.map((route, order) => ({
    route,
    order,
    isDefault: route.path === '$default',
    segments: route.path === '$default' ? [] : splitPath(route.path).map(parseSegment),
  }))
  const seen = new Map<string, number>()
  for (const { route } of compiled) {
    const key = routeKeyOf(route)
    seen.set(key, (seen.get(key) ?? 0) + 1)
  }
  const conflicts = [...seen].filter(([, count]) => count > 1).map(([key]) => key)
  const missKind: ApiKind =
    routes.length > 0 && routes.every((route) => route.kind === 'rest-api') ? 'rest-api' : 'http-api'

  const match = (method: string, path: string): RouteMatch | RouteMiss => {
    const upperMethod = String(method).toUpperCase()
    const parts = splitPath(String(path).split('?')[0] ?? '')
    let best: { candidate: CompiledRoute; parameters: Record<string, string> } | undefined
    for (const candidate of compiled) {
      const { route } = candidate
      if (!candidate.isDefault && route.method !== 'ANY' && route.method !== upperMethod) continue
      const parameters = candidate.isDefault ? {} : matchSegments(candidate.segments, parts)
      if (parameters === undefined) continue
      if (best === undefined || compareSpecificity(candidate, best.candidate) < 0)
        best = { candidate, parameters }
    }
    if (best === undefined) return { matched: false, response: unmatchedResponse(missKind) }
    return {
      matched: true,
      route: best.candidate.route,
      pathParameters: best.parameters,
      routeKey: routeKeyOf(best.candidate.route),
    }
  }

  return { routes, conflicts, match }
}

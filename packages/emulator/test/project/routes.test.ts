import { describe, expect, test } from '@jest/globals'
import fc from 'fast-check'
import { createRouter, type RouteMatch, unmatchedResponse } from '../../src/project/routes.js'
import type { ApiKind, HttpRoute } from '../../src/project/template.js'

const route = (
  method: string,
  path: string,
  functionName: string,
  kind: ApiKind = 'http-api',
): HttpRoute => ({
  api: kind === 'rest-api' ? 'Rest' : 'Http',
  kind,
  payloadFormat: kind === 'rest-api' ? '1.0' : '2.0',
  method,
  path,
  functionName,
})

/** The example of API Gateway's documentation on route evaluation, plus a few more. */
const routes = [
  route('GET', '/pets/dog/1', 'exact'),
  route('GET', '/pets/dog/{id}', 'param'),
  route('GET', '/pets/{proxy+}', 'pets-greedy'),
  route('ANY', '/{proxy+}', 'any-greedy'),
  route('ANY', '$default', 'default'),
  route('POST', '/orders', 'create-order'),
  route('ANY', '/orders', 'any-order'),
  route('GET', '/orders/{id}/items/{item}', 'item'),
  route('GET', '/', 'root'),
]

const matchOf = (method: string, path: string): RouteMatch => {
  const result = createRouter(routes).match(method, path)
  if (!result.matched) throw new Error(`${method} ${path} did not match`)
  return result
}

describe('createRouter precedence (as API Gateway evaluates routes)', () => {
  test.each([
    ['GET', '/pets/dog/1', 'exact', {}],
    ['GET', '/pets/dog/2', 'param', { id: '2' }],
    ['GET', '/pets/cat/1', 'pets-greedy', { proxy: 'cat/1' }],
    ['POST', '/pets/dog/1', 'any-greedy', { proxy: 'pets/dog/1' }],
    ['GET', '/pets', 'any-greedy', { proxy: 'pets' }],
    ['POST', '/orders', 'create-order', {}],
    ['DELETE', '/orders', 'any-order', {}],
    ['get', '/orders/7/items/a%20b', 'item', { id: '7', item: 'a b' }],
    ['GET', '/', 'root', {}],
    ['POST', '/', 'default', {}],
    ['GET', '/pets/dog/2/', 'param', { id: '2' }],
    ['GET', '/pets/dog/1?x=1', 'exact', {}],
    ['GET', '/pets/%E0%A4%A', 'pets-greedy', { proxy: '%E0%A4%A' }],
  ])('%s %s → %s', (method, path, functionName, pathParameters) => {
    // Act
    const result = matchOf(method, path)

    // Assess
    expect(result.route.functionName).toBe(functionName)
    expect(result.pathParameters).toEqual(pathParameters)
  })

  test('the route key is the one API Gateway puts in a 2.0 event', () => {
    // Act / Assess
    expect(matchOf('GET', '/pets/dog/2').routeKey).toBe('GET /pets/dog/{id}')
    expect(matchOf('PUT', '/').routeKey).toBe('$default')
  })

  test('a {param} needs a non-empty segment; a greedy variable needs at least one', () => {
    // Prepare
    const router = createRouter([route('GET', '/a/{id}', 'param'), route('GET', '/b/{proxy+}', 'greedy')])

    // Act / Assess
    expect(router.match('GET', '/a/').matched).toBe(false)
    expect(router.match('GET', '/a//').matched).toBe(false)
    expect(router.match('GET', '/b').matched).toBe(false)
    expect(router.match('GET', '/b/').matched).toBe(false)
    expect(router.match('GET', '/a/1/2').matched).toBe(false)
    expect(router.match('GET', '/b/1/2')).toMatchObject({ matched: true, pathParameters: { proxy: '1/2' } })
  })

  test('the first of two identical routes wins, and the pair is listed as a conflict', () => {
    // Prepare
    const router = createRouter([
      route('ANY', '$default', 'first'),
      route('ANY', '$default', 'second'),
      route('GET', '/x', 'x'),
    ])

    // Act
    const result = router.match('GET', '/y')

    // Assess
    expect(result).toMatchObject({ matched: true, route: { functionName: 'first' } })
    expect(router.conflicts).toEqual(['$default'])
  })
})

describe('what API Gateway answers when no route matches', () => {
  test('an HTTP API: 404 {"message":"Not Found"}', () => {
    // Prepare
    const router = createRouter([route('GET', '/orders', 'orders')])

    // Act
    const result = router.match('POST', '/orders')

    // Assess
    expect(result).toEqual({
      matched: false,
      response: {
        statusCode: 404,
        headers: { 'content-type': 'application/json' },
        body: '{"message":"Not Found"}',
      },
    })
  })

  test('a REST API: 403 {"message":"Missing Authentication Token"}', () => {
    // Prepare
    const router = createRouter([route('GET', '/orders', 'orders', 'rest-api')])

    // Act
    const result = router.match('GET', '/nothing')

    // Assess
    expect(result).toMatchObject({
      matched: false,
      response: { statusCode: 403, body: '{"message":"Missing Authentication Token"}' },
    })
    expect(unmatchedResponse('rest-api').headers['x-amzn-errortype']).toBe(
      'MissingAuthenticationTokenException',
    )
  })

  test('no routes at all answer as an HTTP API', () => {
    // Act / Assess
    expect(createRouter([]).match('GET', '/')).toMatchObject({
      matched: false,
      response: { statusCode: 404 },
    })
  })
})

describe('createRouter on any input', () => {
  const segment = fc.oneof(
    fc.stringMatching(/^[a-z0-9._~-]{1,8}$/),
    fc.constantFrom('{id}', '{name}', '{proxy+}'),
  )
  const routePath = fc.array(segment, { maxLength: 5 }).map((segments) => {
    const greedy = segments.indexOf('{proxy+}')
    const kept = greedy === -1 ? segments : segments.slice(0, greedy + 1)
    return `/${kept.join('/')}`
  })
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'ANY')
  const anyRoute = fc.record({ method, path: fc.oneof(routePath, fc.constant('$default')) })

  test('never throws, whatever the method and path', () => {
    fc.assert(
      fc.property(
        fc.array(anyRoute, { maxLength: 8 }),
        fc.string(),
        fc.string(),
        (defined, anyMethod, anyPath) => {
          // Prepare
          const router = createRouter(defined.map(({ method, path }) => route(method, path, 'fn')))

          // Act
          const result = router.match(anyMethod, anyPath)

          // Assess
          expect(typeof result.matched).toBe('boolean')
        },
      ),
    )
  })

  test('a registered literal path always matches itself', () => {
    const literalPath = fc
      .array(fc.stringMatching(/^[a-z0-9._~-]{1,8}$/), { maxLength: 5 })
      .map((parts) => `/${parts.join('/')}`)
    fc.assert(
      fc.property(fc.array(anyRoute, { maxLength: 8 }), literalPath, method, (others, path, verb) => {
        // Prepare: the literal route among any others, in any position
        const router = createRouter([
          ...others.map(({ method, path }) => route(method, path, 'other')),
          route(verb, path, 'literal'),
        ])
        const requestMethod = verb === 'ANY' ? 'GET' : verb

        // Act
        const result = router.match(requestMethod, path)

        // Assess: the literal route, or an identical literal route registered before it
        expect(result.matched).toBe(true)
        if (result.matched) {
          expect(result.route.path).toBe(path)
          expect(result.pathParameters).toEqual({})
          if (result.route.functionName === 'other')
            expect([verb, 'ANY', requestMethod]).toContain(result.route.method)
        }
      }),
    )
  })
})

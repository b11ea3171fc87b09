import { describe, expect, test } from '@jest/globals'
import { fromHttpApiResult, toHttpApiEvent } from '@lambda-lifetime/emulator'

const request = (overrides: Partial<Parameters<typeof toHttpApiEvent>[0]> = {}) => ({
  method: 'GET',
  url: '/hello?a=1&a=2&b=x',
  headers: { host: 'localhost:3000', 'user-agent': 'curl', cookie: 'c=1; d=2', 'x-multi': ['1', '2'] },
  body: Buffer.alloc(0),
  sourceIp: '127.0.0.1',
  accountId: '000000000000',
  ...overrides,
})

describe('toHttpApiEvent', () => {
  test('builds an HTTP API v2 event with cookies, joined headers and query parameters', () => {
    // Act
    const event = toHttpApiEvent(request()) as Record<string, never>

    // Assess
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/hello',
      rawQueryString: 'a=1&a=2&b=x',
      cookies: ['c=1', 'd=2'],
      queryStringParameters: { a: '1,2', b: 'x' },
      isBase64Encoded: false,
      requestContext: { http: { method: 'GET', path: '/hello', sourceIp: '127.0.0.1', userAgent: 'curl' } },
    })
    expect(event.headers).toEqual({
      host: 'localhost:3000',
      'user-agent': 'curl',
      'x-multi': '1,2',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '80',
      'x-amzn-trace-id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
    })
    expect(event).not.toHaveProperty('body')
    expect((event.requestContext as unknown as { time: string }).time).toMatch(
      /^\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/,
    )
  })

  test('text bodies travel as text, binary ones as base64; no query, no cookies, no fields', () => {
    // Act
    const text = toHttpApiEvent(
      request({
        url: '/',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from('{}'),
      }),
    )
    const binary = toHttpApiEvent(
      request({ url: '/', headers: { 'content-type': 'image/png' }, body: Buffer.from([1, 2, 3]) }),
    )

    // Assess
    expect(text).toMatchObject({ body: '{}', isBase64Encoded: false })
    expect(text).not.toHaveProperty('queryStringParameters')
    expect(text).not.toHaveProperty('cookies')
    expect(binary).toMatchObject({ body: 'AQID', isBase64Encoded: true })
  })

  test('only text-like types arrive as text: a form, no content type or binary arrive base64', () => {
    // Prepare
    const bodyOf = (contentType: string | undefined) =>
      toHttpApiEvent(
        request({
          method: 'POST',
          headers: contentType === undefined ? {} : { 'content-type': contentType },
          body: Buffer.from('a=1'),
        }),
      ).isBase64Encoded

    // Act / Assess
    for (const text of [
      'text/plain',
      'text/csv; charset=utf-8',
      'application/json',
      'application/xml',
      'application/javascript',
      'application/vnd.api+json',
      'application/atom+xml; charset=utf-8',
    ])
      expect([text, bodyOf(text)]).toEqual([text, false])
    for (const binary of [
      undefined,
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'application/jsonp',
      'image/png',
    ])
      expect([binary, bodyOf(binary)]).toEqual([binary, true])
  })

  test("the caller's x-forwarded-for and trace id are kept, the source ip appended", () => {
    // Act
    const event = toHttpApiEvent(
      request({ headers: { 'x-forwarded-for': '10.0.0.1', 'x-amzn-trace-id': 'Root=1-a-b' }, port: 3000 }),
    )

    // Assess
    expect(event.headers).toMatchObject({
      'x-forwarded-for': '10.0.0.1, 127.0.0.1',
      'x-forwarded-port': '3000',
      'x-amzn-trace-id': 'Root=1-a-b',
    })
  })
})

describe('fromHttpApiResult', () => {
  test('a structured result sets status, headers, cookies and a base64 body', () => {
    // Act
    const answer = fromHttpApiResult(
      JSON.stringify({
        statusCode: 201,
        headers: { 'X-A': 1 },
        cookies: ['a=1'],
        body: 'aGk=',
        isBase64Encoded: true,
      }),
      false,
    )

    // Assess
    expect(answer.statusCode).toBe(201)
    expect(answer.headers).toEqual({ 'x-a': '1', 'set-cookie': ['a=1'] })
    expect(answer.body.toString()).toBe('hi')
  })

  test('a result without statusCode is a 200 JSON body; a string is the body itself', () => {
    // Act / Assess
    expect(fromHttpApiResult('{"a":1}', false)).toMatchObject({
      statusCode: 200,
      body: Buffer.from('{"a":1}'),
    })
    expect(fromHttpApiResult('"plain"', false).body.toString()).toBe('plain')
    expect(fromHttpApiResult('{"statusCode":204}', false)).toMatchObject({
      statusCode: 204,
      body: Buffer.alloc(0),
    })
  })

  test('function errors and bad JSON are 500 Internal Server Error', () => {
    // Act / Assess
    for (const answer of [fromHttpApiResult('{}', true), fromHttpApiResult('{nope', false)]) {
      expect(answer.statusCode).toBe(500)
      expect(JSON.parse(answer.body.toString())).toEqual({ message: 'Internal Server Error' })
    }
  })

  test.each([
    [{ statusCode: 'abc' }, 'statusCode must be an integer from 200 to 599, got abc'],
    [{ statusCode: 101 }, 'statusCode must be an integer from 200 to 599, got 101'],
    [
      { statusCode: 200, headers: { 'x-price': '5 €' } },
      'header "x-price" has a value with characters HTTP forbids',
    ],
    [
      { statusCode: 200, headers: { 'x-a': 'one\r\nSet-Cookie: evil=1' } },
      'header "x-a" has a value with characters HTTP forbids',
    ],
    [{ statusCode: 200, headers: { 'x a': '1' } }, 'header name "x a" is not an HTTP token'],
    [{ statusCode: 200, headers: 'x' }, 'headers must be an object of names to values'],
    [{ statusCode: 200, cookies: ['a=1\nb=2'] }, 'cookie "a=1\\nb=2" has characters HTTP forbids'],
  ])(
    'a response HTTP cannot carry (%j) is a 502 with the reason, as API Gateway answers',
    (result, reason) => {
      // Act
      const answer = fromHttpApiResult(JSON.stringify(result), false)

      // Assess
      expect(answer.statusCode).toBe(502)
      const body = JSON.parse(answer.body.toString()) as { message: string; reason: string }
      expect(body.message).toBe('Internal Server Error')
      expect(body.reason).toContain(`malformed Lambda response: ${reason}`)
    },
  )

  test('connection headers are the front door’s: a function cannot set them', () => {
    // Act
    const answer = fromHttpApiResult(
      JSON.stringify({
        statusCode: 200,
        headers: { 'Transfer-Encoding': 'chunked', Connection: 'close', 'X-Kept': '1' },
      }),
      false,
    )

    // Assess
    expect(answer.headers).toEqual({ 'x-kept': '1' })
  })
})

describe('toHttpApiEvent on targets new URL refuses', () => {
  test('throws a TypeError naming the target', () => {
    // Act / Assess
    expect(() => toHttpApiEvent(request({ url: 'http://[::1' }))).toThrow('not a request target: http://[::1')
  })

  test('an origin-form path starting with // stays a path', () => {
    // Act
    const event = toHttpApiEvent(request({ url: '//double/slash?x=1' })) as { rawPath: string }

    // Assess
    expect(event.rawPath).toBe('//double/slash')
  })
})

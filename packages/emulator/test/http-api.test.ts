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
    expect(event.headers).toEqual({ host: 'localhost:3000', 'user-agent': 'curl', 'x-multi': '1,2' })
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

  test('function errors, bad JSON and bad status codes are 500 Internal Server Error', () => {
    // Act / Assess
    for (const answer of [
      fromHttpApiResult('{}', true),
      fromHttpApiResult('{nope', false),
      fromHttpApiResult('{"statusCode":"abc"}', false),
    ]) {
      expect(answer.statusCode).toBe(500)
      expect(JSON.parse(answer.body.toString())).toEqual({ message: 'Internal Server Error' })
    }
  })
})

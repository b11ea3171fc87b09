import { describe, expect, test } from '@jest/globals'
import { payloadFormatFlag } from '../src/payload-format.js'
import { fromRestApiResult, REST_API_ERROR, toProxyRestApiEvent } from '../src/rest-api.js'

const parts = (url: string, body = Buffer.alloc(0), headers: Record<string, string | string[]> = {}) => ({
  method: 'POST',
  url,
  headers,
  body,
  sourceIp: '127.0.0.1',
  accountId: '000000000000',
})

describe('toProxyRestApiEvent', () => {
  test('repeated headers and query values keep every value; the single-value maps keep the last', () => {
    // Act
    const event = toProxyRestApiEvent(parts('/a?x=1&x=2', Buffer.alloc(0), { 'x-h': ['1', '2'] }))

    // Assess
    expect(event.queryStringParameters).toEqual({ x: '2' })
    expect(event.multiValueQueryStringParameters).toEqual({ x: ['1', '2'] })
    expect(event.headers).toEqual({ 'x-h': '2' })
    expect(event.multiValueHeaders).toEqual({ 'x-h': ['1', '2'] })
    expect(event.body).toBeNull()
  })

  test('the root has no proxy parameter and no query; a binary body travels base64', () => {
    // Act
    const event = toProxyRestApiEvent(
      parts('/', Buffer.from([0xff, 0x00]), { 'content-type': 'application/octet-stream' }),
    )

    // Assess
    expect(event.pathParameters).toBeNull()
    expect(event.queryStringParameters).toBeNull()
    expect(event).toMatchObject({ body: '/wA=', isBase64Encoded: true })
    expect(() => toProxyRestApiEvent(parts('http://[bad'))).toThrow(TypeError)
  })
})

describe('fromRestApiResult', () => {
  test('headers and multiValueHeaders merge; every Set-Cookie is its own header', () => {
    // Act
    const answer = fromRestApiResult(
      JSON.stringify({
        statusCode: 201,
        headers: { 'Set-Cookie': 'a=1', 'X-One': 'x' },
        multiValueHeaders: { 'Set-Cookie': ['b=2'], 'X-Many': ['1', '2'], 'X-Single': 'y' },
        body: 'aGk=',
        isBase64Encoded: true,
      }),
      false,
    )

    // Assess
    expect(answer.statusCode).toBe(201)
    expect(answer.headers).toMatchObject({
      'set-cookie': ['a=1', 'b=2'],
      'x-one': 'x',
      'x-many': '1,2',
      'x-single': 'y',
    })
    expect(answer.body.toString()).toBe('hi')
  })

  test('a function error, text that is not JSON, a result without statusCode or with a bad one: 502', () => {
    // Act & Assess
    expect(fromRestApiResult('{}', true)).toBe(REST_API_ERROR)
    expect(fromRestApiResult('not json', false)).toBe(REST_API_ERROR)
    expect(fromRestApiResult('{"body":"x"}', false)).toBe(REST_API_ERROR)
    const bad = fromRestApiResult('{"statusCode":99}', false)
    expect(bad.statusCode).toBe(502)
    expect(bad.body.toString()).toMatch(/statusCode must be an integer/)
  })
})

describe('payloadFormatFlag', () => {
  test('takes 1.0 and 2.0, refuses anything else with the reason', () => {
    // Act & Assess
    expect(payloadFormatFlag(undefined)).toBeUndefined()
    expect(payloadFormatFlag('1.0')).toBe('1.0')
    expect(() => payloadFormatFlag('3')).toThrow(
      '--payload-format must be 1.0 (REST API) or 2.0 (HTTP API), got 3',
    )
  })
})

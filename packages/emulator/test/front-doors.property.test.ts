/**
 * Property-based tests of the front surfaces (issue 12): the Invoke API and the HTTP front door get
 * arbitrary requests as raw bytes, and the front door arbitrary function responses. The property:
 * every request gets an answer in bounded time, every refusal is a 4xx/5xx with a reason, the
 * emulator's own 500 never happens, and the server still answers a well-formed request correctly.
 *
 * The routes run in process against a stub backend (the property is about the front surfaces, not
 * the runtime); test/hardening.test.ts covers the same findings against real environments.
 * FUZZ_RUNS sets the number of cases per property (default 2000; a nightly run takes more).
 */
import type { Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import fc from 'fast-check'
import { httpFrontDoorRoute, sendHttpError } from '../src/http-api.js'
import { close, createGuardedServer, listen } from '../src/http-server.js'
import { type InvokeBackend, invokeApiRoute, sendInvokeError } from '../src/invoke-api.js'
import type { InvokeOptions, InvokeResult } from '../src/types.js'
import { bodyOf, rawExchange, statusOf } from './support/raw.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000)
// Long enough for thousands of cases on a busy machine; the cases themselves take about a millisecond.
const SUITE_TIMEOUT_MS = 120_000

/** What the stub function answers next through the front door. */
let nextPayload = '{"statusCode":200,"body":"ok"}'
let nextFunctionError = false

const backend: InvokeBackend = {
  region: 'us-east-1',
  accountId: '000000000000',
  hasFunction: (name) => name === 'fn',
  invokeRaw: async (_name: string, payload: string, options: InvokeOptions = {}): Promise<InvokeResult> =>
    options.type === 'Event'
      ? { statusCode: 202, requestId: 'r', payload: '', environmentId: null }
      : { statusCode: 200, requestId: 'r', payload, environmentId: 'e' },
  environments: () => [],
}

let invokeServer: Server
let httpServer: Server
let invokeUrl: string
let httpUrl: string

beforeAll(async () => {
  invokeServer = createGuardedServer(invokeApiRoute(backend), sendInvokeError)
  invokeUrl = await listen(invokeServer, 0, '127.0.0.1')
  httpServer = createGuardedServer(
    httpFrontDoorRoute({
      accountId: '000000000000',
      functionName: 'fn',
      routes: {},
      functionNames: ['fn'],
      invokeUrl,
      invokeRaw: async (_name, _payload) => ({
        statusCode: 200,
        requestId: 'r',
        payload: nextPayload,
        environmentId: 'e',
        ...(nextFunctionError ? { functionError: 'Unhandled' as const } : {}),
      }),
    }),
    sendHttpError,
  )
  httpUrl = await listen(httpServer, 0, '127.0.0.1')
})

afterAll(async () => {
  await close(invokeServer)
  await close(httpServer)
})

/** A request of header lines and body bytes, framed so that the server sees a complete request. */
const request = (requestLine: string, headers: readonly [string, string][], body: Uint8Array): Buffer =>
  Buffer.concat([
    Buffer.from(
      `${requestLine}\r\nHost: x\r\nConnection: close\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}Content-Length: ${body.length}\r\n\r\n`,
      'latin1',
    ),
    body,
  ])

/** Every answer is a status line; a refusal carries a reason; the emulator's own fault never shows. */
const expectAnsweredWithReason = (answer: string, verb?: string): void => {
  const status = statusOf(answer)
  expect(status).toBeGreaterThanOrEqual(200)
  expect(status).not.toBe(500)
  // A HEAD answer has no body to carry the reason.
  if (status >= 400 && verb !== 'HEAD') {
    const body = JSON.parse(bodyOf(answer)) as { message?: string; reason?: string }
    expect(`${body.message ?? ''}${body.reason ?? ''}`.length).toBeGreaterThan(0)
  }
}

const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
})
const anyBytes = fc.uint8Array({ maxLength: 512 })
const method = fc.constantFrom('POST', 'GET', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH')
const pathText = fc.oneof(
  fc.string({ maxLength: 40 }).map((text) => encodeURIComponent(text)),
  fc.constantFrom(
    'fn',
    'fn:%24LATEST',
    'fn:bogus',
    'function',
    'arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Afn',
  ),
  fc.string({ unit: fc.constantFrom('%', 'a', ':', '/', '?', '#', '[', ']', '@', 'é'), maxLength: 12 }),
)

const wellFormedInvoke = async (): Promise<void> => {
  const answer = await rawExchange(
    invokeUrl,
    request('POST /2015-03-31/functions/fn/invocations HTTP/1.1', [], Buffer.from('{"ok":true}')),
  )
  expect(statusOf(answer)).toBe(200)
  expect(bodyOf(answer)).toBe('{"ok":true}')
}

const wellFormedHttp = async (): Promise<void> => {
  nextPayload = '{"statusCode":201,"body":"made"}'
  nextFunctionError = false
  const answer = await rawExchange(httpUrl, request('GET /check HTTP/1.1', [], new Uint8Array()))
  expect(statusOf(answer)).toBe(201)
  expect(bodyOf(answer)).toBe('made')
}

describe('Invoke API, arbitrary requests', () => {
  test(
    'method, function name, query, headers and body bytes: an answer with a reason, and the API serves on',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          method,
          pathText,
          fc.string({ maxLength: 30 }).map((text) => encodeURI(text).replace(/[#\s]/g, '')),
          fc.record(
            {
              'X-Amz-Invocation-Type': fc.oneof(
                fc.constantFrom('RequestResponse', 'Event', 'DryRun'),
                headerValue,
              ),
              'X-Amz-Log-Type': fc.oneof(fc.constantFrom('None', 'Tail'), headerValue),
              'X-Amz-Client-Context': fc.oneof(
                headerValue,
                fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('base64')),
                fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? '').toString('base64')),
              ),
            },
            { requiredKeys: [] },
          ),
          fc.oneof(
            anyBytes,
            fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? '')),
          ),
          async (verb, name, query, headers, body) => {
            // Act
            const answer = await rawExchange(
              invokeUrl,
              request(
                `${verb} /2015-03-31/functions/${name}/invocations${query ? `?${query}` : ''} HTTP/1.1`,
                Object.entries(headers),
                body,
              ),
            )

            // Assess
            expectAnsweredWithReason(answer, verb)
            await wellFormedInvoke()
          },
        ),
        { numRuns: RUNS },
      )
    },
    SUITE_TIMEOUT_MS,
  )
})

describe('HTTP front door, arbitrary requests', () => {
  test(
    'raw bytes of any shape: an answer with a reason or a closed connection, and the door serves on',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc
              .uint8Array({ maxLength: 300 })
              .map((bytes) => ({ bytes: Buffer.from(bytes), halfClose: true, verb: undefined })),
            fc
              .tuple(
                method,
                fc.string({ maxLength: 60 }),
                fc.array(fc.tuple(headerValue, headerValue), { maxLength: 4 }),
                anyBytes,
              )
              .map(([verb, target, headers, body]) => ({
                bytes: request(`${verb} ${target.replace(/[\s]/g, '') || '/'} HTTP/1.1`, headers, body),
                halfClose: false,
                verb,
              })),
          ),
          async ({ bytes, halfClose, verb }) => {
            // Act: arbitrary bytes end with the client's side closed, so the server sees all there is
            const answer = await rawExchange(httpUrl, bytes, { halfClose, waitMs: 2_000 })

            // Assess
            if (answer !== '') expectAnsweredWithReason(answer, verb)
            await wellFormedHttp()
          },
        ),
        { numRuns: RUNS },
      )
    },
    SUITE_TIMEOUT_MS,
  )
})

describe('HTTP front door, arbitrary function responses', () => {
  const anyHeaders = fc.dictionary(
    fc.oneof(fc.string({ maxLength: 12 }), headerValue),
    fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null)),
    { maxKeys: 4 },
  )
  const responseObject = fc.record(
    {
      statusCode: fc.oneof(fc.integer({ min: -10, max: 1_000 }), fc.string({ maxLength: 4 })),
      headers: fc.oneof(anyHeaders, fc.jsonValue()),
      cookies: fc.oneof(fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }), fc.jsonValue()),
      body: fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue()),
      isBase64Encoded: fc.oneof(fc.boolean(), fc.jsonValue()),
    },
    { requiredKeys: ['statusCode'] },
  )

  /** The status a result asks for itself, when it is a response object with one. */
  const statusAskedFor = (payload: string): number | undefined => {
    try {
      const value: unknown = JSON.parse(payload)
      const status = (value as { statusCode?: unknown } | null)?.statusCode
      return typeof value === 'object' && typeof status === 'number' ? status : undefined
    } catch {
      return undefined
    }
  }

  test(
    'names, values, cookies, status codes and bodies of any kind: a sendable answer or a 502 with the reason',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            responseObject.map((value) => JSON.stringify(value)),
            fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
            fc.string({ maxLength: 40 }),
          ),
          fc.boolean(),
          async (payload, functionError) => {
            // Prepare
            nextPayload = payload
            nextFunctionError = functionError

            // Act
            const answer = await rawExchange(httpUrl, request('GET /any HTTP/1.1', [], new Uint8Array()))

            // Assess: a function error or an unreadable result is API Gateway's plain 500; never the emulator's own failure
            const status = statusOf(answer)
            expect(status).toBeGreaterThanOrEqual(200)
            expect(status).toBeLessThanOrEqual(599)
            if (functionError) expect(status).toBe(500)
            // A function may answer 500 or 502 itself, with any body: only the front door's own answers have a shape.
            const ownAnswer = !functionError && status === statusAskedFor(payload)
            if (status === 500 && !ownAnswer)
              expect(JSON.parse(bodyOf(answer))).toEqual({ message: 'Internal Server Error' })
            if (status === 502 && !ownAnswer)
              expect(JSON.parse(bodyOf(answer)).reason).toMatch(/^malformed Lambda response: /)
            await wellFormedHttp()
          },
        ),
        { numRuns: RUNS },
      )
    },
    SUITE_TIMEOUT_MS,
  )
})

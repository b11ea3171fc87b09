/**
 * Issue 12 on the front surfaces, against a real emulator running the real runtime client: whatever
 * a client sends or a function answers, the process keeps serving and every bad input gets a status
 * with a reason.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { type Emulator, type EmulatorEvent, startEmulator } from '@lambda-lifetime/emulator'
import { bodyOf, rawExchange, statusOf, withSocket } from './support/raw.js'

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url))
const logDir = mkdtempSync(join(tmpdir(), 'emulator-hardening-'))
// Named `function`, as `serve` without --name names it.
const functions = [{ name: 'function', handler: 'respond.handler', codeDir: fixtures }]
let emulator: Emulator

beforeAll(async () => {
  emulator = await startEmulator({
    logDir,
    functions: [...functions, { name: 'routed', handler: 'respond.handler', codeDir: fixtures }],
    httpPort: 0,
    httpFunction: 'function',
    httpRoutes: { '/routed': 'routed' },
  })
})

afterAll(async () => {
  await emulator?.stop()
  rmSync(logDir, { recursive: true, force: true })
})

const invokeUrl = (name = 'function', query = '') =>
  `${emulator.invokeUrl}/2015-03-31/functions/${encodeURIComponent(name)}/invocations${query}`

const invoke = (body: unknown, headers: Record<string, string> = {}, name?: string, query?: string) =>
  fetch(invokeUrl(name, query), {
    method: 'POST',
    headers,
    body: body instanceof Buffer ? body : JSON.stringify(body),
  })

/** The property every case ends with: both doors still answer a well-formed request. */
const expectStillServing = async (): Promise<void> => {
  const viaInvoke = await invoke({ answer: { ok: true } })
  expect(viaInvoke.status).toBe(200)
  expect(await viaInvoke.json()).toEqual({ ok: true })
  const viaHttp = await fetch(`${emulator.httpUrl}/x`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ answer: { statusCode: 201, body: 'made' } }),
  })
  expect(viaHttp.status).toBe(201)
  expect(await viaHttp.text()).toBe('made')
}

describe('HTTP front door', () => {
  test.each(['http://[::1', 'http://a:b@[fe80::1%25eth0]/'])(
    'the request target %s is a 400 with the reason (issue 12.1)',
    async (target) => {
      // Act
      const answer = await rawExchange(
        emulator.httpUrl as string,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      )

      // Assess
      expect(statusOf(answer)).toBe(400)
      expect(JSON.parse(bodyOf(answer))).toEqual({
        message: 'Bad Request',
        reason: `the request target is not a valid URL: ${target}`,
      })
      await expectStillServing()
    },
  )

  test('bytes Node cannot parse get a 400 with the parser’s reason', async () => {
    // Act
    const answer = await rawExchange(emulator.httpUrl as string, 'NOT HTTP\r\n\r\n')

    // Assess
    expect(statusOf(answer)).toBe(400)
    expect(JSON.parse(bodyOf(answer)).reason).toMatch(/^HPE_/)
  })

  test.each(['http', 'invoke'])(
    'a client leaving mid-body does not take the %s door down (issue 12.2)',
    async (door) => {
      // Prepare
      const base = door === 'http' ? (emulator.httpUrl as string) : emulator.invokeUrl
      const path = door === 'http' ? '/upload' : '/2015-03-31/functions/function/invocations'

      // Act: announce 100 bytes, send 3, hang up
      await withSocket(base, (socket) => {
        socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc`)
        setImmediate(() => socket.destroy())
      })

      // Assess
      await expectStillServing()
    },
  )

  test.each([
    [{ 'x-price': '5 €' }, undefined, 'header "x-price" has a value with characters HTTP forbids'],
    [{ 'x-a': 'one\r\nx-b: two' }, undefined, 'header "x-a" has a value with characters HTTP forbids'],
    [{ 'x a': '1' }, undefined, 'header name "x a" is not an HTTP token'],
    [{}, ['a=1\nb=2'], 'cookie "a=1\\nb=2" has characters HTTP forbids'],
  ])(
    'a function answering headers %j cookies %j gets a 502 with the reason (issue 12.3)',
    async (headers, cookies, reason) => {
      // Act
      const response = await fetch(`${emulator.httpUrl}/bad`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ answer: { statusCode: 200, headers, cookies, body: 'x' } }),
      })

      // Assess
      expect(response.status).toBe(502)
      const body = (await response.json()) as { reason: string }
      expect(body.reason).toContain(`malformed Lambda response: ${reason}`)
      await expectStillServing()
    },
  )

  test('a 100 MB body is not read: 413 with the reason once past 6 MB, and the connection closes (issue 12.11)', async () => {
    // Prepare
    const size = 1024 * 1024
    const chunk = Buffer.concat([
      Buffer.from(`${size.toString(16)}\r\n`),
      Buffer.alloc(size, 0x20),
      Buffer.from('\r\n'),
    ])
    let written = 0
    let answer = ''

    // Act: stream until the server answers and hangs up (chunked: no Content-Length to refuse early)
    await withSocket(emulator.httpUrl as string, (socket) => {
      socket.on('data', (data: Buffer) => (answer += data.toString('latin1')))
      socket.write('POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
      const pump = (): void => {
        while (written < 100 * 1024 * 1024 && !socket.destroyed) {
          written += size
          if (!socket.write(chunk)) {
            socket.once('drain', pump)
            return
          }
        }
      }
      pump()
    })

    // Assess: what the kernel buffers may take beyond 6 MB is far below 100 MB
    expect(statusOf(answer)).toBe(413)
    expect(bodyOf(answer)).toContain("Lambda's limit for a synchronous invocation")
    expect(written).toBeLessThan(50 * 1024 * 1024)
    await expectStillServing()
  })

  test('a browser at / where the function has no route gets a page listing the functions; JSON clients get the function’s answer (issue 11.4)', async () => {
    // Act: the fixture answers 404 when asked to by the query
    const browser = await fetch(`${emulator.httpUrl}/?status=404`, { headers: { accept: 'text/html,*/*' } })
    const client = await fetch(`${emulator.httpUrl}/?status=404`, { headers: { accept: 'application/json' } })
    const elsewhere = await fetch(`${emulator.httpUrl}/other?status=404`, {
      headers: { accept: 'text/html' },
    })
    const noAccept = await rawExchange(
      emulator.httpUrl as string,
      'GET /?status=404 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )

    // Assess
    expect(browser.status).toBe(200)
    expect(browser.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await browser.text()
    expect(html).toContain('<strong>function</strong>')
    expect(html).toContain('<a href="/routed">/routed</a>: <strong>routed</strong>')
    expect(html).toContain(`href="${emulator.invokeUrl}/_lambda-lifetime/environments"`)
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/)
    expect(client.status).toBe(404)
    expect(await client.json()).toEqual({ message: 'Not Found' })
    expect(await elsewhere.json()).toEqual({ message: 'Not Found' })
    expect(bodyOf(noAccept)).toBe('{"message":"Not Found"}')
  })
})

describe('HTTP front door routes', () => {
  test('a path under a route goes to its function; any other path to httpFunction', async () => {
    // Act
    const routed = (await (await fetch(`${emulator.httpUrl}/routed/x`)).json()) as { functionName: string }
    const other = (await (await fetch(`${emulator.httpUrl}/elsewhere`)).json()) as { functionName: string }

    // Assess
    expect(routed.functionName).toBe('routed')
    expect(other.functionName).toBe('function')
  })
})

describe('Invoke API', () => {
  test('a client context with characters above U+00FF reaches the function, and the environment serves on (issue 12.4)', async () => {
    // Prepare
    const context = { custom: { city: 'Zürich', price: '5 €', mood: '🙂' } }
    const header = Buffer.from(JSON.stringify(context)).toString('base64')

    // Act
    const first = await invoke({}, { 'X-Amz-Client-Context': header })
    const second = await invoke({}, { 'X-Amz-Client-Context': header })

    // Assess
    expect(first.status).toBe(200)
    expect(((await first.json()) as { clientContext: unknown }).clientContext).toMatchObject(context)
    expect(second.status).toBe(200)
    await expectStillServing()
  })

  test.each([
    ['not base64', '%%%', 'It is not base64.'],
    ['not JSON', Buffer.from('nope').toString('base64'), 'Its decoded text is not UTF-8 JSON'],
    ['not UTF-8', Buffer.from([0x22, 0x97, 0x22]).toString('base64'), 'Its decoded text is not UTF-8 JSON'],
    ['not an object', Buffer.from('[1]').toString('base64'), 'Its JSON is not an object.'],
    ['too long', Buffer.from(`{"a":"${'x'.repeat(3000)}"}`).toString('base64'), 'the limit is 3583'],
  ])(
    'a client context that is %s is a 400 InvalidRequestContentException with the reason',
    async (_, header, reason) => {
      // Act
      const response = await invoke({}, { 'X-Amz-Client-Context': header })

      // Assess
      expect(response.status).toBe(400)
      expect(response.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException')
      const { message } = (await response.json()) as { message: string }
      expect(message).toContain('Client context must be a valid Base64-encoded JSON object.')
      expect(message).toContain(reason)
    },
  )

  test('a function named "function" is found by name and by ARN (issue 12.5)', async () => {
    // Act
    const byName = await invoke({ answer: 1 })
    const byArn = await invoke({ answer: 2 }, {}, 'arn:aws:lambda:us-east-1:000000000000:function:function')
    const byPartialArn = await invoke({ answer: 3 }, {}, '000000000000:function:function:$LATEST')

    // Assess
    expect([byName.status, byArn.status, byPartialArn.status]).toEqual([200, 200, 200])
    expect(await byPartialArn.json()).toBe(3)
  })

  test.each([
    ['function', '?Qualifier=bogus', 'arn:aws:lambda:us-east-1:000000000000:function:function:bogus'],
    ['function:bogus', '', 'arn:aws:lambda:us-east-1:000000000000:function:function:bogus'],
    ['function:7', '', 'arn:aws:lambda:us-east-1:000000000000:function:function:7'],
    [
      'arn:aws:lambda:eu-west-1:000000000000:function:function',
      '',
      'arn:aws:lambda:eu-west-1:000000000000:function:function',
    ],
    [
      'arn:aws:lambda:us-east-1:123456789012:function:function',
      '',
      'arn:aws:lambda:us-east-1:123456789012:function:function',
    ],
    ['123456789012:function:function', '', 'arn:aws:lambda:us-east-1:123456789012:function:function'],
  ])('%s%s is ResourceNotFoundException, not $LATEST (issue 12.9)', async (name, query, arn) => {
    // Act
    const response = await invoke({}, {}, name, query)

    // Assess
    expect(response.status).toBe(404)
    expect(response.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException')
    expect(await response.json()).toMatchObject({ message: `Function not found: ${arn}` })
  })

  test('a web page of another site cannot invoke; the emulator’s own origin and clients without Origin can', async () => {
    // Act: what a blind cross-site form post or fetch from a page at another origin sends
    const crossSite = await invoke(
      { answer: 'stolen' },
      { origin: 'https://evil.example', 'content-type': 'text/plain' },
    )
    const opaque = await invoke({ answer: 'stolen' }, { origin: 'null' })
    const sameOrigin = await invoke({ answer: 'own' }, { origin: new URL(emulator.invokeUrl).origin })

    // Assess
    expect(crossSite.status).toBe(403)
    expect(crossSite.headers.get('x-amzn-errortype')).toBe('AccessDeniedException')
    expect(await crossSite.json()).toMatchObject({ message: expect.stringContaining('https://evil.example') })
    expect(opaque.status).toBe(403)
    expect(await sameOrigin.json()).toBe('own')
    await expectStillServing()
  })

  test('$LATEST runs by query and by name; a qualifier in both that differs is a 400', async () => {
    // Act
    const byQuery = await invoke({ answer: 1 }, {}, 'function', '?Qualifier=%24LATEST')
    const byName = await invoke({ answer: 1 }, {}, 'function:$LATEST', '?Qualifier=%24LATEST')
    const conflict = await invoke({}, {}, 'function:$LATEST', '?Qualifier=prod')

    // Assess
    expect([byQuery.status, byName.status]).toEqual([200, 200])
    expect(conflict.status).toBe(400)
    expect(conflict.headers.get('x-amzn-errortype')).toBe('InvalidParameterValueException')
  })

  test.each([
    [
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x97, 0x22, 0x7d]),
      'Invalid UTF-8 start byte 0x97 at byte 6',
    ],
    [Buffer.from([0x22, 0xc3, 0x28, 0x22]), 'Invalid UTF-8 middle byte 0x28 at byte 2'],
    [Buffer.from([0x22, 0xe2, 0x82]), 'Invalid UTF-8: the text ends inside a character at byte 1'],
    [Buffer.from([0x22, 0xc0, 0xaf, 0x22]), 'Invalid UTF-8 start byte 0xc0 at byte 1'],
    [Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), 'Invalid UTF-8 sequence at byte 1'],
    [Buffer.from([0x22, 0xf0, 0x9f, 0x99, 0x82, 0x97, 0x22]), 'Invalid UTF-8 start byte 0x97 at byte 5'],
  ])(
    'an invalid UTF-8 payload is refused as Lambda does, never turned into U+FFFD (issue 12.11)',
    async (body, reason) => {
      // Act
      const response = await invoke(body)

      // Assess
      expect(response.status).toBe(400)
      expect(response.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException')
      expect(((await response.json()) as { message: string }).message).toBe(
        `Could not parse request body into json: Could not parse payload into json: ${reason}`,
      )
    },
  )

  test('a 100 MB Content-Length is answered 413 at once, without reading the body (issue 12.11)', async () => {
    // Act: the headers only; the body never comes
    const answer = await rawExchange(
      emulator.invokeUrl,
      `POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`,
    )

    // Assess
    expect(statusOf(answer)).toBe(413)
    expect(answer).toContain('x-amzn-ErrorType: RequestEntityTooLargeException')
    expect(answer).toContain('Connection: close')
  })

  test('a request refused before its body is read is answered at once, and the body is never read', async () => {
    // Act: 3 MB for a function that does not exist: more than the 1 MB read while the close lingers
    const size = 3 * 1024 * 1024
    const answer = await rawExchange(
      emulator.invokeUrl,
      Buffer.concat([
        Buffer.from(
          `POST /2015-03-31/functions/nope/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`,
        ),
        Buffer.alloc(size, 0x20),
      ]),
    )

    // Assess: the server closed the connection itself (rawExchange returns on close)
    expect(statusOf(answer)).toBe(404)
    expect(answer).toContain('Connection: close')
    await expectStillServing()
  })

  test('in process, a payload that is no JSON value travels as null', async () => {
    // Act: the fixture reads a field of the event, which fails on null
    const result = await emulator.invoke('function', (() => 1) as unknown)

    // Assess
    expect(result.functionError).toBe('Unhandled')
    expect(result.payload).toContain('TypeError')
  })

  test('invocation.end says how a person should read the answer: a 4xx is a client error, a 5xx an error (issue 11.8)', async () => {
    // Prepare
    const ends: EmulatorEvent[] = []
    const unsubscribe = emulator.subscribe((event) => {
      if (event.type === 'invocation.end') ends.push(event)
    })

    // Act
    for (const statusCode of [200, 404, 503]) await invoke({ answer: { statusCode } })
    await invoke({ answer: 'plain' })
    unsubscribe()

    // Assess
    expect(ends.map((event) => event.type === 'invocation.end' && [event.answer, event.statusCode])).toEqual([
      ['success', 200],
      ['client-error', 404],
      ['error', 503],
      ['success', undefined],
    ])
  })
})

describe('Event queue', () => {
  test('is bounded (429 with the reason), and Events not run at stop are counted and kept as files (issue 12.10)', async () => {
    // Prepare: one environment, busy for a while, and room for two Events
    const eventLogDir = mkdtempSync(join(tmpdir(), 'emulator-events-'))
    let small: Emulator | undefined
    try {
      small = await startEmulator({
        logDir: eventLogDir,
        functions: [{ ...functions[0], name: 'queue' }] as never,
        concurrency: 1,
        maxQueuedEvents: 2,
      })
      const started: string[] = []
      small.subscribe((event) => {
        if (event.type === 'invocation.start') started.push(event.requestId)
      })
      const invokeUrl = small.invokeUrl
      const send = (payload: unknown) =>
        fetch(`${invokeUrl}/2015-03-31/functions/queue/invocations`, {
          method: 'POST',
          headers: { 'X-Amz-Invocation-Type': 'Event' },
          body: JSON.stringify(payload),
        })

      // Act
      const accepted = [await send({ sleepMs: 2_000 }), await send({ n: 2 })]
      const refused = await send({ n: 3 })
      const summary = await small.stop()
      const afterStop = small.invoke('queue', {}, { type: 'Event' })

      // Assess
      expect(accepted.map((response) => response.status)).toEqual([202, 202])
      expect(refused.status).toBe(429)
      expect(refused.headers.get('x-amzn-errortype')).toBe('TooManyRequestsException')
      const body = (await refused.json()) as { message: string; Reason: string }
      expect(body.Reason).toBe('EventQueueFull')
      expect(body.message).toContain('2 accepted and not finished (limit 2, option maxQueuedEvents)')
      // Nothing accepted is lost: each Event either started or was kept on disk.
      expect(started.length + summary.unrunEvents).toBe(2)
      expect(summary.unrunEvents).toBeGreaterThanOrEqual(1)
      await expect(afterStop).rejects.toMatchObject({
        statusCode: 429,
        message: 'Rate Exceeded. the emulator is stopping',
      })
      for (const file of summary.unrunEventFiles) {
        expect(file.startsWith(join(eventLogDir, 'queue', 'unrun-events'))).toBe(true)
        expect(existsSync(file)).toBe(true)
      }
      const kept = JSON.parse(readFileSync(summary.unrunEventFiles.at(-1) as string, 'utf8'))
      expect(kept).toMatchObject({ functionName: 'queue', payload: { n: 2 } })
    } finally {
      await small?.stop()
      rmSync(eventLogDir, { recursive: true, force: true })
    }
  })
})

/**
 * The one place where a route's failure becomes an answer: whatever a route does, the server answers
 * (or closes the connection) and keeps serving.
 */
import type { Server } from 'node:http'
import { afterEach, describe, expect, test } from '@jest/globals'
import { close, createGuardedServer, listen, type Route, requestTarget } from '../src/http-server.js'
import { bodyOf, rawExchange, statusOf } from './support/raw.js'

const failureAnswer = (response: import('node:http').ServerResponse, error: unknown) => {
  response.writeHead(500, { 'content-type': 'application/json' })
  response.end(JSON.stringify({ reason: (error as Error).message }))
}

let server: Server | null = null

afterEach(async () => {
  await close(server)
  server = null
})

const serve = async (route: Route, answer = failureAnswer): Promise<string> => {
  server = createGuardedServer(route, answer)
  return listen(server, 0, '127.0.0.1')
}

const ok: Route = (_request, response) => {
  response.end('ok')
}

describe('createGuardedServer', () => {
  test.each([
    [
      'throws',
      () => {
        throw new Error('thrown')
      },
    ],
    ['rejects', async () => Promise.reject(new Error('rejected'))],
  ])('a route that %s is answered by the failure answer, and the server serves on', async (_, failing) => {
    // Prepare
    let fail = true
    const url = await serve((request, response) =>
      fail ? (failing as Route)(request, response) : ok(request, response),
    )

    // Act
    const failed = await fetch(url)
    fail = false
    const next = await fetch(url)

    // Assess
    expect(failed.status).toBe(500)
    expect(((await failed.json()) as { reason: string }).reason).toMatch(/thrown|rejected/)
    expect(await next.text()).toBe('ok')
  })

  test('a route that fails after its answer began closes the connection instead of answering twice', async () => {
    // Prepare
    let calls = 0
    const url = await serve(async (request, response) => {
      calls += 1
      if (calls > 1) return ok(request, response)
      response.writeHead(200)
      response.write('partial')
      throw new Error('late')
    })

    // Act
    const failed = await fetch(url)
      .then((response) => response.text())
      .catch((error: Error) => error)
    const next = await fetch(url)

    // Assess
    expect(String(failed)).toMatch(/terminated/)
    expect(await next.text()).toBe('ok')
  })

  test('a failure answer that throws itself closes the connection; the server serves on', async () => {
    // Prepare
    let fail = true
    const url = await serve(
      (request, response) => {
        if (fail) throw new Error('route')
        ok(request, response)
      },
      () => {
        throw new Error('answer')
      },
    )

    // Act
    const failed = await fetch(url).catch((error: Error) => error)
    fail = false
    const next = await fetch(url)

    // Assess
    expect(String(failed)).toMatch(/fetch failed/)
    expect(await next.text()).toBe('ok')
  })

  test('a request Node cannot parse gets a 400 with the parser’s code, oversized headers a 431', async () => {
    // Prepare
    const url = await serve(ok)

    // Act
    const garbage = await rawExchange(url, 'GET / HTTP/1.1\r\nHost x\r\n\r\n')
    const huge = await rawExchange(url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)

    // Assess
    expect(statusOf(garbage)).toBe(400)
    expect(JSON.parse(bodyOf(garbage)).reason).toMatch(/^HPE_INVALID_HEADER_TOKEN/)
    expect(statusOf(huge)).toBe(431)
  })
})

describe('a bad request behind one being answered', () => {
  test('closes the connection rather than write a 400 into the answer under way', async () => {
    // Prepare: the first answer starts at once and ends a little later
    const url = await serve(async (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' })
      response.write('first ')
      await new Promise((resolve) => setTimeout(resolve, 50))
      response.end('done')
    })

    // Act: a good request and bytes that are no request, pipelined on one connection
    const answer = await rawExchange(url, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP\r\n\r\n')

    // Assess: the connection goes (as Node's own handler does); nothing is spliced into the answer
    expect(answer).not.toContain('400 Bad Request')
    expect(await (await fetch(url)).text()).toBe('first done')
  })
})

describe('requestTarget', () => {
  test.each([
    ['/a?b=1', '/a'],
    ['//a', '//a'],
    ['http://h/x', '/x'],
    ['*', '/*'],
  ])('%s has the path %s', (target, path) => {
    // Act / Assess
    expect(requestTarget(target)?.pathname).toBe(path)
  })

  test.each([undefined, 'http://[::1', 'http://a:b@[fe80::1%25eth0]/'])('%s is no target', (target) => {
    // Act / Assess
    expect(requestTarget(target)).toBeNull()
  })
})

/**
 * warmPool with keep-alive HTTP clients (node:http Agent, undici Agent) against a local server that forgets
 * idle connections, as a NAT gateway or a server's idle timeout does while a Lambda container is frozen:
 * the client still holds the socket, and its next request on it is answered with a reset.
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime } from '@lambda-lifetime/container'
import { getPoolStats, warmPool } from '@lambda-lifetime/pool'
import middy from '@middy/core'
import { Agent, request } from 'undici'
import { resetPools, useFakeClock } from '../../packages/pool/test/support.js'
import { lambdaContext } from '../support/container.js'

let server: http.Server
let origin: string
const sockets = new Set<Socket>()
const forgotten = new WeakSet<Socket>()

/** Marks every open connection as forgotten: the next bytes a client sends on one get a TCP reset. */
const forgetIdleConnections = (): void => {
  for (const socket of sockets) forgotten.add(socket)
}

beforeAll(async () => {
  server = http.createServer((_request, response) => response.end('ok'))
  server.keepAliveTimeout = 60_000
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.prependListener('data', () => {
      if (forgotten.has(socket)) socket.resetAndDestroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

beforeEach(() => {
  resetPools()
})

afterEach(() => {
  jest.useRealTimers()
})

const getWith = (agent: http.Agent, path = '/'): Promise<string> =>
  new Promise((resolve, reject) => {
    http
      .get(`${origin}${path}`, { agent }, (response) => {
        let body = ''
        response.on('data', (chunk) => {
          body += chunk
        })
        response.on('end', () => resolve(body))
      })
      .on('error', reject)
  })

const nodeAgentHandler = (validateAfterIdleMs: number) =>
  middy()
    .use(containerLifetime())
    .use(
      warmPool({
        name: 'http',
        create: () => new http.Agent({ keepAlive: true, maxSockets: 1 }),
        validate: (agent) => getWith(agent, '/health'),
        dispose: (agent) => agent.destroy(),
        validateAfterIdleMs,
      }),
    )
    .handler(async (_event: unknown, context) => getWith(context.http))

const undiciHandler = () =>
  middy()
    .use(containerLifetime())
    .use(
      warmPool({
        name: 'http',
        create: () => new Agent({ keepAliveTimeout: 600_000, connections: 1 }),
        validate: async (agent) => (await request(`${origin}/health`, { dispatcher: agent })).body.text(),
        dispose: (agent) => agent.close(),
      }),
    )
    .handler(async (_event: unknown, context) =>
      (await request(origin, { dispatcher: context.http })).body.text(),
    )

let requests = 0
const invoke = (handler: (event: never, context: never) => Promise<unknown>) =>
  handler({} as never, lambdaContext(`http-${++requests}`) as never).then(
    (body) => ({ body }),
    (error: unknown) => ({ error }),
  )

describe('warmPool with a keep-alive node:http Agent', () => {
  it('recovers without a failed invocation when the server forgot its connections during an idle gap', async () => {
    // Prepare
    const advance = useFakeClock()
    const handler = nodeAgentHandler(60_000)
    await invoke(handler)

    // Act
    forgetIdleConnections()
    advance(61_000)
    const outcome = await invoke(handler)

    // Assess
    expect(outcome).toEqual({ body: 'ok' })
    expect(getPoolStats().http).toMatchObject({ validated: 1, recreated: 1, failures: 1 })
  })

  it('without validation, fails the one invocation that hits the dead socket, and the next recovers', async () => {
    // Prepare
    const handler = nodeAgentHandler(Number.POSITIVE_INFINITY)
    await invoke(handler)

    // Act
    forgetIdleConnections()
    const failed = await invoke(handler)
    const next = await invoke(handler)

    // Assess
    expect(failed).toEqual({ error: expect.objectContaining({ code: 'ECONNRESET' }) })
    expect(next).toEqual({ body: 'ok' })
    expect(getPoolStats().http).toMatchObject({ recreated: 1 })
  })
})

describe('warmPool with an undici Agent', () => {
  it('recovers without a failed invocation when the server forgot its connections during an idle gap', async () => {
    // Prepare
    const advance = useFakeClock()
    const handler = undiciHandler()
    await invoke(handler)

    // Act
    forgetIdleConnections()
    advance(61_000)
    const outcome = await invoke(handler)

    // Assess
    expect(outcome).toEqual({ body: 'ok' })
    expect(getPoolStats().http).toMatchObject({ validated: 1, recreated: 1 })
  })
})

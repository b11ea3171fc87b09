/**
 * The DynamoDB store against a real TCP server that accepts connections and never answers (the SDK's
 * own HTTP handler, real sockets), and against dynalite for the path where DynamoDB answers.
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { createServer, type Server, type Socket } from 'node:net'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { circuitBreaker, dynamoDbBreakerStore, getBreaker } from '@lambda-lifetime/breaker'
import { TIMED_OUT, withinMs } from '@lambda-lifetime/commons'
import { containerLifetime } from '@lambda-lifetime/container'
import middy from '@middy/core'
import { resetBreakers } from '../../packages/breaker/test/support.js'
import { lambdaContext, resetContainer } from '../support/container.js'
import { type Dynalite, startDynalite } from '../support/dynalite.js'

/** Generous: each case ends within a few hundred ms once fixed, and would hang without the fix. */
const BOUND_MS = 10_000

let warnings: string[]

beforeEach(() => {
  resetContainer()
  resetBreakers()
  warnings = []
  jest.spyOn(process, 'emitWarning').mockImplementation(((message: string) => {
    warnings.push(message)
  }) as typeof process.emitWarning)
})

afterEach(() => {
  jest.restoreAllMocks()
})

const handlerOn = (store: ReturnType<typeof dynamoDbBreakerStore>, name: string) =>
  middy<{ body: string }>()
    .use(containerLifetime())
    .use(circuitBreaker({ name, action: async (amount: number) => `charged ${amount}`, store }))
    .handler(async (event, context) => ({
      statusCode: 200,
      body: await context.breakers[name]?.fire(Number(event.body)),
    }))

describe('a DynamoDB endpoint that accepts connections and never answers', () => {
  let server: Server
  let endpoint: string
  let sockets: Socket[]
  let client: DynamoDBClient

  beforeAll(async () => {
    sockets = []
    server = createServer((socket) => {
      sockets.push(socket)
      socket.on('data', () => undefined) // reads the request, never writes an answer
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })

  beforeEach(() => {
    client = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    })
  })

  afterEach(() => client.destroy())

  it('answers the invocation on local state within callTimeoutMs (fail-open) and closes the socket', async () => {
    // Prepare
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client, callTimeoutMs: 200 })
    const handler = handlerOn(store, 'hang-open')
    const connected = once(server, 'connection')

    // Act
    const response = await withinMs(
      () => handler({ httpMethod: 'POST', body: '10' } as { body: string }, lambdaContext('a')),
      BOUND_MS,
    )
    const [socket] = (await withinMs(() => connected, BOUND_MS)) as [Socket]
    const closed = await withinMs(async () => {
      if (!socket.destroyed) await once(socket, 'close')
    }, BOUND_MS)

    // Assess
    expect(response).toEqual({ statusCode: 200, body: 'charged 10' })
    expect(closed).not.toBe(TIMED_OUT) // aborted, not left to the server: the SDK destroyed the socket
    expect(warnings).toEqual([
      expect.stringContaining('DynamoDB GetItem for breaker "hang-open" failed: TimeoutError'),
    ])
  })

  it('answers 503 within the invocation’s remaining time when failing closed', async () => {
    // Prepare
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client, onStoreError: 'fail-closed' })
    const handler = handlerOn(store, 'hang-closed')

    // Act: 500 ms left, 200 kept to answer: the store gets 300, less than its default 500
    const response = await withinMs(
      () => handler({ httpMethod: 'POST', body: '10' } as { body: string }, lambdaContext('a', 500)),
      BOUND_MS,
    )

    // Assess
    expect(response).toMatchObject({ statusCode: 503 })
    expect(JSON.parse((response as { body: string }).body)).toMatchObject({
      reason: 'circuit-store-unavailable',
      breaker: 'hang-closed',
    })
    expect(warnings).toEqual([expect.stringContaining('did not answer within 300 ms')])
  })
})

describe('a DynamoDB that answers (dynalite)', () => {
  let db: Dynalite

  beforeAll(async () => {
    db = await startDynalite()
    await db.createTable('breakers', 'breaker')
  })

  afterAll(async () => {
    await db.stop()
  })

  it('reads and writes within the default budget, without a warning', async () => {
    // Prepare
    const client = db.client()
    const requests = db.countRequests(client)
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client, cacheTtlMs: 0 })
    let down = true
    const handler = middy<{ n: number }>()
      .use(containerLifetime())
      .use(
        circuitBreaker({
          name: 'answers',
          store,
          options: { volumeThreshold: 1 },
          action: async (n: number) => {
            if (down) throw new Error('down')
            return n
          },
        }),
      )
      .handler(async (event, context) => context.breakers.answers.fire(event.n))

    // Act
    const failure = await handler({ n: 1 }, lambdaContext('a')).catch((error: Error) => error.message)
    down = false
    const refused = await handler({ n: 2 }, lambdaContext('b')).catch((error: Error) => error.name)
    client.destroy()

    // Assess
    expect([failure, refused]).toEqual(['down', 'CircuitOpenError'])
    expect(getBreaker('answers')?.state).toBe('open')
    expect(requests).toEqual({ GetItemCommand: 2, UpdateItemCommand: 1 })
    expect(warnings).toEqual([])
  })
})

/**
 * The fleet store against a real DynamoDB-API server (dynalite): two "containers" (two breaker
 * registries, each with its own client and store cache) share one table through real Middy handlers.
 * Only `Date` is faked, to jump over reset timeouts; the HTTP traffic to dynalite runs for real.
 */

import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { type Breaker, circuitBreaker, dynamoDbBreakerStore, getBreaker } from '@lambda-lifetime/breaker'
import { containerLifetime } from '@lambda-lifetime/container'
import middy from '@middy/core'
import { deferred, resetBreakers, settle } from '../../packages/breaker/test/support.js'
import { lambdaContext, resetContainer } from '../support/container.js'
import { type Dynalite, startDynalite } from '../support/dynalite.js'

const T0 = Date.UTC(2026, 10, 27, 8, 0, 0)
const RESET_MS = 30_000
const CACHE_TTL_MS = 1_000
const TABLE = 'breakers'
const ONLY_DATE = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const

interface Payments {
  down: boolean
  calls: number
  gate: Promise<void> | null
}

let db: Dynalite

/** A new container: its own registry, DynamoDB client and store cache, on the shared table. */
const container = <TName extends string>(name: TName, payments: Payments) => {
  resetBreakers()
  const client = db.client()
  const requests = db.countRequests(client)
  const store = dynamoDbBreakerStore({ tableName: TABLE, client, cacheTtlMs: CACHE_TTL_MS })
  const handler = middy<{ body: string }>()
    .use(containerLifetime())
    .use(
      circuitBreaker({
        name,
        store,
        options: { timeout: 1_000, resetTimeout: RESET_MS, volumeThreshold: 2, errorThresholdPercentage: 50 },
        action: async (amount: number): Promise<string> => {
          payments.calls++
          if (payments.gate !== null) await payments.gate
          if (payments.down) throw new Error('payments down')
          return `charged ${amount}`
        },
      }),
    )
    .handler(async (event, context) => ({
      statusCode: 200,
      body: await context.breakers[name].fire(Number(event.body)),
    }))
  const breaker = getBreaker(name) as Breaker
  const invoke = (id: string) =>
    handler({ httpMethod: 'POST', body: '10' } as { body: string }, lambdaContext(id)).catch((e) => e)
  return { invoke, requests, breaker }
}

const storedItem = async (name: string) =>
  (
    await db
      .client()
      .send(new GetItemCommand({ TableName: TABLE, Key: { breaker: { S: name } }, ConsistentRead: true }))
  ).Item

beforeAll(async () => {
  db = await startDynalite()
  await db.createTable(TABLE, 'breaker')
})

afterAll(async () => {
  await db.stop()
})

beforeEach(() => {
  resetContainer()
  jest.useFakeTimers({ now: T0, doNotFake: [...ONLY_DATE] })
})

afterEach(() => {
  jest.useRealTimers()
})

describe('two containers sharing DynamoDB state', () => {
  it('one opens the breaker; the other sees it open without calling the dependency', async () => {
    // Prepare
    const payments: Payments = { down: true, calls: 0, gate: null }
    const a = container('payments-open', payments)
    const b = container('payments-open', payments)
    // Act
    await a.invoke('a1')
    await a.invoke('a2')
    const answer = await b.invoke('b1')
    // Assess
    expect(payments.calls).toBe(2)
    expect(answer).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '30' } })
    expect(b.breaker.state).toBe('open')
    expect(await storedItem('payments-open')).toMatchObject({ state: { S: 'open' }, version: { N: '1' } })
    expect(a.requests).toEqual({ GetItemCommand: 1, UpdateItemCommand: 1 })
    expect(b.requests).toEqual({ GetItemCommand: 1 })
  })

  it('lets only one container probe when half-open, and both close after its success', async () => {
    // Prepare
    const payments: Payments = { down: true, calls: 0, gate: null }
    const a = container('payments-probe', payments)
    const b = container('payments-probe', payments)
    await a.invoke('a1')
    await a.invoke('a2')
    await b.invoke('b1')
    payments.down = false
    const gate = deferred<void>()
    payments.gate = gate.promise
    jest.setSystemTime(T0 + RESET_MS)
    // Act
    const racing = [a.invoke('a3'), b.invoke('b2'), a.invoke('a4'), b.invoke('b3')]
    while (payments.calls < 3) await new Promise((resolve) => setImmediate(resolve))
    await settle()
    gate.resolve()
    const answers = await Promise.all(racing)
    payments.gate = null
    jest.setSystemTime(T0 + RESET_MS + CACHE_TTL_MS)
    const afterClose = await b.invoke('b4')
    // Assess
    expect(payments.calls).toBe(4)
    expect(answers.filter((answer) => answer.statusCode === 200)).toHaveLength(1)
    expect(answers.filter((answer) => answer.statusCode === 503)).toHaveLength(3)
    expect(afterClose).toEqual({ statusCode: 200, body: 'charged 10' })
    expect([a.breaker.state, b.breaker.state]).toEqual(['closed', 'closed'])
    // open, probe election, close: three writes that succeeded; the losing election is a fourth request
    expect(await storedItem('payments-probe')).toMatchObject({ state: { S: 'closed' }, version: { N: '3' } })
    expect((a.requests.UpdateItemCommand ?? 0) + (b.requests.UpdateItemCommand ?? 0)).toBe(4)
  })

  it('writes only on transitions: healthy calls read at most once per cache time and never write', async () => {
    // Prepare
    const payments: Payments = { down: false, calls: 0, gate: null }
    const a = container('payments-healthy', payments)
    const b = container('payments-healthy', payments)
    // Act: 1,000 healthy calls, 500 per container, over 5 s
    for (let n = 0; n < 500; n++) {
      jest.setSystemTime(T0 + n * 10)
      await a.invoke(`a${n}`)
      await b.invoke(`b${n}`)
    }
    // then the dependency dies, once the healthy calls left the rolling window
    payments.down = true
    jest.setSystemTime(T0 + 20_000)
    await a.invoke('fail-1')
    await a.invoke('fail-2')
    // Assess
    expect(payments.calls).toBe(1_002)
    expect(a.requests).toEqual({ GetItemCommand: 6, UpdateItemCommand: 1 })
    expect(b.requests).toEqual({ GetItemCommand: 5 })
  })
})

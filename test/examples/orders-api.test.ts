/**
 * examples/orders-api on the emulator, end to end, through the same local stack `npm start` runs:
 * real PostgreSQL, a DynamoDB-API server for the fleet breaker state, the fake payments service, the
 * bundled handler under the real AWS runtime client, called over HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { type LocalStack, startLocalStack } from '../../scripts/local/local-stack.mjs'

interface Answer {
  status: number
  headers: Headers
  body: {
    message?: string
    reason?: string
    order?: {
      id: string
      item: string
      quantity: number
      amountCents: number
      status: string
      chargeId: string
    }
    container?: { id: string; invocation: number }
  }
}

let stack: LocalStack
let logDir: string

beforeAll(async () => {
  logDir = await mkdtemp(join(tmpdir(), 'orders-logs-'))
  stack = await startLocalStack({
    logDir,
    // One environment keeps the breaker's local counts in one place; the reset outlasts the test.
    rules: { concurrency: 1 },
    ordersEnv: { BREAKER_RESET_MS: '60000', PAYMENTS_TIMEOUT_MS: '2000' },
  })
}, 60_000)

afterAll(async () => {
  await stack?.stop()
  await rm(logDir, { recursive: true, force: true })
}, 30_000)

const request = async (method: string, path: string, body?: string): Promise<Answer> => {
  const response = await fetch(`${stack.httpUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  })
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Answer['body'],
  }
}

const placeOrder = (): Promise<Answer> =>
  request('POST', '/orders', JSON.stringify({ item: 'book', quantity: 2, amountCents: 2400 }))

describe('examples/orders-api on the emulator', () => {
  it('takes an order, charges it, stores it and reads it back', async () => {
    // Act
    const created = await placeOrder()
    const read = await request('GET', `/orders/${created.body.order?.id}`)

    // Assess
    expect(created.status).toBe(201)
    expect(created.body.order).toMatchObject({ item: 'book', quantity: 2, amountCents: 2400, status: 'paid' })
    expect(created.body.order?.chargeId).toMatch(/^ch_/)
    expect(read.status).toBe(200)
    expect(read.body.order).toEqual(created.body.order)
    expect(read.body.container?.id).toBe(created.body.container?.id)
    expect(read.body.container?.invocation).toBe((created.body.container?.invocation ?? 0) + 1)
    expect(stack.payments.stats.charges).toBe(1)
  }, 30_000)

  it('answers malformed JSON with 400 and the reason, and keeps serving from the same container', async () => {
    // Prepare
    const before = await request('GET', '/health')

    // Act
    const malformed = await request('POST', '/orders', '{"item": "book", "quantity": ')
    const after = await request('GET', '/health')

    // Assess
    expect(malformed.status).toBe(400)
    expect(malformed.body.message).toBe('Malformed JSON body')
    expect(malformed.body.reason).toEqual(expect.any(String))
    expect(malformed.body.reason?.length).toBeGreaterThan(0)
    expect(after.status).toBe(200)
    expect(after.body.container?.id).toBe(before.body.container?.id)
  }, 30_000)

  it('rejects an invalid order with 400 naming the field, before charging anything', async () => {
    // Prepare
    const chargesBefore = stack.payments.stats.charges

    // Act
    const invalid = await request(
      'POST',
      '/orders',
      JSON.stringify({ item: 'book', quantity: 0, amountCents: 100 }),
    )

    // Assess
    expect(invalid.status).toBe(400)
    expect(invalid.body.reason).toMatch(/quantity/)
    expect(stack.payments.stats.charges).toBe(chargesBefore)
  }, 30_000)

  it('opens the breaker during a payments outage, then answers 503 without calling payments', async () => {
    // Prepare
    stack.payments.setMode('down')

    // Act: keep ordering until the breaker answers for the dependency
    const failures: Answer[] = []
    let rejected: Answer | null = null
    for (let attempt = 0; attempt < 10 && rejected === null; attempt++) {
      const answer = await placeOrder()
      if (answer.status === 503) rejected = answer
      else failures.push(answer)
    }
    const callsWhenOpen = stack.payments.stats.refused
    const more = [await placeOrder(), await placeOrder(), await placeOrder()]

    // Assess
    expect(failures.length).toBeGreaterThan(0)
    for (const failure of failures) expect(failure.status).toBe(502)
    expect(rejected?.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(more.map((answer) => answer.status)).toEqual([503, 503, 503])
    expect(stack.payments.stats.refused).toBe(callsWhenOpen)
    expect(callsWhenOpen).toBe(failures.length)
  }, 30_000)
})

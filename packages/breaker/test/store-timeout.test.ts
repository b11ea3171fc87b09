/**
 * A DynamoDB that accepts requests and never answers: every store call ends within its budget (the
 * store's `callTimeoutMs`, or less when the invocation has less time), its request is aborted, and the
 * timeout is a store error like any other (it follows `onStoreError`). Real timers; the client is a
 * stand-in whose `send` records the abort signal it was given and never settles.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  CircuitOpenError,
  circuitBreaker,
  type DynamoDbBreakerStoreOptions,
  dynamoDbBreakerStore,
} from '@lambda-lifetime/breaker'
import { TIMED_OUT, withinMs } from '@lambda-lifetime/commons'
import middy from '@middy/core'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'
import { deferred, resetBreakers } from './support.js'

/** Generous: each case ends within a few hundred ms once fixed, and would hang without the fix. */
const BOUND_MS = 5_000

interface Sent {
  readonly command: string
  readonly signal: AbortSignal
}

/** A client whose requests never get an answer, unless the test gives one. */
const silentClient = () => {
  const sent: Sent[] = []
  const answers: Array<(output: unknown) => void> = []
  const client = {
    send: (command: object, options: { abortSignal: AbortSignal }) => {
      sent.push({ command: command.constructor.name, signal: options.abortSignal })
      return new Promise((resolve) => answers.push(resolve))
    },
  } as unknown as DynamoDbBreakerStoreOptions['client']
  return { client, sent, answers }
}

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

describe('a DynamoDB store that never answers', () => {
  it('fails open by default: the read ends after callTimeoutMs as no record, its request aborted', async () => {
    // Prepare
    const { client, sent } = silentClient()
    // A cache time far above the first read's real time (it loads the SDK, over 1 s on a loaded machine).
    const store = dynamoDbBreakerStore({
      tableName: 'breakers',
      client,
      callTimeoutMs: 50,
      cacheTtlMs: 60_000,
    })

    // Act
    const record = await withinMs(() => store.get('payments'), BOUND_MS)
    const again = await store.get('payments')

    // Assess
    expect(record).toBeNull()
    expect(again).toBeNull()
    expect(sent).toHaveLength(1) // the failure is cached like a read
    expect(sent[0]?.command).toBe('GetItemCommand')
    expect(sent[0]?.signal.aborted).toBe(true)
    expect(warnings).toEqual([
      '@lambda-lifetime/breaker: DynamoDB GetItem for breaker "payments" failed: TimeoutError: @lambda-lifetime/breaker: DynamoDB GetItem did not answer within 50 ms',
    ])
  })

  it('fails closed on request: the read rejects after callTimeoutMs', async () => {
    // Prepare
    const { client } = silentClient()
    const store = dynamoDbBreakerStore({
      tableName: 'breakers',
      client,
      callTimeoutMs: 50,
      onStoreError: 'fail-closed',
    })

    // Act
    const outcome = await withinMs(() => store.get('payments').catch((error: unknown) => error), BOUND_MS)

    // Assess
    expect(outcome).toMatchObject({ name: 'TimeoutError', message: expect.stringContaining('within 50 ms') })
  })

  it('gives up writes and elections after callTimeoutMs, as failed writes', async () => {
    // Prepare
    const { client, sent } = silentClient()
    const open = dynamoDbBreakerStore({ tableName: 'breakers', client, callTimeoutMs: 30 })
    const closed = dynamoDbBreakerStore({
      tableName: 'breakers',
      client,
      callTimeoutMs: 30,
      onStoreError: 'fail-closed',
    })
    const election = { version: 1, owner: 'c-1', leaseMs: 1_000, now: Date.now() }

    // Act
    const outcomes = await withinMs(
      () =>
        Promise.all([
          open.compareAndSet('payments', 0, { state: 'open', openedAt: 1, owner: 'c-1' }),
          open.electProbe('payments', election),
          closed.electProbe('payments', election),
        ]),
      BOUND_MS,
    )

    // Assess
    expect(outcomes).toEqual([null, expect.objectContaining({ state: 'halfOpen', probeOwner: 'c-1' }), null])
    expect(sent.map((each) => each.signal.aborted)).toEqual([true, true, true])
  })

  it('waits for a shared read only as long as each caller can, and lets the others have its answer', async () => {
    // Prepare
    const { client, answers } = silentClient()
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client, callTimeoutMs: 10_000 })

    // Act: a caller with 20 ms left starts the read; one with a whole budget shares it
    const hurried = await withinMs(() => store.get('payments', { budgetMs: 20 }), BOUND_MS)
    const patient = store.get('payments', { budgetMs: 10_000 })
    answers[0]?.({ Item: { breaker: { S: 'payments' }, state: { S: 'open' }, version: { N: '3' } } })
    const answer = await patient

    // Assess
    expect(hurried).toBeNull()
    expect(answer).toMatchObject({ state: 'open', version: 3 })
    expect(answers).toHaveLength(1)
    expect(warnings).toEqual([
      expect.stringContaining('DynamoDB GetItem for breaker "payments" failed: TimeoutError'),
    ])
  })
})

describe('a breaker on a store that never answers', () => {
  const handlerOn = (store: ReturnType<typeof dynamoDbBreakerStore>, calls: { count: number }) =>
    middy<{ n: number }>()
      .use(
        circuitBreaker({
          name: 'payments',
          action: async (n: number) => {
            calls.count++
            return n + 1
          },
          store,
        }),
      )
      .handler(async (event, context) => context.breakers.payments.fire(event.n))

  it('answers every invocation within the store budget, failing open on local state', async () => {
    // Prepare
    const { client } = silentClient()
    const calls = { count: 0 }
    const handler = handlerOn(
      dynamoDbBreakerStore({ tableName: 'breakers', client, callTimeoutMs: 50 }),
      calls,
    )

    // Act
    const answers = await withinMs(
      () => Promise.all([1, 2, 3].map((n) => handler({ n }, lambdaContext(`r${n}`)))),
      BOUND_MS,
    )

    // Assess
    expect(answers).toEqual([2, 3, 4])
    expect(calls.count).toBe(3)
  })

  it('refuses every invocation within the store budget when failing closed', async () => {
    // Prepare
    const { client } = silentClient()
    const calls = { count: 0 }
    const store = dynamoDbBreakerStore({
      tableName: 'breakers',
      client,
      callTimeoutMs: 50,
      onStoreError: 'fail-closed',
    })
    const handler = handlerOn(store, calls)

    // Act
    const error = await withinMs(
      () => handler({ n: 1 }, lambdaContext('a')).catch((e: unknown) => e),
      BOUND_MS,
    )

    // Assess
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(error).toMatchObject({ reason: 'store-unavailable' })
    expect(calls.count).toBe(0)
  })

  it('bounds the store by the invocation when it has less time left than callTimeoutMs', async () => {
    // Prepare
    const { client, sent } = silentClient()
    const calls = { count: 0 }
    const handler = handlerOn(
      dynamoDbBreakerStore({ tableName: 'breakers', client, callTimeoutMs: 60_000 }),
      calls,
    )

    // Act: 300 ms left, 200 of them kept to answer: the store may take 100
    const answer = await withinMs(() => handler({ n: 1 }, lambdaContext('short', 300)), BOUND_MS)

    // Assess
    expect(answer).toBe(2)
    expect(warnings).toEqual([expect.stringContaining('DynamoDB GetItem did not answer within 100 ms')])
    expect(sent[0]?.signal.aborted).toBe(false) // the shared read goes on for callers with more time
  })

  it('stops waiting for a store that ignores its budget, and refuses the call', async () => {
    // Prepare
    const hung = deferred<null>()
    const store = {
      get: () => hung.promise,
      compareAndSet: async () => null,
      electProbe: async () => null,
    }
    const handler = middy<{ n: number }>()
      .use(circuitBreaker({ name: 'payments', action: async (n: number) => n, store }))
      .handler(async (event, context) => context.breakers.payments.fire(event.n))

    // Act: 300 ms left: a budget of 100 ms, then 50 ms of grace
    const outcome = await withinMs(
      () => handler({ n: 1 }, lambdaContext('a', 300)).catch((e: unknown) => e),
      BOUND_MS,
    )

    // Assess
    expect(outcome).not.toBe(TIMED_OUT)
    expect(outcome).toMatchObject({ name: 'CircuitOpenError', reason: 'store-unavailable' })
    expect(warnings).toEqual([
      "@lambda-lifetime/breaker: Error: the store's get did not settle within 100 ms",
    ])
  })
})

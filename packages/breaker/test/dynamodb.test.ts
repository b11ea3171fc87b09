import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { CircuitOpenError, circuitBreaker, dynamoDbBreakerStore, getBreaker } from '@lambda-lifetime/breaker'
import middy from '@middy/core'
import { mockClient } from 'aws-sdk-client-mock'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'
import { resetBreakers } from './support.js'

const T0 = Date.UTC(2026, 10, 27, 8, 0, 0)
const ddb = mockClient(DynamoDBClient)
const client = new DynamoDBClient({ region: 'eu-west-1' })

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} })

const openItem = (version: number) => ({
  breaker: { S: 'payments' },
  state: { S: 'open' },
  version: { N: String(version) },
  openedAt: { N: String(T0) },
})

const NAMES = {
  '#state': 'state',
  '#version': 'version',
  '#openedAt': 'openedAt',
  '#updatedAt': 'updatedAt',
  '#updatedBy': 'updatedBy',
  '#probeOwner': 'probeOwner',
  '#probeUntil': 'probeUntil',
}

let warnings: string[]

beforeEach(() => {
  ddb.reset()
  resetContainer()
  resetBreakers()
  jest.useFakeTimers({ now: T0 })
  warnings = []
  jest.spyOn(process, 'emitWarning').mockImplementation(((message: string) => {
    warnings.push(message)
  }) as typeof process.emitWarning)
})

afterEach(() => {
  jest.useRealTimers()
  jest.restoreAllMocks()
})

describe('dynamoDbBreakerStore reads', () => {
  it('reads the item with a consistent GetItem and reuses it for cacheTtlMs', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({ Item: openItem(4) })
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client, cacheTtlMs: 1_000 })
    // Act
    const first = await store.get('payments')
    await store.get('payments')
    jest.setSystemTime(T0 + 999)
    await store.get('payments')
    jest.setSystemTime(T0 + 1_000)
    await store.get('payments')
    // Assess
    expect(first).toEqual({ state: 'open', version: 4, openedAt: T0, probeOwner: null, probeUntil: null })
    expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'breakers', Key: { breaker: { S: 'payments' } }, ConsistentRead: true },
      { TableName: 'breakers', Key: { breaker: { S: 'payments' } }, ConsistentRead: true },
    ])
  })

  it('reads null when there is no item or it is not a breaker record, version 0 when it has none', async () => {
    // Prepare
    ddb
      .on(GetItemCommand)
      .resolvesOnce({})
      .resolvesOnce({ Item: { breaker: { S: 'x' }, state: { S: 'melted' } } })
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client, cacheTtlMs: 0 })
    // Act / Assess
    expect(await store.get('payments')).toBeNull()
    expect(await store.get('payments')).toBeNull()
  })

  it('fails open by default: an unreachable table reads as no record, with a warning, cached too', async () => {
    // Prepare
    ddb.on(GetItemCommand).rejects(new Error('connect ECONNREFUSED'))
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client })
    // Act
    const record = await store.get('payments')
    await store.get('payments')
    // Assess
    expect(record).toBeNull()
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(1)
    expect(warnings).toEqual([
      '@lambda-lifetime/breaker: DynamoDB GetItem for breaker "payments" failed: Error: connect ECONNREFUSED',
    ])
  })

  it('fails closed on request: an unreachable table rejects the read', async () => {
    // Prepare
    ddb.on(GetItemCommand).rejects(new Error('connect ECONNREFUSED'))
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client, onStoreError: 'fail-closed' })
    // Act / Assess
    await expect(store.get('payments')).rejects.toThrow('ECONNREFUSED')
  })
})

describe('dynamoDbBreakerStore writes', () => {
  it('creates the record only if there is none (version 0)', async () => {
    // Prepare
    ddb.on(UpdateItemCommand).resolves({ Attributes: openItem(1) })
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client })
    // Act
    const record = await store.compareAndSet('payments', 0, { state: 'open', openedAt: T0, owner: 'c-1' })
    const cached = await store.get('payments')
    // Assess
    expect(record).toMatchObject({ state: 'open', version: 1 })
    expect(cached).toEqual(record)
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0)
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: 'breakers',
      Key: { breaker: { S: 'payments' } },
      UpdateExpression:
        'SET #state = :state, #version = :version, #openedAt = :openedAt, #updatedAt = :now, #updatedBy = :owner REMOVE #probeOwner, #probeUntil',
      ConditionExpression: 'attribute_not_exists(#version)',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: {
        ':state': { S: 'open' },
        ':version': { N: '1' },
        ':openedAt': { N: String(T0) },
        ':now': { N: String(T0) },
        ':owner': { S: 'c-1' },
      },
      ReturnValues: 'ALL_NEW',
    })
  })

  it('closes only from the version it saw, and removes the open time and the probe', async () => {
    // Prepare
    ddb
      .on(UpdateItemCommand)
      .resolves({ Attributes: { breaker: { S: 'payments' }, state: { S: 'closed' }, version: { N: '4' } } })
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client })
    // Act
    const record = await store.compareAndSet('payments', 3, { state: 'closed', openedAt: null, owner: 'c-1' })
    // Assess
    expect(record).toEqual({
      state: 'closed',
      version: 4,
      openedAt: null,
      probeOwner: null,
      probeUntil: null,
    })
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toMatchObject({
      UpdateExpression:
        'SET #state = :state, #version = :version, #updatedAt = :now, #updatedBy = :owner REMOVE #openedAt, #probeOwner, #probeUntil',
      ConditionExpression: '#version = :expected',
      ExpressionAttributeValues: {
        ':state': { S: 'closed' },
        ':version': { N: '4' },
        ':expected': { N: '3' },
        ':now': { N: String(T0) },
        ':owner': { S: 'c-1' },
      },
    })
  })

  it('answers null to a lost compare-and-set and forgets its cached read', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({ Item: openItem(2) })
    ddb.on(UpdateItemCommand).rejects(conditionFailed())
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client })
    await store.get('payments')
    // Act
    const record = await store.compareAndSet('payments', 1, { state: 'open', openedAt: T0, owner: 'c-1' })
    await store.get('payments')
    // Assess
    expect(record).toBeNull()
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(2)
    expect(warnings).toEqual([])
  })

  it('answers null to a failed write, with a warning', async () => {
    // Prepare
    ddb.on(UpdateItemCommand).rejects(new Error('throttled'))
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client })
    // Act
    const record = await store.compareAndSet('payments', 1, { state: 'open', openedAt: T0, owner: 'c-1' })
    // Assess
    expect(record).toBeNull()
    expect(warnings).toHaveLength(1)
  })

  it('elects a probe with a conditional write on the version and the lease', async () => {
    // Prepare
    ddb.on(UpdateItemCommand).resolves({
      Attributes: {
        ...openItem(3),
        state: { S: 'halfOpen' },
        probeOwner: { S: 'c-1' },
        probeUntil: { N: String(T0 + 4_000) },
      },
    })
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client })
    // Act
    const record = await store.electProbe('payments', { version: 2, owner: 'c-1', leaseMs: 4_000, now: T0 })
    // Assess
    expect(record).toEqual({
      state: 'halfOpen',
      version: 3,
      openedAt: T0,
      probeOwner: 'c-1',
      probeUntil: T0 + 4_000,
    })
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: 'breakers',
      Key: { breaker: { S: 'payments' } },
      UpdateExpression:
        'SET #state = :halfOpen, #version = :version, #probeOwner = :owner, #probeUntil = :until, #updatedAt = :now, #updatedBy = :owner',
      ConditionExpression:
        '#version = :expected AND (attribute_not_exists(#probeUntil) OR #probeUntil < :now)',
      ExpressionAttributeNames: {
        '#state': 'state',
        '#version': 'version',
        '#probeOwner': 'probeOwner',
        '#probeUntil': 'probeUntil',
        '#updatedAt': 'updatedAt',
        '#updatedBy': 'updatedBy',
      },
      ExpressionAttributeValues: {
        ':halfOpen': { S: 'halfOpen' },
        ':version': { N: '3' },
        ':owner': { S: 'c-1' },
        ':until': { N: String(T0 + 4_000) },
        ':now': { N: String(T0) },
        ':expected': { N: '2' },
      },
      ReturnValues: 'ALL_NEW',
    })
  })

  it('loses an election another container won', async () => {
    // Prepare
    ddb.on(UpdateItemCommand).rejects(conditionFailed())
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client })
    // Act / Assess
    expect(await store.electProbe('payments', { version: 0, owner: 'c-1', leaseMs: 1, now: T0 })).toBeNull()
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input.ConditionExpression).toBe(
      'attribute_not_exists(#version) AND (attribute_not_exists(#probeUntil) OR #probeUntil < :now)',
    )
  })

  it('when DynamoDB fails, elects itself if failing open and nobody if failing closed', async () => {
    // Prepare
    ddb.on(UpdateItemCommand).rejects(new Error('unreachable'))
    const open = dynamoDbBreakerStore({ tableName: 'breakers', client })
    const closed = dynamoDbBreakerStore({ tableName: 'breakers', client, onStoreError: 'fail-closed' })
    const election = { version: 5, owner: 'c-1', leaseMs: 2_000, now: T0 }
    // Act / Assess
    expect(await open.electProbe('payments', election)).toEqual({
      state: 'halfOpen',
      version: 5,
      openedAt: null,
      probeOwner: 'c-1',
      probeUntil: T0 + 2_000,
    })
    expect(await closed.electProbe('payments', election)).toBeNull()
  })

  it.each([
    [undefined, /dynamoDbBreakerStore options must be an object, got undefined/],
    [{ tableName: 'breakers', client, ttl: 1 }, /option "ttl" is not a known option/],
    [{ tableName: 'breakers', client, callTimeoutMs: 0 }, /"callTimeoutMs" must be a number > 0/],
    [{ tableName: 'breakers', client, callTimeoutMs: 3e9 }, /<= 2147483647, got 3000000000/],
    [
      { tableName: 'breakers', client, cacheTtlMs: 3e9 },
      /"cacheTtlMs" must be a duration in ms from 0 to 2147483647/,
    ],
    [{ tableName: '', client }, /"tableName"/],
    [{ tableName: 'breakers', client: {} }, /"client"/],
    [{ tableName: 'breakers', client, cacheTtlMs: -1 }, /"cacheTtlMs"/],
    [{ tableName: 'breakers', client, quietCacheTtlMs: -1 }, /"quietCacheTtlMs" must be a duration/],
    [{ tableName: 'breakers', client, quietCacheTtlMs: '10s' }, /"quietCacheTtlMs"/],
    [{ tableName: 'breakers', client, onStoreError: 'retry' }, /"onStoreError"/],
  ])('rejects options %#', (options, message) => {
    // Act / Assess
    expect(() => dynamoDbBreakerStore(options as never)).toThrow(message)
  })
})

describe('dynamoDbBreakerStore reads for a quiet container', () => {
  const gets = () => ddb.commandCalls(GetItemCommand).length
  const quiet = { budgetMs: 1_000, quiet: true }
  const troubled = { budgetMs: 1_000, quiet: false }

  it('reuses a read for 10 s while the container is quiet, for 1 s once it is not', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({ Item: openItem(4) })
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client })
    // Act
    await store.get('payments', quiet)
    jest.setSystemTime(T0 + 9_999)
    await store.get('payments', quiet)
    const quietReads = gets()
    await store.get('payments', troubled)
    const afterTrouble = gets()
    jest.setSystemTime(T0 + 9_999 + 999)
    await store.get('payments', troubled)
    jest.setSystemTime(T0 + 9_999 + 1_000)
    await store.get('payments', troubled)
    // Assess
    expect(quietReads).toBe(1)
    expect(afterTrouble).toBe(2) // the 10 s old read is too old for a container that saw a failure
    expect(gets()).toBe(3)
  })

  it('reads again after 10 s even while quiet', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({})
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client })
    // Act
    await store.get('payments', quiet)
    jest.setSystemTime(T0 + 10_000)
    await store.get('payments', quiet)
    // Assess
    expect(gets()).toBe(2)
  })

  it('reuses a failed read for cacheTtlMs only, quiet or not', async () => {
    // Prepare
    ddb
      .on(GetItemCommand)
      .rejectsOnce(new Error('connect ECONNREFUSED'))
      .resolves({ Item: openItem(4) })
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client })
    // Act
    const failed = await store.get('payments', quiet)
    jest.setSystemTime(T0 + 1_000)
    const next = await store.get('payments', quiet)
    // Assess
    expect(failed).toBeNull()
    expect(next).toMatchObject({ state: 'open', version: 4 })
    expect(gets()).toBe(2)
  })

  it.each([
    ['cacheTtlMs alone keeps its meaning for quiet calls', { cacheTtlMs: 2_000 }, 2_000],
    ['cacheTtlMs: 0 alone reads at every call', { cacheTtlMs: 0 }, 0],
    ['quietCacheTtlMs is never below cacheTtlMs', { cacheTtlMs: 3_000, quietCacheTtlMs: 1_000 }, 3_000],
    ['quietCacheTtlMs on its own', { quietCacheTtlMs: 30_000 }, 30_000],
  ])('%s', async (_title, options, reuseMs) => {
    // Prepare
    ddb.on(GetItemCommand).resolves({})
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client, ...options })
    // Act
    await store.get('payments', quiet)
    if (reuseMs > 0) {
      jest.setSystemTime(T0 + reuseMs - 1)
      await store.get('payments', quiet)
    }
    const withinReuse = gets()
    jest.setSystemTime(T0 + reuseMs)
    await store.get('payments', quiet)
    // Assess
    expect(withinReuse).toBe(1)
    expect(gets()).toBe(2)
  })
})

describe('a breaker with the DynamoDB store', () => {
  const handlerWith = (store: ReturnType<typeof dynamoDbBreakerStore>, fallback?: () => string) =>
    middy<{ n: number }>()
      .use(
        circuitBreaker({
          name: 'payments',
          action: async (n: number) => n + 1,
          store,
          ...(fallback ? { fallback } : {}),
        }),
      )
      .handler(async (event, context) => context.breakers.payments.fire(event.n))

  it('costs one GetItem and no write for 1,000 healthy calls within the cache time', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({})
    const handler = handlerWith(dynamoDbBreakerStore({ tableName: 'breakers', client, cacheTtlMs: 1_000 }))
    // Act: 1,000 calls over 999 ms
    for (let n = 0; n < 1_000; n++) {
      jest.setSystemTime(T0 + n)
      await handler({ n }, lambdaContext(`r${n}`))
    }
    // Assess
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(1)
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0)
  })

  it('reads once per 10 s while calls succeed, and 1 s after a failure', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({})
    let failing = false
    const handler = middy<{ n: number }>()
      .use(
        circuitBreaker({
          name: 'payments',
          action: async (n: number) => {
            if (failing) throw new Error('down')
            return n
          },
          options: { volumeThreshold: 1_000 }, // stays closed: only the reads are under test
          store: dynamoDbBreakerStore({ tableName: 'breakers', client }),
        }),
      )
      .handler(async (event, context) => context.breakers.payments.fire(event.n))
    const callAt = async (ms: number) => {
      jest.setSystemTime(T0 + ms)
      await handler({ n: ms }, lambdaContext(`r${ms}`)).catch(() => undefined)
    }
    // Act: a healthy call every 100 ms for 9.9 s, then one failure, then calls every 100 ms
    for (let ms = 0; ms < 10_000; ms += 100) await callAt(ms)
    const healthyReads = ddb.commandCalls(GetItemCommand).length
    failing = true
    await callAt(10_000) // reads (the 10 s old read is due), then fails
    failing = false
    for (let ms = 10_100; ms < 11_000; ms += 100) await callAt(ms)
    const withinASecond = ddb.commandCalls(GetItemCommand).length
    await callAt(11_000)
    // Assess
    expect(healthyReads).toBe(1)
    expect(withinASecond).toBe(2)
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(3) // 1 s after the last read, with a failure in the window
  })

  it('refuses calls while the store is unreachable and fails closed', async () => {
    // Prepare
    ddb.on(GetItemCommand).rejects(new Error('unreachable'))
    const handler = handlerWith(
      dynamoDbBreakerStore({ tableName: 'breakers', client, onStoreError: 'fail-closed' }),
    )
    // Act
    const error = await handler({ n: 1 }, lambdaContext('a')).catch((caught: unknown) => caught)
    // Assess
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(error).toMatchObject({ reason: 'store-unavailable', state: 'open', breaker: 'payments' })
  })

  it('answers with the fallback while the store is unreachable and fails closed', async () => {
    // Prepare
    ddb.on(GetItemCommand).rejects(new Error('unreachable'))
    const store = dynamoDbBreakerStore({ tableName: 'breakers', client, onStoreError: 'fail-closed' })
    const handler = handlerWith(store, () => 'later')
    // Act / Assess
    expect(await handler({ n: 1 }, lambdaContext('a'))).toBe('later')
  })

  it('keeps calling on local state while the store is unreachable and fails open', async () => {
    // Prepare
    ddb.on(GetItemCommand).rejects(new Error('unreachable'))
    const handler = handlerWith(dynamoDbBreakerStore({ tableName: 'breakers', client }))
    // Act / Assess
    expect(await handler({ n: 1 }, lambdaContext('a'))).toBe(2)
    expect(getBreaker('payments')?.state).toBe('closed')
  })
})

/**
 * The fleet store on DynamoDB (AWS SDK v3, an optional peer loaded on first use). One item per breaker;
 * reads are cached for `cacheTtlMs`; every write is an `UpdateItem` conditioned on the version it expects.
 */
import type { AttributeValue, DynamoDBClient, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb'
import { invalidOption, PACKAGE } from './errors.js'
import type { BreakerRecord, BreakerState, BreakerStore, BreakerWrite, ProbeElection } from './types.js'

export type StoreErrorPolicy = 'fail-open' | 'fail-closed'

export interface DynamoDbBreakerStoreOptions {
  /** Table with partition key `breaker` (string). */
  tableName: string
  /** A DynamoDB client from `@aws-sdk/client-dynamodb`, created once at module scope. */
  client: Pick<DynamoDBClient, 'send'>
  /** How long a read of the fleet state is reused, in ms. Default 1000. */
  cacheTtlMs?: number
  /**
   * When DynamoDB cannot be reached: `fail-open` (default) runs each container on its own breaker;
   * `fail-closed` refuses every call (as an open breaker would) until DynamoDB answers again.
   */
  onStoreError?: StoreErrorPolicy
}

const OPTION_NAMES: ReadonlySet<string> = new Set(['tableName', 'client', 'cacheTtlMs', 'onStoreError'])
const POLICIES: ReadonlySet<string> = new Set<StoreErrorPolicy>(['fail-open', 'fail-closed'])
const STATES: ReadonlySet<string> = new Set<BreakerState>(['closed', 'open', 'halfOpen'])
const DEFAULT_CACHE_TTL_MS = 1_000

type Sdk = typeof import('@aws-sdk/client-dynamodb')
let sdk: Promise<Sdk> | undefined
/** Loaded on first use, so that the package works without the SDK when no store is used. */
const loadSdk = (): Promise<Sdk> => {
  sdk ??= import('@aws-sdk/client-dynamodb')
  return sdk
}

const validate = (options: unknown): void => {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw invalidOption('dynamoDbBreakerStore(options) needs an object')
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name))
      throw invalidOption(
        `unknown dynamoDbBreakerStore option "${name}" (known: ${[...OPTION_NAMES].join(', ')})`,
      )
  }
  const { tableName, client, cacheTtlMs, onStoreError } = options as Partial<DynamoDbBreakerStoreOptions>
  if (typeof tableName !== 'string' || tableName.length === 0)
    throw invalidOption('dynamoDbBreakerStore option "tableName" must be a non-empty string')
  if (typeof (client as { send?: unknown } | undefined)?.send !== 'function')
    throw invalidOption('dynamoDbBreakerStore option "client" must be a DynamoDBClient')
  if (
    cacheTtlMs !== undefined &&
    !(typeof cacheTtlMs === 'number' && cacheTtlMs >= 0 && Number.isFinite(cacheTtlMs))
  )
    throw invalidOption(
      `dynamoDbBreakerStore option "cacheTtlMs" must be a finite number >= 0, got ${String(cacheTtlMs)}`,
    )
  if (onStoreError !== undefined && !POLICIES.has(onStoreError))
    throw invalidOption(
      `dynamoDbBreakerStore option "onStoreError" must be "fail-open" or "fail-closed", got ${String(onStoreError)}`,
    )
}

const warn = (action: string, name: string, error: unknown): void => {
  process.emitWarning(`${PACKAGE}: DynamoDB ${action} for breaker "${name}" failed: ${String(error)}`, {
    type: 'LambdaLifetimeWarning',
    code: 'LAMBDA_LIFETIME_BREAKER_STORE_ERROR',
  })
}

const numberOf = (value: AttributeValue | undefined): number | null =>
  value?.N === undefined ? null : Number(value.N)

const recordOf = (item: Record<string, AttributeValue> | undefined): BreakerRecord | null => {
  const state = item?.state?.S
  if (item === undefined || state === undefined || !STATES.has(state)) return null
  return {
    state: state as BreakerState,
    version: numberOf(item.version) ?? 0,
    openedAt: numberOf(item.openedAt),
    probeOwner: item.probeOwner?.S ?? null,
    probeUntil: numberOf(item.probeUntil),
  }
}

const isConditionFailure = (error: unknown): boolean =>
  (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException'

/** `#version = :expected`, or no item yet when the expected version is 0. */
const versionCondition = (
  expected: number,
): { expression: string; values: Record<string, AttributeValue> } =>
  expected === 0
    ? { expression: 'attribute_not_exists(#version)', values: {} }
    : { expression: '#version = :expected', values: { ':expected': { N: String(expected) } } }

export const transitionUpdate = (
  tableName: string,
  name: string,
  expectedVersion: number,
  next: BreakerWrite,
  now: number,
): UpdateItemCommandInput => {
  const condition = versionCondition(expectedVersion)
  const opened = next.openedAt !== null
  return {
    TableName: tableName,
    Key: { breaker: { S: name } },
    UpdateExpression: opened
      ? 'SET #state = :state, #version = :version, #openedAt = :openedAt, #updatedAt = :now, #updatedBy = :owner REMOVE #probeOwner, #probeUntil'
      : 'SET #state = :state, #version = :version, #updatedAt = :now, #updatedBy = :owner REMOVE #openedAt, #probeOwner, #probeUntil',
    ConditionExpression: condition.expression,
    ExpressionAttributeNames: {
      '#state': 'state',
      '#version': 'version',
      '#openedAt': 'openedAt',
      '#updatedAt': 'updatedAt',
      '#updatedBy': 'updatedBy',
      '#probeOwner': 'probeOwner',
      '#probeUntil': 'probeUntil',
    },
    ExpressionAttributeValues: {
      ':state': { S: next.state },
      ':version': { N: String(expectedVersion + 1) },
      ...(opened ? { ':openedAt': { N: String(next.openedAt) } } : {}),
      ':now': { N: String(now) },
      ':owner': { S: next.owner },
      ...condition.values,
    },
    ReturnValues: 'ALL_NEW',
  }
}

export const electionUpdate = (
  tableName: string,
  name: string,
  election: ProbeElection,
): UpdateItemCommandInput => {
  const condition = versionCondition(election.version)
  return {
    TableName: tableName,
    Key: { breaker: { S: name } },
    UpdateExpression:
      'SET #state = :halfOpen, #version = :version, #probeOwner = :owner, #probeUntil = :until, #updatedAt = :now, #updatedBy = :owner',
    // The version makes one candidate per round win; the lease lets a new round start only once the
    // elected probe had its time, so a container that died while probing does not block the breaker.
    ConditionExpression: `${condition.expression} AND (attribute_not_exists(#probeUntil) OR #probeUntil < :now)`,
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
      ':version': { N: String(election.version + 1) },
      ':owner': { S: election.owner },
      ':until': { N: String(election.now + election.leaseMs) },
      ':now': { N: String(election.now) },
      ...condition.values,
    },
    ReturnValues: 'ALL_NEW',
  }
}

interface CacheEntry {
  readonly until: number
  readonly value: Promise<BreakerRecord | null>
}

/**
 * A `BreakerStore` on one DynamoDB table: containers share the open/closed state of a dependency.
 * It reads at most once per `cacheTtlMs` per breaker and container (0 calls on most healthy calls),
 * and writes only transitions, each a conditional `UpdateItem` on the version it expects; the one
 * half-open probe of the fleet is elected by such a write, with a lease.
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
 * const client = new DynamoDBClient({})
 * const store = dynamoDbBreakerStore({ tableName: 'breakers', client, cacheTtlMs: 1000 })
 * export const handler = middy().use(circuitBreaker({ name: 'payments', action: charge, store }))
 * ```
 */
export const dynamoDbBreakerStore = (options: DynamoDbBreakerStoreOptions): BreakerStore => {
  validate(options)
  const { tableName, client } = options
  const cacheTtlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS
  const failOpen = (options.onStoreError ?? 'fail-open') === 'fail-open'
  // Per container and shared by its invocations, like the breakers themselves.
  const cache = new Map<string, CacheEntry>()

  const remember = (name: string, value: Promise<BreakerRecord | null>): void => {
    cache.set(name, { until: Date.now() + cacheTtlMs, value })
  }

  const read = async (name: string): Promise<BreakerRecord | null> => {
    try {
      const { GetItemCommand } = await loadSdk()
      const output = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { breaker: { S: name } }, ConsistentRead: true }),
      )
      return recordOf(output.Item)
    } catch (error) {
      warn('GetItem', name, error)
      if (failOpen) return null
      throw error
    }
  }

  /** The new record; null when the condition failed; throws (after a warning) when DynamoDB failed. */
  const update = async (name: string, input: UpdateItemCommandInput): Promise<BreakerRecord | null> => {
    try {
      const { UpdateItemCommand } = await loadSdk()
      const output = await client.send(new UpdateItemCommand(input))
      const record = recordOf(output.Attributes)
      remember(name, Promise.resolve(record))
      return record
    } catch (error) {
      // Someone else wrote first, or the write failed: forget what we read, so the next read is fresh.
      cache.delete(name)
      if (isConditionFailure(error)) return null
      warn('UpdateItem', name, error)
      throw error
    }
  }

  return {
    get(name) {
      const cached = cache.get(name)
      if (cached !== undefined && Date.now() < cached.until) return cached.value
      const value = read(name)
      remember(name, value)
      return value
    },
    async compareAndSet(name, expectedVersion, next) {
      try {
        return await update(name, transitionUpdate(tableName, name, expectedVersion, next, Date.now()))
      } catch {
        return null // the transition stays local; the next read tells the fleet's state again
      }
    },
    async electProbe(name, election) {
      try {
        return await update(name, electionUpdate(tableName, name, election))
      } catch {
        if (!failOpen) return null
        // Failing open: this container probes on its own, as it would without a store.
        return {
          state: 'halfOpen',
          version: election.version,
          openedAt: null,
          probeOwner: election.owner,
          probeUntil: election.now + election.leaseMs,
        }
      }
    },
  }
}

/**
 * The fleet store on DynamoDB (AWS SDK v3, an optional peer loaded on first use). One item per breaker;
 * reads are cached for `cacheTtlMs`; every write is an `UpdateItem` conditioned on the version it expects.
 */
import type { AttributeValue, DynamoDBClient, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb'
import {
  emitPackageWarning,
  MAX_TIMER_MS,
  rules,
  TIMED_OUT,
  validateOptions,
  withinMs,
} from '@lambda-lifetime/commons'
import { PACKAGE } from './errors.js'
import type {
  BreakerRecord,
  BreakerState,
  BreakerStore,
  BreakerWrite,
  ProbeElection,
  StoreCall,
} from './types.js'

export type StoreErrorPolicy = 'fail-open' | 'fail-closed'

export interface DynamoDbBreakerStoreOptions {
  /** Table with partition key `breaker` (string). */
  tableName: string
  /** A DynamoDB client from `@aws-sdk/client-dynamodb`, created once at module scope. */
  client: Pick<DynamoDBClient, 'send'>
  /**
   * How long a read of the fleet state is reused while the container's own breaker has seen trouble
   * (a failure in its window, or not closed), in ms. Default 1000.
   */
  cacheTtlMs?: number
  /**
   * How long a read is reused while the container's own breaker is closed and counted no failure in its
   * window, in ms; never less than `cacheTtlMs`. Default 10 000, or `cacheTtlMs` when only that one is
   * given (a store configured before this option existed keeps its behaviour).
   */
  quietCacheTtlMs?: number
  /**
   * The longest one DynamoDB request may take (the SDK's retries included), in ms; then it is aborted,
   * which closes its socket, and counts as a store error. Never more than the remaining time of the
   * invocation waiting for it. Default 500.
   */
  callTimeoutMs?: number
  /**
   * When DynamoDB cannot be reached or does not answer in time: `fail-open` (default) runs each
   * container on its own breaker; `fail-closed` refuses every call (as an open breaker would) until
   * DynamoDB answers again.
   */
  onStoreError?: StoreErrorPolicy
}

const STATES: ReadonlySet<string> = new Set<BreakerState>(['closed', 'open', 'halfOpen'])

/**
 * In its region DynamoDB answers a GetItem or an UpdateItem in single-digit milliseconds, and a first
 * request on a new connection (TCP and TLS handshakes) in under 200 ms. 500 ms leaves room for that and
 * one SDK retry, while a DynamoDB that accepts connections and never answers costs an invocation at most
 * half a second, and a container at most one such wait per `cacheTtlMs` (the failure is cached like a read).
 */
const DEFAULT_CALL_TIMEOUT_MS = 500

/**
 * From the fleet simulation (bench/suites/fleet-breaker.ts, README "Fleet cost"): while a container's own
 * calls succeed, a read older than 1 s changed nothing in any scenario, because a dependency that fails
 * makes each container's own calls fail within the same second, and a failure drops the reuse to
 * `cacheTtlMs` at once. 10 s cuts the reads of a busy fleet tenfold and keeps what a container that
 * starts, or calls rarely, learns at its first call.
 */
const DEFAULT_QUIET_CACHE_TTL_MS = 10_000

const defaults = {
  cacheTtlMs: 1_000,
  callTimeoutMs: DEFAULT_CALL_TIMEOUT_MS,
  onStoreError: 'fail-open' as StoreErrorPolicy,
}

/** The rules of every `dynamoDbBreakerStore` option, next to their defaults. */
const schema = {
  tableName: rules.string({ nonEmpty: true }),
  client: rules.custom(
    (value) => typeof (value as { send?: unknown } | null)?.send === 'function',
    'a DynamoDBClient (an object with a send method)',
  ),
  cacheTtlMs: rules.duration(),
  quietCacheTtlMs: rules.duration(),
  callTimeoutMs: rules.number({ above: 0, max: MAX_TIMER_MS }),
  onStoreError: rules.oneOf(['fail-open', 'fail-closed']),
}

type Sdk = typeof import('@aws-sdk/client-dynamodb')
let sdk: Promise<Sdk> | undefined
/** Loaded on first use, so that the package works without the SDK when no store is used. */
const loadSdk = (): Promise<Sdk> => {
  sdk ??= import('@aws-sdk/client-dynamodb')
  return sdk
}

const warn = (action: string, name: string, error: unknown): void => {
  emitPackageWarning(
    PACKAGE,
    `DynamoDB ${action} for breaker "${name}" failed: ${String(error)}`,
    'LAMBDA_LIFETIME_BREAKER_STORE_ERROR',
  )
}

/** What a request that ran out of time fails with (after its abort). */
const timeoutError = (action: string, ms: number): Error =>
  Object.assign(new Error(`${PACKAGE}: DynamoDB ${action} did not answer within ${Math.round(ms)} ms`), {
    name: 'TimeoutError',
  })

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
  /** Epoch ms of the read (or write) the entry holds. */
  readonly readAt: number
  readonly value: Promise<BreakerRecord | null>
  /** Set once `value` settled: a caller then needs no timer to wait for it. */
  settled: boolean
  /** Set when the read failed: a failure is reused for `cacheTtlMs` only, quiet or not. */
  failed: boolean
}

/**
 * A `BreakerStore` on one DynamoDB table: containers share the open/closed state of a dependency.
 * It reads at most once per `quietCacheTtlMs` (10 s) per breaker and container while the container's own
 * calls succeed, once per `cacheTtlMs` (1 s) once they fail, and writes only transitions, each a
 * conditional `UpdateItem` on the version it expects; the one half-open probe of the fleet is elected by
 * such a write, with a lease.
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
 * const client = new DynamoDBClient({})
 * // Reads the fleet state every 10 s while this container's calls succeed, every second once one fails.
 * const store = dynamoDbBreakerStore({ tableName: 'breakers', client })
 * export const handler = middy().use(circuitBreaker({ name: 'payments', action: charge, store }))
 * ```
 */
export const dynamoDbBreakerStore = (options: DynamoDbBreakerStoreOptions): BreakerStore => {
  validateOptions(PACKAGE, schema, options, {
    required: ['tableName', 'client'],
    label: 'dynamoDbBreakerStore options',
  })
  const { tableName, client, cacheTtlMs, callTimeoutMs, onStoreError } = { ...defaults, ...options }
  const quietCacheTtlMs = Math.max(
    cacheTtlMs,
    options.quietCacheTtlMs ?? options.cacheTtlMs ?? DEFAULT_QUIET_CACHE_TTL_MS,
  )
  const failOpen = onStoreError === 'fail-open'
  // Per container and shared by its invocations, like the breakers themselves: fleet state, never
  // anything of one invocation (each one waits for a shared read by its own clock, below).
  const cache = new Map<string, CacheEntry>()

  const remember = (name: string, value: Promise<BreakerRecord | null>): CacheEntry => {
    const entry: CacheEntry = { readAt: Date.now(), value, settled: false, failed: false }
    const settle = (): void => {
      entry.settled = true
    }
    value.then(settle, settle)
    cache.set(name, entry)
    return entry
  }

  /** How long `entry` may answer `call`: longer for a quiet container, never for a failed read. */
  const reuseMs = (entry: CacheEntry, call: StoreCall | undefined): number =>
    call?.quiet === true && !entry.failed ? quietCacheTtlMs : cacheTtlMs

  /**
   * Sends one command within `ms`. At the deadline the request is aborted, so the SDK destroys its
   * socket instead of leaving it to a server that may never answer; the race only makes sure the
   * answer comes in time even from a handler that ignored the abort.
   */
  const send = async <T>(action: string, command: (loaded: Sdk) => unknown, ms: number): Promise<T> => {
    const controller = new AbortController()
    const outcome = await withinMs(async () => {
      const loaded = await loadSdk()
      return (await client.send(command(loaded) as never, { abortSignal: controller.signal })) as T
    }, ms)
    if (outcome !== TIMED_OUT) return outcome
    const error = timeoutError(action, ms)
    controller.abort(error)
    throw error
  }

  const read = async (name: string, onFailure: () => void): Promise<BreakerRecord | null> => {
    try {
      const output = await send<{ Item?: Record<string, AttributeValue> }>(
        'GetItem',
        ({ GetItemCommand }) =>
          new GetItemCommand({ TableName: tableName, Key: { breaker: { S: name } }, ConsistentRead: true }),
        callTimeoutMs,
      )
      return recordOf(output.Item)
    } catch (error) {
      onFailure()
      warn('GetItem', name, error)
      if (failOpen) return null
      throw error
    }
  }

  /** The new record; null when the condition failed; throws (after a warning) when DynamoDB failed. */
  const update = async (name: string, input: UpdateItemCommandInput): Promise<BreakerRecord | null> => {
    try {
      const output = await send<{ Attributes?: Record<string, AttributeValue> }>(
        'UpdateItem',
        ({ UpdateItemCommand }) => new UpdateItemCommand(input),
        callTimeoutMs,
      )
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

  /**
   * Waits for a shared read at most the caller's own budget: a read started by an invocation with
   * time to spare must not hold up one with less, and the reverse.
   */
  const within = async (
    name: string,
    read: Promise<BreakerRecord | null>,
    budgetMs: number,
  ): Promise<BreakerRecord | null> => {
    const outcome = await withinMs(() => read, budgetMs)
    if (outcome !== TIMED_OUT) return outcome
    const error = timeoutError('GetItem', budgetMs)
    warn('GetItem', name, error)
    if (failOpen) return null
    throw error
  }

  return {
    get(name, call?: StoreCall) {
      let entry = cache.get(name)
      if (entry === undefined || Date.now() >= entry.readAt + reuseMs(entry, call)) {
        // read() reports a failure only after an await, so `fresh` exists by then.
        const fresh: CacheEntry = remember(
          name,
          read(name, () => {
            fresh.failed = true
          }),
        )
        entry = fresh
      }
      if (entry.settled || call === undefined || call.budgetMs >= callTimeoutMs) return entry.value
      return within(name, entry.value, call.budgetMs)
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

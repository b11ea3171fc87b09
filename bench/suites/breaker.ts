/**
 * Case 4, circuitBreaker: the breaker's `fire()` on a healthy dependency against a bare opossum `fire()`
 * with the same options; the latency of a call while the breaker is open against waiting for the
 * dependency's timeout (what the call costs without a breaker); and the DynamoDB requests the fleet-wide
 * store makes per 1,000 healthy calls, against the same store without its read cache, on dynalite.
 */
import { containerLifetime } from '@lambda-lifetime/container'
import middy from '@middy/core'
import CircuitBreaker from 'opossum'
import { type Dynalite, startDynalite } from '../../test/support/dynalite.js'
import { comparedCase, loadExport, skippedCase, valueCase } from '../harness/cases.js'
import { lambdaContext } from '../harness/lambda.js'
import { alternate, compare, interleave, roundsFor } from '../harness/measure.js'
import type { CaseResult, Mode, Suite } from '../harness/types.js'

const FIRE = 'circuitBreaker fire(), healthy dependency'
const BARE_FIRE = 'bare opossum fire(), same options'
const OPEN = 'circuitBreaker fire() while open'
const TIMEOUT = 'a call to a hung dependency, ended by the timeout'
const STORE = 'DynamoDB requests per 1,000 healthy calls, store with read cache (default 1 s)'
const STORE_BASELINE = 'DynamoDB requests per 1,000 healthy calls, store without cache (cacheTtlMs: 0)'
/** Fires per tinybench iteration: one fire is well under a microsecond of work above a promise. */
const BATCH = 100
const DEPENDENCY_TIMEOUT_MS = 100
const TABLE = 'breakers'
const CALLS = 1_000

interface BreakerLike {
  fire(...args: unknown[]): Promise<unknown>
  readonly circuit: CircuitBreaker
}
interface BreakerApi {
  circuitBreaker(options: object): unknown
  getBreaker(name: string): BreakerLike | undefined
  dynamoDbBreakerStore(options: object): unknown
}
type Handler = (event: unknown, context: never) => Promise<unknown>

const healthy = async (value: number) => value
const hung = () => new Promise<never>(() => undefined)
/** A fresh object each time: opossum writes its defaults into the options object it is given. */
const options = () => ({ timeout: 3_000, errorThresholdPercentage: 50, resetTimeout: 30_000 })

const loadApi = async (): Promise<BreakerApi | undefined> => {
  const api = {
    circuitBreaker: await loadExport<BreakerApi['circuitBreaker']>(
      '@lambda-lifetime/breaker',
      'circuitBreaker',
    ),
    getBreaker: await loadExport<BreakerApi['getBreaker']>('@lambda-lifetime/breaker', 'getBreaker'),
    dynamoDbBreakerStore: await loadExport<BreakerApi['dynamoDbBreakerStore']>(
      '@lambda-lifetime/breaker',
      'dynamoDbBreakerStore',
    ),
  }
  return Object.values(api).every((value) => value !== undefined) ? (api as BreakerApi) : undefined
}

/** A handler that uses the breaker once per invocation, as a function would. */
const handlerWith = (api: BreakerApi, options: object): Handler =>
  middy(async (_event: unknown, context: { breakers: Record<string, BreakerLike> }) => {
    const [breaker] = Object.values(context.breakers)
    return { statusCode: 200, body: String(await breaker?.fire(1)) }
  })
    .use(containerLifetime())
    .use(api.circuitBreaker(options) as never) as unknown as Handler

/** The container's breaker `name`, created by a first invocation of its handler. */
const breakerOf = async (api: BreakerApi, name: string, options: object): Promise<BreakerLike> => {
  const handler = handlerWith(api, { name, ...options })
  // The invocation may fail (a hung action times out): only the breaker it creates matters here.
  await handler({}, lambdaContext() as never).catch(() => undefined)
  const breaker = api.getBreaker(name)
  if (breaker === undefined) throw new Error(`no breaker ${name} after an invocation`)
  return breaker
}

const fireMany = (fire: (value: number) => Promise<unknown>) => async () => {
  for (let i = 0; i < BATCH; i++) await fire(i)
}

const fireCases = async (api: BreakerApi, mode: Mode): Promise<CaseResult[]> => {
  const ours = await breakerOf(api, 'bench-fire', { action: healthy, options: options() })
  const bare = new CircuitBreaker(healthy, options())
  const rounds = await interleave(
    [
      { name: FIRE, fn: fireMany((value) => ours.fire(value)), batch: BATCH },
      { name: BARE_FIRE, fn: fireMany((value) => bare.fire(value)), batch: BATCH },
    ],
    roundsFor(mode),
  )
  bare.shutdown()
  return [
    comparedCase(
      {
        name: FIRE,
        baseline: BARE_FIRE,
        unit: 'µs',
        scale: 1000,
        target: { on: 'ratio', op: '<=', limit: 1.1, text: '<= 1.1x bare opossum fire()' },
        note: `opossum options ${JSON.stringify(options())}`,
      },
      compare(rounds.get(FIRE) ?? [], rounds.get(BARE_FIRE) ?? []),
    ),
  ]
}

/** Milliseconds per call of `count` calls that all reject. */
const timeRejections = async (fire: () => Promise<unknown>, count: number): Promise<number> => {
  const start = performance.now()
  for (let i = 0; i < count; i++) await fire().catch(() => undefined)
  return (performance.now() - start) / count
}

const openCases = async (api: BreakerApi, mode: Mode): Promise<CaseResult[]> => {
  const timeout = DEPENDENCY_TIMEOUT_MS
  const open = await breakerOf(api, 'bench-open', { action: hung, options: { ...options(), timeout } })
  open.circuit.open()
  // Never opens: each call waits for the timeout, as a call to a hung dependency without a breaker would.
  const closed = new CircuitBreaker(hung, { ...options(), timeout, volumeThreshold: Number.MAX_SAFE_INTEGER })
  const samples = await alternate(
    [
      [OPEN, () => timeRejections(() => open.fire(), BATCH)],
      [TIMEOUT, () => timeRejections(() => closed.fire(), 1)],
    ],
    mode === 'quick' ? 3 : 9,
  )
  closed.shutdown()
  return [
    comparedCase(
      {
        name: OPEN,
        baseline: `${TIMEOUT} (${DEPENDENCY_TIMEOUT_MS} ms)`,
        unit: 'ms',
        target: { on: 'value', op: '<', limit: 1, text: '< 1 ms' },
        note: `rejects with CircuitOpenError; the ratio shrinks in proportion for longer timeouts (opossum's default is 10 s)`,
      },
      compare(samples.get(OPEN) ?? [], samples.get(TIMEOUT) ?? []),
    ),
  ]
}

/** Requests the store's client sends while `calls` invocations each fire the breaker once. */
const storeRequests = async (
  api: BreakerApi,
  db: Dynalite,
  name: string,
  cacheTtlMs: number,
): Promise<number> => {
  const client = db.client()
  const counts = db.countRequests(client)
  const store = api.dynamoDbBreakerStore({ tableName: TABLE, client, cacheTtlMs })
  const handler = handlerWith(api, { name, action: healthy, options: options(), store })
  for (let i = 0; i < CALLS; i++) await handler({}, lambdaContext() as never)
  client.destroy()
  return Object.values(counts).reduce((sum, count) => sum + count, 0)
}

const storeCases = async (api: BreakerApi): Promise<CaseResult[]> => {
  let db: Dynalite
  try {
    db = await startDynalite()
  } catch (error) {
    return [
      skippedCase({ name: STORE, baseline: STORE_BASELINE, unit: 'requests' }, (error as Error).message),
    ]
  }
  try {
    await db.createTable(TABLE, 'breaker')
    const started = performance.now()
    const cached = await storeRequests(api, db, 'bench-store-cached', 1_000)
    const elapsedMs = performance.now() - started
    const uncached = await storeRequests(api, db, 'bench-store-uncached', 0)
    const note =
      `dynalite on 127.0.0.1, requests counted by a client middleware; the 1,000 cached calls took ` +
      `${Math.round(elapsedMs)} ms back to back: at a real call rate expect about 1 + duration / 1 s reads`
    return [
      valueCase({ name: STORE_BASELINE, baseline: null, unit: 'requests', note }, uncached),
      valueCase({ name: STORE, baseline: STORE_BASELINE, unit: 'requests', note }, cached, cached / uncached),
    ]
  } finally {
    await db.stop()
  }
}

export const breakerSuite: Suite = {
  id: 'breaker',
  name: 'circuitBreaker',
  async run(mode: Mode): Promise<CaseResult[]> {
    const api = await loadApi()
    if (api === undefined) {
      return [
        { name: FIRE, baseline: BARE_FIRE, unit: 'µs' },
        { name: OPEN, baseline: TIMEOUT, unit: 'ms' },
        { name: STORE, baseline: STORE_BASELINE, unit: 'requests' },
      ].map((spec) => skippedCase(spec, 'circuitBreaker has not landed'))
    }
    return [...(await fireCases(api, mode)), ...(await openCases(api, mode)), ...(await storeCases(api))]
  },
}

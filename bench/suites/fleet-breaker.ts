/**
 * Fleet simulation of the breaker store (issue 18): N containers in one process, each with its own
 * circuitBreaker (real Middy, real opossum) and its own dynamoDbBreakerStore, all against one dynalite
 * server, driven by Poisson traffic in virtual time (`harness/fleet.ts`). The dependency is healthy, then
 * down (it fails at once, as a refused connection does), then healthy again. For each read policy of the
 * store it counts the DynamoDB requests (and their on-demand cost), the calls that reached the dead
 * dependency, how long the fleet kept calling it, the probes while half-open, and how long the fleet kept
 * refusing calls after the dependency came back.
 *
 * Named only: `npm run bench -- --only=fleet-breaker` (or `--only=fleet`).
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { BreakerRecord, BreakerStore } from '@lambda-lifetime/breaker'
import { circuitBreaker, dynamoDbBreakerStore } from '@lambda-lifetime/breaker'
import { onLifecycle } from '@lambda-lifetime/container'
import middy from '@middy/core'
import { type Dynalite, startDynalite } from '../../test/support/dynalite.js'
import { skippedCase, valueCase } from '../harness/cases.js'
import { type FleetEvent, fleetArrivals, runFleet, seededRandom, VirtualClock } from '../harness/fleet.js'
import type { CaseResult, Mode, Suite } from '../harness/types.js'

const TABLE = 'fleet-breakers'
const REGISTRY_KEY = Symbol.for('lambda-lifetime.breakers')
/** The breaker's options in every scenario; a 10 s reset (not opossum's 30 s) to see several half-open rounds. */
const OPOSSUM = { timeout: 3_000, errorThresholdPercentage: 50, resetTimeout: 10_000 }
/** The fleet may elect another probe after the action's timeout plus 1 s (the breaker's lease). */
const LEASE_MS = OPOSSUM.timeout + 1_000
/**
 * Generous real-time limits: the simulation measures the read policies, not dynalite's latency on a
 * loaded machine. A store error (a warning) would skew the counts, so they are counted and reported.
 */
const CALL_TIMEOUT_MS = 4_000
const REMAINING_MS = 60_000
/** Virtual time delivered concurrently: containers within 50 ms of each other run at the same real time. */
const WINDOW_MS = 50
/**
 * Containers running at the same real time: more only queue at dynalite (one JavaScript thread), and a
 * request queued past the store's real-time limits would count as a store error.
 */
const CONCURRENCY = 25

/** us-east-1 on-demand prices (effective 2024-11-01, checked 2026-12-04), dollars per request unit. */
const PRICE_PER_RRU = 0.125 / 1e6
const PRICE_PER_WRU = 0.625 / 1e6

interface Traffic {
  readonly label: 'sparse' | 'dense'
  /** Calls per second per container. */
  readonly rate: number
  /**
   * Virtual ms of each phase: warm-up (every container's first call, its first read; not counted in
   * the cost), healthy (the cost), outage, recovered.
   */
  readonly phases: readonly [number, number, number, number]
}

/** One call a minute per container: every call may find its read out of date. */
const SPARSE: Traffic = { label: 'sparse', rate: 1 / 60, phases: [60_000, 540_000, 300_000, 120_000] }
/** N = 1000 sparse: a shorter window (the healthy cost is steady after the warm-up). */
const SPARSE_SHORT: Traffic = { label: 'sparse', rate: 1 / 60, phases: [60_000, 180_000, 120_000, 60_000] }
/**
 * Five calls a second per container: several calls per read. 20 s healthy covers two quiet re-reads;
 * the outage three half-open rounds (resetTimeout 10 s), the recovery the first probe after it.
 */
const DENSE: Traffic = { label: 'dense', rate: 5, phases: [2_000, 20_000, 25_000, 10_000] }
/**
 * N = 1000 dense: 5,000 invocations per virtual second, so shorter: 12 s healthy (one quiet re-read), an
 * outage of two half-open rounds, and a recovery that sees the probe that closes the breaker.
 */
const DENSE_SHORT: Traffic = { label: 'dense', rate: 5, phases: [2_000, 12_000, 16_000, 14_000] }

/** Policies run at N = 1000 (each takes about as long as all the others at N = 10 and 100). */
const AT_1000 = new Set(['cache-1s', 'quiet-10s'])

/** What a container knows for a read policy: has its own breaker seen trouble lately? */
interface ContainerView {
  readonly suspect: () => boolean
}

interface Policy {
  readonly id: string
  readonly text: string
  store(client: DynamoDBClient, view: ContainerView, random: () => number): BreakerStore
}

const storeOptions = (client: DynamoDBClient, cache: { cacheTtlMs?: number; quietCacheTtlMs?: number }) => ({
  tableName: TABLE,
  client,
  callTimeoutMs: CALL_TIMEOUT_MS,
  ...cache,
})

/**
 * A store that caches reads itself, for a time `ttl()` draws per read, over a store that does not
 * cache; it forgets (or takes) what a write returns, as the DynamoDB store does.
 */
const cachingStore = (inner: BreakerStore, ttl: () => number): BreakerStore => {
  const cache = new Map<string, { until: number; value: Promise<BreakerRecord | null> }>()
  const keep = (name: string, value: Promise<BreakerRecord | null>): void => {
    cache.set(name, { until: Date.now() + ttl(), value })
  }
  const taken = (name: string, record: BreakerRecord | null): BreakerRecord | null => {
    if (record === null) cache.delete(name)
    else keep(name, Promise.resolve(record))
    return record
  }
  return {
    get(name, call) {
      const entry = cache.get(name)
      if (entry !== undefined && Date.now() < entry.until) return entry.value
      const value = inner.get(name, call)
      keep(name, value)
      return value
    },
    async compareAndSet(name, expected, next) {
      return taken(name, await inner.compareAndSet(name, expected, next))
    },
    async electProbe(name, election) {
      return taken(name, await inner.electProbe(name, election))
    },
  }
}

/**
 * Reads the fleet state only on a container's first call and while its own breaker has seen trouble
 * (a failure in its window, or not closed); otherwise it reuses the last record without a request.
 */
const afterFailureStore = (inner: BreakerStore, view: ContainerView): BreakerStore => {
  let last: Promise<BreakerRecord | null> | undefined
  return {
    get(name, call) {
      if (last !== undefined && !view.suspect()) return last
      last = inner.get(name, call)
      return last
    },
    async compareAndSet(name, expected, next) {
      const written = await inner.compareAndSet(name, expected, next)
      last = undefined
      return written
    },
    async electProbe(name, election) {
      const elected = await inner.electProbe(name, election)
      last = undefined
      return elected
    },
  }
}

const POLICIES: readonly Policy[] = [
  {
    id: 'cache-1s',
    text: 'read cache 1 s (the default until 2026-12)',
    store: (client) => dynamoDbBreakerStore(storeOptions(client, { cacheTtlMs: 1_000 })),
  },
  {
    id: 'cache-5s',
    text: 'read cache 5 s',
    store: (client) => dynamoDbBreakerStore(storeOptions(client, { cacheTtlMs: 5_000 })),
  },
  {
    id: 'cache-1s-jitter',
    text: 'read cache 0.5-1.5 s (jittered)',
    store: (client, _view, random) =>
      cachingStore(
        dynamoDbBreakerStore(storeOptions(client, { cacheTtlMs: 0 })),
        () => 500 + random() * 1_000,
      ),
  },
  {
    id: 'after-failure',
    text: 'read at the first call, then only after a local failure (cache 1 s)',
    store: (client, view) =>
      afterFailureStore(dynamoDbBreakerStore(storeOptions(client, { cacheTtlMs: 1_000 })), view),
  },
  {
    id: 'quiet-10s',
    text: 'read cache 1 s, 10 s while the container is quiet (the default)',
    store: (client) => dynamoDbBreakerStore(storeOptions(client, {})),
  },
  {
    id: 'quiet-60s',
    text: 'read cache 1 s, 60 s while the container is quiet',
    store: (client) => dynamoDbBreakerStore(storeOptions(client, { quietCacheTtlMs: 60_000 })),
  },
]

/** DynamoDB requests, by phase: counted in the client, at the virtual time of the container that sent it. */
interface Requests {
  reads: number
  writes: number
  failedConditions: number
}

type Phase = 'warmup' | 'healthy' | 'outage' | 'recovered'

interface Outcome {
  readonly outageAt: number
  readonly recoveryAt: number
  readonly invocations: Record<Phase, number>
  readonly requests: Record<Phase, Requests>
  /** Calls that reached the dependency while it was down, probes apart. */
  deadCalls: number
  probes: number[]
  /** Virtual time at which a container's own breaker first opened during the outage. */
  firstOpenAt: number
  /** Virtual time of the last non-probe call to the dead dependency. */
  lastDeadCallAt: number
  /** Virtual time of the last call refused after the dependency came back, and how many. */
  lastRefusalAfterRecovery: number
  refusalsAfterRecovery: number
  storeErrors: number
}

const emptyRequests = (): Requests => ({ reads: 0, writes: 0, failedConditions: 0 })

interface Scenario {
  readonly containers: number
  readonly traffic: Traffic
  readonly policy: Policy
  readonly seed: number
}

type FleetContext = { breakers: Record<string, { fire(): Promise<string> }> }
type Handler = (event: unknown, context: unknown) => Promise<unknown>
type Holder = { [REGISTRY_KEY]?: unknown }

/** One container: its own breaker registry (as its own runtime would have), store and handler. */
const containerOf = (
  name: string,
  client: DynamoDBClient,
  policy: Policy,
  random: () => number,
  dependency: (container: ContainerState) => Promise<string>,
): ContainerState => {
  const holder = globalThis as Holder
  const previous = holder[REGISTRY_KEY]
  const registry = {
    version: 1,
    breakers: new Map<string, { state: string; circuit: { halfOpen: boolean } }>(),
    owner: null,
  }
  holder[REGISTRY_KEY] = registry
  try {
    const state: ContainerState = {
      lastFailureAt: Number.NEGATIVE_INFINITY,
      breakerState: () => 'closed',
      probing: () => false,
      handler: undefined as unknown as Handler,
    }
    const view: ContainerView = {
      suspect: () => state.breakerState() !== 'closed' || Date.now() - state.lastFailureAt < 10_000,
    }
    const middleware = circuitBreaker({
      name,
      action: () => dependency(state),
      options: { ...OPOSSUM },
      store: policy.store(client, view, random),
    })
    const breaker = registry.breakers.get(name)
    if (breaker === undefined) throw new Error('the breaker was not registered')
    state.breakerState = () => breaker.state
    state.probing = () => breaker.circuit.halfOpen
    const fire = async (_event: unknown, context: FleetContext) => context.breakers[name]?.fire()
    // No early-timeout timer: its real-time setTimeout means nothing in virtual time.
    state.handler = middy(fire, { timeoutEarlyInMillis: 0 }).use(middleware as never) as unknown as Handler
    return state
  } finally {
    holder[REGISTRY_KEY] = previous
  }
}

interface ContainerState {
  lastFailureAt: number
  breakerState: () => string
  probing: () => boolean
  handler: Handler
}

const context = { getRemainingTimeInMillis: () => REMAINING_MS, awsRequestId: 'fleet', functionName: 'fleet' }

const simulate = async (db: Dynalite, scenario: Scenario): Promise<Outcome> => {
  const { containers, traffic, policy, seed } = scenario
  const name = `${policy.id}-${traffic.label}-${containers}`
  const [warmupMs, healthyMs, outageMs, recoveredMs] = traffic.phases
  const start = Date.now()
  const healthyAt = start + warmupMs
  const outageAt = healthyAt + healthyMs
  const recoveryAt = outageAt + outageMs
  const endAt = recoveryAt + recoveredMs
  const phaseOf = (at: number): Phase =>
    at < healthyAt ? 'warmup' : at < outageAt ? 'healthy' : at < recoveryAt ? 'outage' : 'recovered'
  const outcome: Outcome = {
    outageAt,
    recoveryAt,
    invocations: { warmup: 0, healthy: 0, outage: 0, recovered: 0 },
    requests: {
      warmup: emptyRequests(),
      healthy: emptyRequests(),
      outage: emptyRequests(),
      recovered: emptyRequests(),
    },
    deadCalls: 0,
    probes: [],
    firstOpenAt: Number.NaN,
    lastDeadCallAt: outageAt,
    lastRefusalAfterRecovery: recoveryAt,
    refusalsAfterRecovery: 0,
    storeErrors: 0,
  }
  const clock = new VirtualClock(start)
  const client = db.client({ maxAttempts: 3 })
  client.middlewareStack.add(
    (next, handlerContext) => async (args) => {
      const counts = outcome.requests[phaseOf(Date.now())]
      const read = handlerContext.commandName === 'GetItemCommand'
      if (read) counts.reads++
      else counts.writes++
      try {
        return await next(args)
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') counts.failedConditions++
        throw error
      }
    },
    { step: 'initialize', name: 'fleetCounts' },
  )
  const onWarning = (warning: Error & { code?: string }) => {
    if (warning.code === 'LAMBDA_LIFETIME_BREAKER_STORE_ERROR') outcome.storeErrors++
  }
  process.on('warning', onWarning)
  // Events of every simulated container (they share this process's bus); `at` is the container's time.
  const stopListening = onLifecycle((event) => {
    if (event.type !== 'breaker.open' || !('source' in event) || event.source !== 'local') return
    if (event.breaker === name && Number.isNaN(outcome.firstOpenAt) && phaseOf(event.at) === 'outage')
      outcome.firstOpenAt = event.at
  })
  const random = seededRandom(seed)
  const dependency = async (container: ContainerState): Promise<string> => {
    const now = Date.now()
    if (phaseOf(now) !== 'outage') return 'ok'
    if (container.probing()) outcome.probes.push(now)
    else {
      outcome.deadCalls++
      outcome.lastDeadCallAt = Math.max(outcome.lastDeadCallAt, now)
    }
    container.lastFailureAt = now
    throw new Error('ECONNREFUSED')
  }
  const fleet = Array.from({ length: containers }, () =>
    containerOf(name, client, policy, random, dependency),
  )
  const events = fleetArrivals(containers, traffic.rate, start, endAt, random)
  clock.install()
  try {
    await runFleet(
      clock,
      events,
      WINDOW_MS,
      async (event: FleetEvent) => {
        const phase = phaseOf(event.at)
        outcome.invocations[phase]++
        const container = fleet[event.container] as ContainerState
        try {
          await container.handler({}, context)
        } catch (error) {
          if (phase === 'recovered' && (error as Error).name === 'CircuitOpenError') {
            outcome.refusalsAfterRecovery++
            outcome.lastRefusalAfterRecovery = Math.max(outcome.lastRefusalAfterRecovery, Date.now())
          }
        }
      },
      CONCURRENCY,
    )
  } finally {
    clock.uninstall()
    process.off('warning', onWarning)
    stopListening()
    client.destroy()
  }
  return outcome
}

const sum = (requests: Requests): number => requests.reads + requests.writes

/** The most probes that reached the dependency within one lease (the design promises one). */
const probesPerLease = (probes: readonly number[]): number => {
  const sorted = [...probes].sort((left, right) => left - right)
  let most = 0
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while ((sorted[last] as number) - (sorted[first] as number) >= LEASE_MS) first++
    most = Math.max(most, last - first + 1)
  }
  return most
}

/** The figures of one scenario, as the tables print them. */
export interface FleetFigures {
  readonly containers: number
  readonly traffic: string
  readonly policy: string
  readonly invocations: number
  readonly healthyRequestsPerSecond: number
  readonly requestsPerMillion: number
  readonly dollarsPerMillion: number
  readonly dollarsPerDay: number
  readonly deadCalls: number
  readonly firstOpenMs: number
  readonly stopMs: number
  readonly probes: number
  readonly probesPerLease: number
  readonly refusalsAfterRecovery: number
  readonly recoveryMs: number
  readonly storeErrors: number
  readonly realMs: number
}

const figuresOf = (scenario: Scenario, outcome: Outcome, realMs: number): FleetFigures => {
  const healthy = outcome.requests.healthy
  const healthyS = scenario.traffic.phases[1] / 1000
  const invocations = outcome.invocations.healthy
  // Reads are strongly consistent GetItems of an item under 4 KB (1 RRU); writes, failed conditions
  // included, are UpdateItems of an item under 1 KB (1 WRU).
  const dollars = healthy.reads * PRICE_PER_RRU + healthy.writes * PRICE_PER_WRU
  return {
    containers: scenario.containers,
    traffic: scenario.traffic.label,
    policy: scenario.policy.id,
    invocations: Object.values(outcome.invocations).reduce((total, count) => total + count, 0),
    healthyRequestsPerSecond: sum(healthy) / healthyS,
    requestsPerMillion: invocations === 0 ? 0 : (sum(healthy) / invocations) * 1e6,
    dollarsPerMillion: invocations === 0 ? 0 : (dollars / invocations) * 1e6,
    dollarsPerDay: (dollars / healthyS) * 86_400,
    deadCalls: outcome.deadCalls,
    firstOpenMs: outcome.firstOpenAt - outcome.outageAt,
    stopMs: outcome.lastDeadCallAt - outcome.outageAt,
    probes: outcome.probes.length,
    probesPerLease: probesPerLease(outcome.probes),
    refusalsAfterRecovery: outcome.refusalsAfterRecovery,
    recoveryMs: outcome.lastRefusalAfterRecovery - outcome.recoveryAt,
    storeErrors: outcome.storeErrors,
    realMs,
  }
}

/**
 * The scenarios of a run: every policy at N = 10 and 100, sparse and dense; at N = 1000 the old and the
 * new default. `FLEET_ONLY=<regular expression>` runs the scenarios whose `N-traffic-policy` matches it
 * (`FLEET_ONLY=quiet-10s` one policy at every N, `FLEET_ONLY=^1000-dense` the largest fleet).
 */
const scenariosFor = (mode: Mode, only?: string): Scenario[] => {
  const sizes: ReadonlyArray<[number, Traffic]> =
    mode === 'quick'
      ? [
          [10, SPARSE],
          [10, DENSE],
        ]
      : [
          [10, SPARSE],
          [100, SPARSE],
          [1000, SPARSE_SHORT],
          [10, DENSE],
          [100, DENSE],
          [1000, DENSE_SHORT],
        ]
  const runs = (containers: number, traffic: Traffic, policy: Policy): boolean =>
    only === undefined
      ? containers < 1000 || AT_1000.has(policy.id)
      : new RegExp(only).test(`${containers}-${traffic.label}-${policy.id}`)
  return sizes.flatMap(([containers, traffic], index) =>
    POLICIES.filter((policy) => runs(containers, traffic, policy)).map((policy) => ({
      containers,
      traffic,
      policy,
      seed: 1_000 + index,
    })),
  )
}

const round = (value: number, digits = 3): number => Number(value.toPrecision(digits))

const describe = (figures: FleetFigures): string =>
  `${figures.invocations} invocations (${Math.round(figures.realMs / 1000)} s real); healthy: ` +
  `${round(figures.healthyRequestsPerSecond)} DynamoDB requests/s, $${round(figures.dollarsPerMillion)} per million ` +
  `invocations, $${round(figures.dollarsPerDay)}/day; outage: ${figures.deadCalls} calls reached the dead ` +
  `dependency; the first breaker opened ${round(figures.firstOpenMs / 1000)} s after it went down, the last ` +
  `call ${round(figures.stopMs / 1000)} s after; ${figures.probes} probes ` +
  `(at most ${figures.probesPerLease} per lease); recovery: ${figures.refusalsAfterRecovery} calls refused, ` +
  `the last ${round(figures.recoveryMs / 1000)} s after it came back; store errors ${figures.storeErrors}`

/** A markdown table of the figures, as the READMEs show them. */
export const fleetTable = (rows: readonly FleetFigures[]): string =>
  [
    '| N | traffic | policy | DynamoDB req/s | req per 1M invocations | $ per 1M invocations | $ per day | calls to the dead dependency | first open after | fleet stopped after | probes (max per lease) | refused after recovery | last refusal after |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.containers} | ${row.traffic} | ${row.policy} | ${round(row.healthyRequestsPerSecond)} | ` +
        `${Math.round(row.requestsPerMillion).toLocaleString('en-US')} | ${round(row.dollarsPerMillion)} | ` +
        `${round(row.dollarsPerDay)} | ${row.deadCalls} | ${round(row.firstOpenMs / 1000)} s | ${round(row.stopMs / 1000)} s | ${row.probes} (${row.probesPerLease}) | ` +
        `${row.refusalsAfterRecovery} | ${round(row.recoveryMs / 1000)} s |`,
    ),
  ].join('\n')

const caseName = (scenario: Scenario): string =>
  `fleet breaker N=${scenario.containers} ${scenario.traffic.label} (${round(scenario.traffic.rate * 60)}/min per container), ${scenario.policy.text}: DynamoDB requests per 1M invocations`

const run = async (mode: Mode): Promise<CaseResult[]> => {
  const scenarios = scenariosFor(mode, process.env.FLEET_ONLY)
  let db: Dynalite
  try {
    db = await startDynalite()
  } catch (error) {
    return scenarios.map((scenario) =>
      skippedCase({ name: caseName(scenario), baseline: null, unit: 'requests' }, (error as Error).message),
    )
  }
  const rows: FleetFigures[] = []
  const cases: CaseResult[] = []
  try {
    await db.createTable(TABLE, 'breaker')
    const baselines = new Map<string, FleetFigures>()
    for (const scenario of scenarios) {
      const started = performance.now()
      const figures = figuresOf(scenario, await simulate(db, scenario), performance.now() - started)
      rows.push(figures)
      // Each row as it comes: a run cut short still shows what it measured.
      console.error(
        `${fleetTable([figures]).split('\n')[2]} (${Math.round(figures.realMs / 1000)} s real, ${figures.storeErrors} store errors)`,
      )
      const key = `${scenario.containers}-${scenario.traffic.label}`
      if (scenario.policy.id === 'cache-1s') baselines.set(key, figures)
      const baseline = baselines.get(key)
      const baselineName =
        baseline === undefined ? null : caseName({ ...scenario, policy: POLICIES[0] as Policy })
      cases.push(
        valueCase(
          { name: caseName(scenario), baseline: baselineName, unit: 'requests', note: describe(figures) },
          figures.requestsPerMillion,
          baseline === undefined || baseline.requestsPerMillion === 0
            ? null
            : figures.requestsPerMillion / baseline.requestsPerMillion,
        ),
      )
    }
  } finally {
    await db.stop()
  }
  console.log(`\n${fleetTable(rows)}\n`)
  return cases
}

export const fleetBreakerSuite: Suite = {
  id: 'fleet-breaker',
  group: 'fleet',
  name: 'fleet simulation: circuitBreaker with the DynamoDB store',
  run,
}

/**
 * A simulated fleet of Lambda containers, each with its own warmPool holding a real `pg.Pool`, against one
 * PostgreSQL: what `suites/fleet-pool.ts` measures. One scenario runs in one child process of its own (a
 * fresh registry and container state, as a new fleet would have), which answers its figures over IPC.
 *
 * Each container is one warmPool name (`db0`, `db1`, ...): the registry keeps one resource per name, so
 * each container gets its own `pg.Pool`, its own idle clock and its own back-off, as separate Lambda
 * environments would. Its connections carry `application_name` `fleet-<index>`, so a sample of
 * `pg_stat_activity` tells whose they are, and so whether a frozen container holds them.
 *
 * Time: phases (thawed, frozen) and arrivals are drawn from exponential distributions on the real clock.
 * A frozen container gets no invocations and runs nothing of its own; its sockets stay open, as a frozen
 * Lambda environment's do. Its timers would run here, though, which they do not in a frozen environment:
 * so the on-demand scenarios keep pg's `idleTimeoutMillis` off (0), and the real freeze of
 * `fleet-pool-frozen.ts` (SIGSTOP) shows what that timer does in a frozen process.
 */
import { containerLifetime } from '@lambda-lifetime/container'
import middy from '@middy/core'
import pg from 'pg'
import { deliverSigterm } from '../../test/support/container.js'
import { answerParent, inChild } from './child.js'
import { lambdaContext } from './lambda.js'

export interface FleetScenario {
  readonly label: string
  readonly connectionString: string
  readonly containers: number
  /** Poisson arrivals per second at each thawed container. */
  readonly ratePerSecond: number
  readonly durationMs: number
  /** Managed Instances: a container runs overlapping invocations and never freezes. */
  readonly concurrent: boolean
  /** Mean length of a thawed and of a frozen phase (exponential); null: never frozen. */
  readonly phases: { readonly thawedMs: number; readonly frozenMs: number } | null
  /** pg.Pool `max` of each container. */
  readonly poolMax: number
  /** Queries each invocation runs at once (Promise.all), each `pg_sleep(queryMs)` on the server. */
  readonly queries: number
  readonly queryMs: number
  /** pg.Pool `idleTimeoutMillis`; 0 keeps idle connections open. */
  readonly pgIdleTimeoutMs: number
  /** PostgreSQL `idle_session_timeout` of each session; 0: off. */
  readonly serverIdleSessionMs: number
  /** warmPool options beyond name, create, validate and dispose. */
  readonly pool: {
    readonly validateAfterIdleMs?: number
    readonly maxAgeMs?: number
    readonly backoffMs?: number
  }
  readonly sampleEveryMs: number
}

export interface FleetOutcome {
  readonly label: string
  readonly containers: number
  readonly invocations: number
  readonly succeeded: number
  /** Handlers that saw the server refuse a connection ("too many clients", 53300). */
  readonly refused: number
  /** Invocations failed at once by the back-off (PoolBusyError), without touching the server. */
  readonly busy: number
  readonly otherErrors: number
  /** Up to 3 distinct messages of the other errors. */
  readonly errorSamples: readonly string[]
  /** Connections the pools opened (pg.Pool 'connect' events), over the whole run. */
  readonly opened: number
  readonly held: { readonly peak: number; readonly mean: number; readonly end: number }
  /** Connections held by containers in a frozen phase. */
  readonly heldByFrozen: { readonly peak: number; readonly mean: number }
  /** Mean share of the containers that were frozen. */
  readonly frozenShare: number
  readonly latencyMs: { readonly p50: number; readonly p99: number }
  /** Connections of the fleet still open after its SIGTERM shutdown (warmPool disposes every pool). */
  readonly leftAfterShutdown: number
  /** Uncaught exceptions and unhandled rejections in the fleet's process: a crash in Lambda. */
  readonly uncaught: number
  /** One sample per second: [seconds since start, held, held by frozen containers]. */
  readonly timeline: readonly (readonly [number, number, number])[]
}

type Factory = (options: object) => unknown
type Handler = (event: unknown, context: unknown) => Promise<unknown>

interface Container {
  readonly index: number
  readonly handler: Handler
  frozen: boolean
  inFlight: number
}

interface Tally {
  invocations: number
  succeeded: number
  refused: number
  busy: number
  otherErrors: number
  opened: number
  readonly errorSamples: Set<string>
  readonly latencies: number[]
}

const exponential = (meanMs: number): number => -Math.log(1 - Math.random()) * meanMs

const percentile = (sorted: readonly number[], share: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? 0)

const round = (value: number, digits = 1): number => Number(value.toFixed(digits))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const classify = (tally: Tally, error: unknown): void => {
  const { name, code, message } = error as { name?: string; code?: string; message?: string }
  if (name === 'PoolBusyError') tally.busy++
  else if (code === '53300') tally.refused++
  else {
    tally.otherErrors++
    if (tally.errorSamples.size < 3) tally.errorSamples.add(String(message ?? error))
  }
}

const buildContainer = (
  warmPool: Factory,
  scenario: FleetScenario,
  index: number,
  tally: Tally,
): Container => {
  const { connectionString, poolMax, pgIdleTimeoutMs, serverIdleSessionMs, queries, queryMs } = scenario
  const create = () => {
    const pool = new pg.Pool({
      connectionString,
      max: poolMax,
      idleTimeoutMillis: pgIdleTimeoutMs,
      connectionTimeoutMillis: 10_000,
      application_name: `fleet-${index}`,
      ...(serverIdleSessionMs > 0 ? { options: `-c idle_session_timeout=${serverIdleSessionMs}` } : {}),
    })
    pool.on('connect', () => {
      tally.opened++
    })
    return pool
  }
  const sql = queryMs > 0 ? `select pg_sleep(${queryMs / 1000})` : 'select 1'
  const name = `db${index}`
  const handler = middy(async (_event: unknown, context: Record<string, pg.Pool>) => {
    const db = context[name] as pg.Pool
    await Promise.all(Array.from({ length: queries }, () => db.query(sql)))
  })
    .use(containerLifetime())
    .use(
      warmPool({
        name,
        create,
        validate: (pool: pg.Pool) => pool.query('select 1'),
        dispose: (pool: pg.Pool) => pool.end(),
        ...scenario.pool,
      }) as never,
    )
  return { index, handler: handler as unknown as Handler, frozen: false, inFlight: 0 }
}

const invoke = async (container: Container, tally: Tally): Promise<void> => {
  tally.invocations++
  container.inFlight++
  const started = performance.now()
  try {
    await container.handler({}, lambdaContext())
    tally.succeeded++
    tally.latencies.push(performance.now() - started)
  } catch (error) {
    classify(tally, error)
  } finally {
    container.inFlight--
  }
}

/** Connections of the fleet now, by container index. */
const heldByContainer = async (monitor: pg.Client): Promise<Map<number, number>> => {
  const { rows } = await monitor.query<{ name: string; count: number }>(
    `select application_name as name, count(*)::int as count from pg_stat_activity
      where backend_type = 'client backend' and application_name ~ '^fleet-[0-9]+$' group by 1`,
  )
  return new Map(rows.map((row) => [Number(row.name.slice('fleet-'.length)), row.count]))
}

const waitFor = async (condition: () => boolean | Promise<boolean>, boundMs: number): Promise<boolean> => {
  const started = performance.now()
  while (performance.now() - started < boundMs) {
    if (await condition()) return true
    await sleep(50)
  }
  return condition()
}

/** Runs one scenario in this process; the fleet's process must not host anything else. */
export const runFleet = async (scenario: FleetScenario): Promise<FleetOutcome> => {
  let uncaught = 0
  process.on('uncaughtException', () => uncaught++)
  process.on('unhandledRejection', () => uncaught++)
  // A refusal is a process warning per container (LAMBDA_LIFETIME_POOL_BUSY): a thousand of them would
  // bury the bench's output.
  process.removeAllListeners('warning')
  const { warmPool } = (await import('@lambda-lifetime/pool')) as unknown as { warmPool: Factory }
  const tally: Tally = {
    invocations: 0,
    succeeded: 0,
    refused: 0,
    busy: 0,
    otherErrors: 0,
    opened: 0,
    errorSamples: new Set(),
    latencies: [],
  }
  const monitor = new pg.Client({
    connectionString: scenario.connectionString,
    application_name: 'fleet monitor',
  })
  await monitor.connect()
  const containers = Array.from({ length: scenario.containers }, (_, index) =>
    buildContainer(warmPool, scenario, index, tally),
  )
  const timers = new Set<NodeJS.Timeout>()
  let running = true
  const later = (ms: number, work: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      if (running) work()
    }, ms)
    timers.add(timer)
  }
  const { phases } = scenario
  const togglePhase = (container: Container) => {
    if (phases === null) return
    container.frozen = !container.frozen
    later(exponential(container.frozen ? phases.frozenMs : phases.thawedMs), () => togglePhase(container))
  }
  const arrive = (container: Container) => {
    later(exponential(1000 / scenario.ratePerSecond), () => arrive(container))
    // A frozen container's traffic goes to other environments; an on-demand one takes one at a time.
    if (container.frozen || (!scenario.concurrent && container.inFlight > 0)) return
    void invoke(container, tally)
  }
  for (const container of containers) {
    if (phases !== null) {
      // Start in the steady state: frozen with the share of time frozen phases take.
      container.frozen = Math.random() < phases.frozenMs / (phases.thawedMs + phases.frozenMs)
      later(exponential(container.frozen ? phases.frozenMs : phases.thawedMs), () => togglePhase(container))
    }
    arrive(container)
  }

  const samples: { at: number; held: number; frozenHeld: number; frozenShare: number }[] = []
  const started = performance.now()
  while (performance.now() - started < scenario.durationMs) {
    await sleep(scenario.sampleEveryMs)
    const byContainer = await heldByContainer(monitor)
    let held = 0
    let frozenHeld = 0
    for (const [index, count] of byContainer) {
      held += count
      if (containers[index]?.frozen === true) frozenHeld += count
    }
    const frozenShare = containers.filter((container) => container.frozen).length / containers.length
    samples.push({ at: performance.now() - started, held, frozenHeld, frozenShare })
  }
  running = false
  for (const timer of timers) clearTimeout(timer)
  await waitFor(() => containers.every((container) => container.inFlight === 0), 15_000)
  const heldAtEnd = [...(await heldByContainer(monitor)).values()].reduce((sum, count) => sum + count, 0)
  await deliverSigterm()
  // Disposal sends each server a Terminate message; the server may list the backend a moment longer.
  await waitFor(async () => (await heldByContainer(monitor)).size === 0, 5_000)
  const leftAfterShutdown = [...(await heldByContainer(monitor)).values()].reduce(
    (sum, count) => sum + count,
    0,
  )
  await monitor.end()

  const latencies = tally.latencies.sort((a, b) => a - b)
  const mean = (values: number[]) =>
    values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length
  const perSecond = new Map<number, (typeof samples)[number]>()
  for (const sample of samples) perSecond.set(Math.floor(sample.at / 1000) + 1, sample)
  return {
    label: scenario.label,
    containers: scenario.containers,
    invocations: tally.invocations,
    succeeded: tally.succeeded,
    refused: tally.refused,
    busy: tally.busy,
    otherErrors: tally.otherErrors,
    errorSamples: [...tally.errorSamples],
    opened: tally.opened,
    held: {
      peak: Math.max(0, ...samples.map((sample) => sample.held)),
      mean: round(mean(samples.map((sample) => sample.held))),
      end: heldAtEnd,
    },
    heldByFrozen: {
      peak: Math.max(0, ...samples.map((sample) => sample.frozenHeld)),
      mean: round(mean(samples.map((sample) => sample.frozenHeld))),
    },
    frozenShare: round(mean(samples.map((sample) => sample.frozenShare)), 2),
    latencyMs: { p50: round(percentile(latencies, 0.5)), p99: round(percentile(latencies, 0.99)) },
    leftAfterShutdown,
    uncaught,
    timeline: [...perSecond].map(([second, sample]) => [second, sample.held, sample.frozenHeld] as const),
  }
}

const CHILD_FLAG = '--fleet-pool-scenario'

/** Runs one scenario in a child process of its own. */
export const runFleetInChild = (scenario: FleetScenario): Promise<FleetOutcome> =>
  inChild<FleetOutcome>(new URL(import.meta.url), [CHILD_FLAG, JSON.stringify(scenario)])

if (process.argv[2] === CHILD_FLAG) {
  // A fleet never outlives the run that started it (Ctrl-C, a crash): its connections close with it.
  process.on('disconnect', () => process.exit(1))
  await answerParent(() => runFleet(JSON.parse(process.argv[3] ?? '{}') as FleetScenario))
}

/**
 * Fleet scale, pools: N containers (10, 100, 1,000), each with its own warmPool holding a real pg.Pool,
 * against one PostgreSQL with a known max_connections; Poisson traffic per container, containers that
 * freeze (hold their connections, do nothing) and thaw. Measures the connections held (pg_stat_activity)
 * against max_connections, what the fleet sees at the limit with and without the pool's back-off, what
 * maxAgeMs and the server's idle_session_timeout change, pool size under Managed Instances, and, with
 * real processes frozen by SIGSTOP, what pg's idleTimeoutMillis does in a frozen container.
 *
 * Named only (`--only=fleet-pool` or `--only=fleet`): a few minutes. Every PostgreSQL process and data
 * folder is removed at the end, also when a scenario fails or the run is interrupted (Ctrl-C, SIGTERM).
 */
import { type PostgresServer, startPostgres } from '../../test/support/postgres.js'
import { skippedCase, valueCase } from '../harness/cases.js'
import { type FleetOutcome, type FleetScenario, runFleetInChild } from '../harness/fleet-pool.js'
import { type FreezeOutcome, freezeExperiment } from '../harness/fleet-pool-frozen.js'
import type { CaseResult, Mode, Suite } from '../harness/types.js'

/** About what a 1 GB RDS for PostgreSQL instance allows; one slot goes to the bench's own monitor. */
const MAX_CONNECTIONS = 110
const FROZEN_PROCESSES = 10
const PG_IDLE_TIMEOUT_MS = 1_000

const base = (connectionString: string, mode: Mode): Omit<FleetScenario, 'label' | 'containers'> => ({
  connectionString,
  ratePerSecond: 0.5,
  durationMs: mode === 'quick' ? 5_000 : 12_000,
  concurrent: false,
  // Thawed 3 s, frozen 6 s on average: two thirds of the fleet frozen at any moment.
  phases: { thawedMs: 3_000, frozenMs: 6_000 },
  poolMax: 1,
  queries: 1,
  queryMs: 5,
  pgIdleTimeoutMs: 0,
  serverIdleSessionMs: 0,
  pool: { validateAfterIdleMs: 1_000 },
  sampleEveryMs: 250,
})

/** A Managed Instances fleet: overlapping invocations, never frozen, pg's idle timeout at its default. */
const managed = (connectionString: string, mode: Mode, poolMax: number): FleetScenario => ({
  ...base(connectionString, mode),
  label: `20 Managed Instances, pool max ${poolMax}`,
  containers: 20,
  ratePerSecond: 20,
  concurrent: true,
  phases: null,
  poolMax,
  queryMs: 20,
  pgIdleTimeoutMs: 10_000,
})

const describe = (outcome: FleetOutcome): string =>
  `${outcome.containers} containers: peak ${outcome.held.peak}, mean ${outcome.held.mean} held ` +
  `(frozen containers: mean ${outcome.heldByFrozen.mean}, ${Math.round(outcome.frozenShare * 100)}% frozen) of ` +
  `max_connections ${MAX_CONNECTIONS}; ${outcome.invocations} invocations, ${outcome.succeeded} ok, ` +
  `${outcome.refused} refused, ${outcome.busy} backed off, ${outcome.otherErrors} other; ` +
  `${outcome.opened} connections opened; p50 ${outcome.latencyMs.p50} ms, p99 ${outcome.latencyMs.p99} ms` +
  (outcome.errorSamples.length === 0 ? '' : `; errors: ${outcome.errorSamples.join(' | ')}`)

const printTimeline = (outcome: FleetOutcome): void => {
  const points = outcome.timeline.map(([second, held, frozen]) => `${second}s:${held}/${frozen}`).join(' ')
  console.log(`       ${outcome.label}: held/frozen-held per second: ${points}`)
}

const perSecond = (count: number, scenario: FleetScenario): number => count / (scenario.durationMs / 1000)

const servedShare = (outcome: FleetOutcome): number =>
  outcome.invocations === 0 ? 0 : (100 * outcome.succeeded) / outcome.invocations

const ratioOf = (value: number, baseline: number): number | null => (baseline === 0 ? null : value / baseline)

/** Stops the server on Ctrl-C or SIGTERM, then ends the run as the signal would have. */
const stopOnSignals = (server: PostgresServer): (() => void) => {
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping PostgreSQL and removing its data folder`)
    void server.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  return () => {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
}

const waitForNoClients = async (server: PostgresServer): Promise<void> => {
  const started = performance.now()
  while ((await server.connectionCount()) > 0 && performance.now() - started < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const names = {
  peak10: 'fleet-pool: peak connections, 10 containers (on-demand, pool max 1)',
  peak100: 'fleet-pool: peak connections, 100 containers (on-demand, pool max 1)',
  peak1000: 'fleet-pool: peak connections, 1,000 containers (on-demand, pool max 1)',
  frozenNone:
    'fleet-pool: connections held by frozen containers (mean), 100 containers, nothing releases them',
  frozenMaxAge: 'fleet-pool: connections held by frozen containers (mean), 100 containers, maxAgeMs 2 s',
  frozenServer:
    'fleet-pool: connections held by frozen containers (mean), 100 containers, idle_session_timeout 2 s',
  refusedNoBackoff:
    'fleet-pool: refused connection attempts per s, 1,000 containers, no back-off (backoffMs 0)',
  refusedBackoff:
    'fleet-pool: refused connection attempts per s, 1,000 containers, back-off 1-30 s (default)',
  refusedBackoff5: 'fleet-pool: refused connection attempts per s, 1,000 containers, back-off 5-30 s',
  served: 'fleet-pool: invocations served, 1,000 containers at the limit',
  servedNoBackoff: 'fleet-pool: invocations served, 1,000 containers at the limit, no back-off',
  servedBackoff5: 'fleet-pool: invocations served, 1,000 containers at the limit, back-off 5-30 s',
  servedServer: 'fleet-pool: invocations served, 1,000 containers at the limit, idle_session_timeout 2 s',
  managed1: 'fleet-pool: peak connections, 20 Managed Instances, pool max 1',
  managed5: 'fleet-pool: peak connections, 20 Managed Instances, pool max 5',
  managedP99one: 'fleet-pool: p99 invocation, 20 Managed Instances, pool max 1',
  managedP99five: 'fleet-pool: p99 invocation, 20 Managed Instances, pool max 5',
  idle: `fleet-pool: connections after 3 s idle, ${FROZEN_PROCESSES} processes not frozen, pg idleTimeoutMillis 1 s`,
  frozen: `fleet-pool: connections after 3 s frozen, ${FROZEN_PROCESSES} processes frozen (SIGSTOP), pg idleTimeoutMillis 1 s`,
  leftOver: 'fleet-pool: connections left after the SIGTERM shutdown, every scenario',
  uncaught: 'fleet-pool: uncaught errors (a runtime crash in Lambda), every scenario',
}

const cases = (
  fleets: Record<string, FleetOutcome>,
  scenarios: Record<string, FleetScenario>,
  freezes: { idle: FreezeOutcome; frozen: FreezeOutcome },
): CaseResult[] => {
  const f = (key: string) => fleets[key] as FleetOutcome
  const s = (key: string) => scenarios[key] as FleetScenario
  const connections = 'connections'
  const peak = (name: string, key: string, baseline: string | null, baselineKey?: string) =>
    valueCase(
      { name, baseline, unit: connections, note: describe(f(key)) },
      f(key).held.peak,
      baselineKey === undefined ? null : ratioOf(f(key).held.peak, f(baselineKey).held.peak),
    )
  const frozenHeld = (name: string, key: string, baseline: string | null) =>
    valueCase(
      { name, baseline, unit: connections, note: describe(f(key)) },
      f(key).heldByFrozen.mean,
      baseline === null ? null : ratioOf(f(key).heldByFrozen.mean, f('n100').heldByFrozen.mean),
    )
  const refusedRate = (key: string) => perSecond(f(key).refused, s(key))
  const served = (name: string, key: string, note: string) =>
    valueCase(
      { name, baseline: names.served, unit: '%', note },
      servedShare(f(key)),
      ratioOf(servedShare(f(key)), servedShare(f('n1000'))),
    )
  const all = Object.values(fleets)
  return [
    peak(names.peak10, 'n10', null),
    peak(names.peak100, 'n100', names.peak10, 'n10'),
    peak(names.peak1000, 'n1000', names.peak10, 'n10'),
    frozenHeld(names.frozenNone, 'n100', null),
    frozenHeld(names.frozenMaxAge, 'maxAge', names.frozenNone),
    frozenHeld(names.frozenServer, 'serverTimeout', names.frozenNone),
    valueCase(
      { name: names.refusedNoBackoff, baseline: null, unit: 'attempts/s', note: describe(f('noBackoff')) },
      refusedRate('noBackoff'),
    ),
    valueCase(
      {
        name: names.refusedBackoff,
        baseline: names.refusedNoBackoff,
        unit: 'attempts/s',
        note: 'the 1,000-container run above',
      },
      refusedRate('n1000'),
      ratioOf(refusedRate('n1000'), refusedRate('noBackoff')),
    ),
    valueCase(
      {
        name: names.refusedBackoff5,
        baseline: names.refusedNoBackoff,
        unit: 'attempts/s',
        note: describe(f('backoff5')),
      },
      refusedRate('backoff5'),
      ratioOf(refusedRate('backoff5'), refusedRate('noBackoff')),
    ),
    valueCase(
      { name: names.served, baseline: null, unit: '%', note: 'the 1,000-container run above' },
      servedShare(f('n1000')),
    ),
    served(names.servedNoBackoff, 'noBackoff', 'the run without back-off above'),
    served(names.servedBackoff5, 'backoff5', 'the 5 s back-off run above'),
    valueCase(
      {
        name: names.servedServer,
        baseline: names.served,
        unit: '%',
        note: describe(f('limitServerTimeout')),
      },
      servedShare(f('limitServerTimeout')),
      ratioOf(servedShare(f('limitServerTimeout')), servedShare(f('n1000'))),
    ),
    peak(names.managed1, 'managed1', null),
    peak(names.managed5, 'managed5', names.managed1, 'managed1'),
    valueCase({ name: names.managedP99one, baseline: null, unit: 'ms' }, f('managed1').latencyMs.p99),
    valueCase(
      { name: names.managedP99five, baseline: names.managedP99one, unit: 'ms' },
      f('managed5').latencyMs.p99,
      ratioOf(f('managed5').latencyMs.p99, f('managed1').latencyMs.p99),
    ),
    valueCase(
      {
        name: names.frozen,
        baseline: null,
        unit: connections,
        note: `${freezes.frozen.afterInvocation} right after the invocations; ${freezes.frozen.afterThaw} once thawed (SIGCONT)`,
      },
      freezes.frozen.afterWait,
    ),
    valueCase(
      {
        name: names.idle,
        baseline: names.frozen,
        unit: connections,
        note: `${freezes.idle.afterInvocation} right after the invocations`,
      },
      freezes.idle.afterWait,
      ratioOf(freezes.idle.afterWait, freezes.frozen.afterWait),
    ),
    valueCase(
      {
        name: names.leftOver,
        baseline: null,
        unit: connections,
        target: { on: 'value', op: '<=', limit: 0, text: 'none (<= 0)' },
        note: all.map((outcome) => `${outcome.label}: ${outcome.leftAfterShutdown}`).join('; '),
      },
      all.reduce((sum, outcome) => sum + outcome.leftAfterShutdown, 0),
    ),
    valueCase(
      {
        name: names.uncaught,
        baseline: null,
        unit: 'errors',
        target: { on: 'value', op: '<=', limit: 0, text: 'none (<= 0)' },
      },
      all.reduce((sum, outcome) => sum + outcome.uncaught, 0),
    ),
  ]
}

export const fleetPoolSuite: Suite = {
  id: 'fleet-pool',
  group: 'fleet',
  name: 'Fleet of warm pools on one PostgreSQL',
  async run(mode: Mode): Promise<CaseResult[]> {
    let server: PostgresServer
    try {
      server = await startPostgres({
        // Every role here is a superuser: reserved slots would be theirs anyway, so the limit is exact.
        settings: { max_connections: MAX_CONNECTIONS, superuser_reserved_connections: 0 },
      })
    } catch (error) {
      const reason = `PostgreSQL did not start: ${(error as Error).message.split('\n')[0]}`
      return Object.values(names).map((name) => skippedCase({ name, baseline: null, unit: '-' }, reason))
    }
    const forgetSignals = stopOnSignals(server)
    try {
      const common = base(server.connectionString, mode)
      const scenarios: Record<string, FleetScenario> = {
        n10: { ...common, label: '10 containers', containers: 10 },
        n100: { ...common, label: '100 containers', containers: 100 },
        n1000: { ...common, label: '1,000 containers', containers: 1_000 },
        maxAge: {
          ...common,
          label: '100 containers, maxAgeMs 2 s',
          containers: 100,
          pool: { ...common.pool, maxAgeMs: 2_000 },
        },
        serverTimeout: {
          ...common,
          label: '100 containers, idle_session_timeout 2 s',
          containers: 100,
          serverIdleSessionMs: 2_000,
        },
        noBackoff: {
          ...common,
          label: '1,000 containers, backoffMs 0',
          containers: 1_000,
          pool: { ...common.pool, backoffMs: 0 },
        },
        backoff5: {
          ...common,
          label: '1,000 containers, backoffMs 5 s',
          containers: 1_000,
          pool: { ...common.pool, backoffMs: 5_000 },
        },
        limitServerTimeout: {
          ...common,
          label: '1,000 containers, idle_session_timeout 2 s',
          containers: 1_000,
          serverIdleSessionMs: 2_000,
        },
        managed1: managed(server.connectionString, mode, 1),
        managed5: managed(server.connectionString, mode, 5),
      }
      const fleets: Record<string, FleetOutcome> = {}
      for (const [key, scenario] of Object.entries(scenarios)) {
        fleets[key] = await runFleetInChild(scenario)
        printTimeline(fleets[key] as FleetOutcome)
        await waitForNoClients(server)
      }
      const idle = await freezeExperiment(
        server.connectionString,
        FROZEN_PROCESSES,
        PG_IDLE_TIMEOUT_MS,
        false,
      )
      await waitForNoClients(server)
      const frozen = await freezeExperiment(
        server.connectionString,
        FROZEN_PROCESSES,
        PG_IDLE_TIMEOUT_MS,
        true,
      )
      return cases(fleets, scenarios, { idle, frozen })
    } finally {
      forgetSignals()
      await server.stop()
    }
  },
}

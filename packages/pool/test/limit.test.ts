/**
 * warmPool with pg.Pool against a real PostgreSQL that has no free connection slot (max_connections
 * reached): the handler sees the server's "too many clients", the next invocations fail fast with a
 * PoolBusyError that says why, nothing crashes, nothing leaks, and the pool recovers once a slot is free.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { containerLifetime } from '@lambda-lifetime/container'
import { getPoolStats, PoolBusyError, warmPool } from '@lambda-lifetime/pool'
import middy from '@middy/core'
import pg from 'pg'
import { deliverSigterm, lambdaContext } from '../../../test/support/container.js'
import { type PostgresServer, startPostgres } from '../../../test/support/postgres.js'
import { resetPools } from './support.js'

/** Every role here is a superuser, so reserved slots would be usable anyway: the limit is max_connections. */
const MAX_CONNECTIONS = 4
const APPLICATION = 'warm-pool-limit'
/** Generous: a loaded machine may be slow, but a pool that never recovers must still fail the test. */
const RECOVERY_BOUND_MS = 15_000

let server: PostgresServer

beforeAll(async () => {
  server = await startPostgres({
    settings: { max_connections: MAX_CONNECTIONS, superuser_reserved_connections: 0 },
  })
}, 60_000)

afterAll(async () => {
  await server?.stop()
})

beforeEach(() => {
  resetPools()
})

const hog = async (): Promise<pg.Client> => {
  const client = new pg.Client({ connectionString: server.connectionString, application_name: 'hog' })
  await client.connect()
  return client
}

let requests = 0
const invoke = (handler: (event: never, context: never) => Promise<unknown>) =>
  handler({} as never, lambdaContext(`limit-${++requests}`) as never)

const rejectionOf = async (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => undefined,
    (error) => error,
  )

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('warmPool when PostgreSQL is at max_connections', () => {
  it('surfaces "too many clients", backs off, leaks nothing, and recovers when a slot is free', async () => {
    // Prepare
    const pools: pg.Pool[] = []
    const handler = middy()
      .use(containerLifetime())
      .use(
        warmPool({
          name: 'db',
          create: () => {
            const pool = new pg.Pool({
              connectionString: server.connectionString,
              max: 1,
              application_name: APPLICATION,
            })
            pools.push(pool)
            return pool
          },
          validate: (pool) => pool.query('select 1'),
          dispose: (pool) => pool.end(),
          backoffMs: 200,
        }),
      )
      .handler(
        async (_event: unknown, context) =>
          (await context.db.query<{ one: number }>('select 1 as one')).rows[0]?.one,
      )
    const hogs = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, hog))

    try {
      // Act
      const refused = await rejectionOf(invoke(handler))
      const backingOff = await rejectionOf(invoke(handler))
      await hogs.pop()?.end()
      let answer: unknown
      const started = performance.now()
      while (answer === undefined && performance.now() - started < RECOVERY_BOUND_MS) {
        const outcome = await rejectionOf(invoke(handler).then((value) => (answer = value)))
        if (outcome instanceof PoolBusyError) await sleep(outcome.retryInMs)
        else if (outcome !== undefined) throw outcome
      }
      await hogs.pop()?.end() // room for the admin connection that counts
      const heldWhileWarm = await server.connectionCount({ applicationName: APPLICATION })
      await deliverSigterm()
      const heldAfterShutdown = await server.connectionCount({ applicationName: APPLICATION })

      // Assess
      expect(refused).toMatchObject({ code: '53300', message: 'sorry, too many clients already' })
      expect(backingOff).toBeInstanceOf(PoolBusyError)
      expect((backingOff as PoolBusyError).message).toContain('"db" is backing off for ')
      expect((backingOff as PoolBusyError).reason).toBe('sorry, too many clients already [53300]')
      expect(answer).toBe(1)
      expect(pools).toHaveLength(1) // kept through the refusals: a full server is not a dead pool
      expect(getPoolStats().db).toMatchObject({ created: 1, recreated: 0 })
      expect(heldWhileWarm).toBe(1)
      expect(heldAfterShutdown).toBe(0)
    } finally {
      await Promise.all(hogs.map((client) => client.end()))
      await Promise.all(pools.filter((pool) => !pool.ended).map((pool) => pool.end()))
    }
  }, 60_000)

  it('keeps the connection it holds while the server is full: its invocations go on working', async () => {
    // Prepare
    const pools: pg.Pool[] = []
    const handler = middy()
      .use(containerLifetime())
      .use(
        warmPool({
          name: 'db',
          create: () => {
            const pool = new pg.Pool({
              connectionString: server.connectionString,
              max: 1,
              application_name: APPLICATION,
            })
            pools.push(pool)
            return pool
          },
          dispose: (pool) => pool.end(),
        }),
      )
      .handler(
        async (_event: unknown, context) =>
          (await context.db.query<{ one: number }>('select 1 as one')).rows[0]?.one,
      )
    const hogs: pg.Client[] = []

    try {
      await invoke(handler)
      for (let index = 1; index < MAX_CONNECTIONS; index++) hogs.push(await hog())
      const refusedHog = await rejectionOf(hog())

      // Act
      const answers = [await invoke(handler), await invoke(handler), await invoke(handler)]

      // Assess
      expect(refusedHog).toMatchObject({ code: '53300' })
      expect(answers).toEqual([1, 1, 1])
    } finally {
      await Promise.all(hogs.map((client) => client.end()))
      await Promise.all(pools.filter((pool) => !pool.ended).map((pool) => pool.end()))
    }
  }, 60_000)
})

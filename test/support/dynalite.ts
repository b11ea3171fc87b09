/**
 * A real DynamoDB-API server for tests: the npm `dynalite` package (DynamoDB's HTTP API on LevelDB,
 * in memory), started on 127.0.0.1 on a free port.
 *
 * API:
 * - `startDynalite(): Promise<Dynalite>` starts a server with no tables.
 * - `dynalite.endpoint`: `http://127.0.0.1:<port>`.
 * - `dynalite.client(overrides?)`: a new `DynamoDBClient` for the server (fake credentials, region
 *   `us-east-1`, one attempt: a test sees errors instead of retries). Pass `DynamoDBClientConfig` overrides.
 * - `dynalite.createTable(tableName, partitionKey = 'pk')`: an on-demand table with a string partition
 *   key, ready (ACTIVE) when the promise resolves.
 * - `dynalite.countRequests(client)`: counts the commands a client sends, by command name
 *   (`counts.GetItemCommand`, ...), including failed ones such as conditional-check failures.
 * - `dynalite.stop()`: closes the server (call it in `afterAll`).
 *
 * @example
 * ```ts
 * let db: Dynalite
 * beforeAll(async () => {
 *   db = await startDynalite()
 *   await db.createTable('breakers', 'breaker')
 * })
 * afterAll(() => db.stop())
 * it('reads', async () => {
 *   const client = db.client()
 *   const counts = db.countRequests(client)
 *   await client.send(new GetItemCommand({ TableName: 'breakers', Key: { breaker: { S: 'x' } } }))
 *   expect(counts.GetItemCommand).toBe(1)
 * })
 * ```
 */

import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { CreateTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'

/** dynalite ships no types; this is the part of its factory the tests use. */
type DynaliteFactory = (options: {
  createTableMs: number
  deleteTableMs: number
  updateTableMs: number
}) => Server
const createDynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory

export interface Dynalite {
  readonly endpoint: string
  client(overrides?: DynamoDBClientConfig): DynamoDBClient
  createTable(tableName: string, partitionKey?: string): Promise<void>
  countRequests(client: DynamoDBClient): Record<string, number>
  stop(): Promise<void>
}

export const startDynalite = async (): Promise<Dynalite> => {
  // Tables are ACTIVE at once: dynalite otherwise keeps them CREATING for 500 ms.
  const server = createDynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const client = (overrides: DynamoDBClientConfig = {}): DynamoDBClient =>
    new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      ...overrides,
    })
  const admin = client()
  return {
    endpoint,
    client,
    async createTable(tableName, partitionKey = 'pk') {
      await admin.send(
        new CreateTableCommand({
          TableName: tableName,
          KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      )
    },
    countRequests(counted) {
      const counts: Record<string, number> = {}
      counted.middlewareStack.add(
        (next, context) => (args) => {
          const name = String(context.commandName)
          counts[name] = (counts[name] ?? 0) + 1
          return next(args)
        },
        { step: 'initialize', name: 'countRequests' },
      )
      return counts
    },
    async stop() {
      admin.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      )
    },
  }
}

/**
 * A local DynamoDB-API server (the npm package `dynalite`, in memory) for `npm start` and the demo, and
 * the breaker table the orders-api needs, created with the real AWS SDK.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import dynalite from 'dynalite'

/** Credentials the SDK needs to sign requests; dynalite accepts any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' }
export const LOCAL_REGION = 'us-east-1'

/**
 * Starts dynalite on 127.0.0.1.
 *
 * @example
 * const dynamo = await startDynalite()
 * await createTable(dynamo.endpoint, { TableName: 'breakers', ... })
 * await dynamo.stop()
 */
export const startDynalite = async ({ port = 0 } = {}) => {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}

/**
 * Creates a table (on-demand billing) from a `CreateTable` input without `BillingMode`.
 *
 * @example
 * await createTable('http://127.0.0.1:8000', {
 *   TableName: 'breakers',
 *   AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
 *   KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
 * })
 */
export const createTable = async (endpoint, input) => {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS })
  try {
    await client.send(new CreateTableCommand({ BillingMode: 'PAY_PER_REQUEST', ...input }))
  } finally {
    client.destroy()
  }
}

/**
 * README recipes that need no server: an AWS SDK v3 client (its calls mocked with aws-sdk-client-mock) and a
 * value loaded once per container (configuration fetched at start).
 */

import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime } from '@lambda-lifetime/container'
import { getPoolStats, retryIdempotent, warmPool } from '@lambda-lifetime/pool'
import middy from '@middy/core'
import { mockClient } from 'aws-sdk-client-mock'
import { resetPools } from '../../packages/pool/test/support.js'
import { deliverSigterm, lambdaContext } from '../support/container.js'

beforeEach(() => {
  resetPools()
})

describe('recipe: AWS SDK v3 client', () => {
  it('keeps one client, replaces it after a socket reset, destroys it at shutdown', async () => {
    // Prepare
    const dynamo = mockClient(DynamoDBClient)
    dynamo
      .on(GetItemCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .resolves({ Item: { id: { S: 'a' } } })
    const clients: DynamoDBClient[] = []
    const handler = middy()
      .use(containerLifetime())
      .use(
        warmPool({
          name: 'dynamo',
          create: () => {
            const client = new DynamoDBClient({ region: 'eu-west-1' })
            clients.push(client)
            return client
          },
          dispose: (client) => client.destroy(),
        }),
      )
      .handler(async (_event: unknown, context) =>
        retryIdempotent(context, 'dynamo', (client) =>
          client.send(new GetItemCommand({ TableName: 'items', Key: { id: { S: 'a' } } })),
        ),
      )
    const destroy = jest.spyOn(DynamoDBClient.prototype, 'destroy')

    // Act
    const first = await handler({}, lambdaContext('sdk-1'))
    const second = await handler({}, lambdaContext('sdk-2'))
    await deliverSigterm()

    // Assess
    expect(first.Item).toEqual({ id: { S: 'a' } })
    expect(second.Item).toEqual({ id: { S: 'a' } })
    expect(clients).toHaveLength(2)
    expect(getPoolStats().dynamo).toMatchObject({ created: 2, recreated: 1, reused: 1, disposed: 2 })
    expect(destroy).toHaveBeenCalledTimes(2)
    destroy.mockRestore()
    dynamo.restore()
  })
})

describe('recipe: a value loaded once', () => {
  it('loads configuration at init and hands the same object to every invocation', async () => {
    // Prepare
    const load = jest.fn(async () => ({ featureFlags: { search: true }, loadedAt: Date.now() }))
    const handler = middy()
      .use(containerLifetime())
      .use(warmPool({ name: 'config', create: load, prefetch: true }))
      .handler(async (_event: unknown, context) => context.config)

    // Act
    const seen = [await handler({}, lambdaContext('c-1')), await handler({}, lambdaContext('c-2'))]

    // Assess
    expect(load).toHaveBeenCalledTimes(1)
    expect(seen[0]).toBe(seen[1])
    expect(seen[0]?.featureFlags.search).toBe(true)
  })
})

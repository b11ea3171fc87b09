/**
 * orders-api: a small HTTP API (API Gateway HTTP API, payload v2) that keeps what a long-lived Lambda
 * container is good for: one PostgreSQL pool per container (`warmPool`), one circuit breaker per
 * container around the payments service, its state shared by the fleet through DynamoDB
 * (`circuitBreaker` + `dynamoDbBreakerStore`), a log line per request (`lifecycleLogger`), container
 * metrics in EMF (`containerMetrics`, with the business metric `OrderPlaced`) and X-Ray annotations
 * about the container on each trace (`containerTracing`, on Powertools Tracer's handler subsegment).
 *
 * Routes: `POST /orders`, `GET /orders/{id}`, `GET /health`.
 */
import { randomUUID } from 'node:crypto'
import { Logger } from '@aws-lambda-powertools/logger'
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
import { Tracer } from '@aws-lambda-powertools/tracer'
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { circuitBreaker, dynamoDbBreakerStore } from '@lambda-lifetime/breaker'
import { containerLifetime, enableGracefulShutdown } from '@lambda-lifetime/container'
import { lifecycleLogger } from '@lambda-lifetime/logger'
import { containerMetrics } from '@lambda-lifetime/metrics'
import { warmPool } from '@lambda-lifetime/pool'
import { containerTracing } from '@lambda-lifetime/tracer'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import type pg from 'pg'
import { readConfig } from './config.js'
import { findOrder, insertOrder, openDatabase } from './database.js'
import { apiErrors, httpError } from './errors.js'
import { type Charge, charge } from './payments.js'
import { parseNewOrder } from './validation.js'

// Lambda sends SIGTERM only to a runtime with a registered extension: this registers an internal one,
// so that the pool is drained and the last log line written when the container is reaped.
await enableGracefulShutdown()

const config = readConfig()
const logger = new Logger({ serviceName: 'orders-api' })
const metrics = new Metrics({ namespace: 'lambda-lifetime', serviceName: 'orders-api' })
const tracer = new Tracer({ serviceName: 'orders-api' })
// The breaker store's DynamoDB calls show as subsegments of each trace.
const dynamoDb = tracer.captureAWSv3Client(
  new DynamoDBClient(config.dynamoDbEndpoint === undefined ? {} : { endpoint: config.dynamoDbEndpoint }),
)

type Result = APIGatewayProxyStructuredResultV2
type Event = Omit<APIGatewayProxyEventV2, 'body'> & { body?: unknown }

const ORDER_PATH = /^\/orders\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i

const json = (statusCode: number, body: unknown): Result => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

export const handler = middy<Event, Result>()
  .use(containerLifetime({ header: config.containerIdHeader }))
  // Powertools' `## index.handler` subsegment, then the container's annotations on it.
  .use(captureLambdaHandler(tracer))
  .use(containerTracing({ tracer }))
  // Container metrics, and the handler's own, flushed once per invocation (it replaces logMetrics).
  .use(containerMetrics({ metrics }))
  .use(lifecycleLogger({ logger }))
  .use(
    httpErrorHandler({
      // Client errors are answered, not logged as failures; the invocation.end line records them anyway.
      logger: (error: Error & { statusCode?: number }) => {
        if ((error.statusCode ?? 500) >= 500) logger.error('request failed', error)
      },
    }),
  )
  .use(apiErrors())
  // GET requests carry no body; the POST route checks the content type itself.
  .use(httpJsonBodyParser({ disableContentTypeError: true }))
  .use(
    warmPool({
      name: 'db',
      create: () => openDatabase(config.databaseUrl),
      validate: (db: pg.Pool) => db.query('select 1'),
      dispose: (db: pg.Pool) => db.end(),
      validateAfterIdleMs: config.poolValidateAfterIdleMs,
    }),
  )
  .use(
    circuitBreaker({
      name: 'payments',
      action: (request: Charge) => charge(config.paymentsUrl, request),
      options: {
        timeout: config.paymentsTimeoutMs,
        errorThresholdPercentage: 50,
        volumeThreshold: 3,
        resetTimeout: config.breakerResetMs,
      },
      store: dynamoDbBreakerStore({ tableName: config.breakerTable, client: dynamoDb }),
    }),
  )
  .handler(async (event, context) => {
    const method = event.requestContext.http.method
    const path = event.rawPath
    const container = {
      id: context.container.containerId,
      invocation: context.container.invocation,
      startType: context.container.startType,
    }

    if (method === 'GET' && path === '/health') {
      await context.db.query('select 1')
      return json(200, {
        status: 'ok',
        database: 'ok',
        paymentsBreaker: context.breakers.payments.state,
        container,
      })
    }

    if (method === 'POST' && path === '/orders') {
      if (typeof event.body === 'string' || event.body === undefined) {
        throw httpError(415, 'Unsupported Media Type', 'send the order as application/json')
      }
      const order = parseNewOrder(event.body)
      const id = randomUUID()
      const { chargeId } = await context.breakers.payments.fire({
        orderId: id,
        amountCents: order.amountCents,
      })
      const stored = await insertOrder(context.db, { id, ...order, chargeId, containerId: container.id })
      metrics.addMetric('OrderPlaced', MetricUnit.Count, 1)
      return json(201, { order: stored, container })
    }

    const match = ORDER_PATH.exec(path)
    if (method === 'GET' && match?.[1] !== undefined) {
      const order = await findOrder(context.db, match[1])
      if (order === null) throw httpError(404, 'Not found', `no order ${match[1]}`)
      return json(200, { order, container })
    }

    throw httpError(404, 'Not found', `no route ${method} ${path}`)
  })

/**
 * The orders-api on AWS: a Node 24 function behind an HTTP API, and the DynamoDB table that holds the
 * fleet-wide circuit-breaker state. The function may only read and write items of that one table:
 * no scan, no query, no delete, no table-level action; and send its X-Ray segments (active tracing).
 * Its metrics need no permission: they are EMF lines in its log group.
 */
import { fileURLToPath } from 'node:url'
import { SAVED_INSIGHTS_QUERIES } from '@lambda-lifetime/report'
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib'
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2'
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations'
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb'
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam'
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda'
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs'
import { CfnQueryDefinition, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs'
import type { Construct } from 'constructs'

const here = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url))

/** The item actions `dynamoDbBreakerStore` performs (a consistent read, conditional updates), nothing else. */
export const BREAKER_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const

export interface OrdersApiStackProps extends StackProps {
  /** PostgreSQL connection string the function uses. */
  readonly databaseUrl: string
  /** Base URL of the payments service. */
  readonly paymentsUrl: string
}

/**
 * `OrdersApiStack`: function, log group, breaker table with least-privilege access, HTTP API.
 *
 * @example
 * ```ts
 * new OrdersApiStack(new App(), 'LambdaLifetimeOrdersApi', {
 *   databaseUrl: 'postgres://orders:…@db.internal:5432/orders',
 *   paymentsUrl: 'https://payments.internal',
 * })
 * ```
 */
export class OrdersApiStack extends Stack {
  constructor(scope: Construct, id: string, props: OrdersApiStackProps) {
    super(scope, id, props)

    const breakerTable = new TableV2(this, 'BreakerTable', {
      // The key `dynamoDbBreakerStore` writes: one item per breaker name.
      partitionKey: { name: 'breaker', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      removalPolicy: RemovalPolicy.DESTROY,
    })

    const logGroup = new LogGroup(this, 'OrdersLogs', {
      retention: RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    })

    const orders = new NodejsFunction(this, 'Orders', {
      entry: here('../src/handler.ts'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(10),
      logGroup,
      // Active tracing: Lambda samples requests and records its segments; the role gets
      // xray:PutTraceSegments and xray:PutTelemetryRecords, which the X-Ray SDK needs to send the
      // handler's subsegments (with the container annotations) through the daemon.
      tracing: Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'orders-api',
        DATABASE_URL: props.databaseUrl,
        PAYMENTS_URL: props.paymentsUrl,
        BREAKER_TABLE: breakerTable.tableName,
      },
      projectRoot: here('../../..'),
      depsLockFilePath: here('../../../package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // ES modules have no `require`; bundled CommonJS dependencies (pg) still call it.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        // The Node.js 24 runtime ships the AWS SDK v3; pg's optional native binding is not used.
        externalModules: ['@aws-sdk/*', 'pg-native'],
        forceDockerBundling: false,
      },
    })

    // Not `grantReadWriteData`: it would add BatchWriteItem, DeleteItem, Query, Scan and table reads.
    orders.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...BREAKER_TABLE_ACTIONS],
        resources: [breakerTable.tableArn],
      }),
    )

    const api = new HttpApi(this, 'OrdersHttpApi', {
      defaultIntegration: new HttpLambdaIntegration('OrdersIntegration', orders),
    })

    // The report's Logs Insights queries, saved so that they show in the console's query list.
    Object.entries(SAVED_INSIGHTS_QUERIES).forEach(([name, queryString], index) => {
      new CfnQueryDefinition(this, `LifecycleQuery${index}`, {
        name: `lambda-lifetime/orders-api/${name}`,
        queryString,
        logGroupNames: [logGroup.logGroupName],
      })
    })

    new CfnOutput(this, 'Url', { value: api.apiEndpoint })
    new CfnOutput(this, 'BreakerTableName', { value: breakerTable.tableName })
  }
}

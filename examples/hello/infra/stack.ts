/**
 * The hello example on AWS: one Node 24 function behind an HTTP API. The function is bundled by esbuild
 * (the local one, never Docker) into one ES module, because the handler uses top-level `await`.
 */
import { fileURLToPath } from 'node:url'
import { SAVED_INSIGHTS_QUERIES } from '@lambda-lifetime/report'
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib'
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2'
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations'
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda'
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs'
import { CfnQueryDefinition, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs'
import type { Construct } from 'constructs'

const here = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url))

/**
 * `HelloStack`: the function, its log group and an HTTP API whose every route goes to it.
 *
 * @example
 * ```ts
 * new HelloStack(new App(), 'LambdaLifetimeHello')
 * ```
 */
export class HelloStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props)

    const logGroup = new LogGroup(this, 'HelloLogs', {
      retention: RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    })

    const hello = new NodejsFunction(this, 'Hello', {
      entry: here('../src/handler.ts'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      logGroup,
      environment: { POWERTOOLS_SERVICE_NAME: 'hello' },
      projectRoot: here('../../..'),
      depsLockFilePath: here('../../../package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // ES modules have no `require`; bundled CommonJS dependencies still call it.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        forceDockerBundling: false,
      },
    })

    const api = new HttpApi(this, 'HelloApi', {
      defaultIntegration: new HttpLambdaIntegration('HelloIntegration', hello),
    })

    // The report's Logs Insights queries, saved so that they show in the console's query list.
    Object.entries(SAVED_INSIGHTS_QUERIES).forEach(([name, queryString], index) => {
      new CfnQueryDefinition(this, `LifecycleQuery${index}`, {
        name: `lambda-lifetime/hello/${name}`,
        queryString,
        logGroupNames: [logGroup.logGroupName],
      })
    })

    new CfnOutput(this, 'Url', { value: `${api.apiEndpoint}/hello` })
  }
}

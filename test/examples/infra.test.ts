/**
 * The examples' CDK stacks, synthesized offline (bundling skipped: it is esbuild's job, not the
 * template's) and checked with aws-cdk-lib's own assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { App } from 'aws-cdk-lib'
import { Match, Template } from 'aws-cdk-lib/assertions'
import { HelloStack } from '../../examples/hello/infra/stack.js'
import { OrdersApiStack } from '../../examples/orders-api/infra/stack.js'

/** Where each app writes its cloud assembly; without `outdir`, CDK leaves a `cdk.out*` folder in tmpdir. */
const outdirs: string[] = []

afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true })
})

/** An app that synthesizes templates without running esbuild for any stack, into a folder removed afterwards. */
const appWithoutBundling = (): App => {
  const outdir = mkdtempSync(join(tmpdir(), 'll-cdk-out-'))
  outdirs.push(outdir)
  return new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } })
}

const synthOrdersApi = (): Template =>
  Template.fromStack(
    new OrdersApiStack(appWithoutBundling(), 'Orders', {
      databaseUrl: 'postgres://orders:secret@db.internal:5432/orders',
      paymentsUrl: 'https://payments.internal',
    }),
  )

describe('hello stack', () => {
  it('runs the handler on Node 24 behind an HTTP API', () => {
    // Prepare
    const template = Template.fromStack(new HelloStack(appWithoutBundling(), 'Hello'))

    // Act
    const functions = template.findResources('AWS::Lambda::Function')

    // Assess
    expect(Object.keys(functions)).toHaveLength(1)
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
    })
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1)
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' })
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 })
  })

  it('gives the function no permission beyond writing its logs', () => {
    // Prepare
    const template = Template.fromStack(new HelloStack(appWithoutBundling(), 'Hello'))

    // Act
    const policies = template.findResources('AWS::IAM::Policy')

    // Assess
    expect(policies).toEqual({})
  })
})

describe('orders-api stack', () => {
  it('runs the handler on Node 24 with its settings in the environment', () => {
    // Prepare
    const template = synthOrdersApi()

    // Act
    const functions = template.findResources('AWS::Lambda::Function')

    // Assess
    expect(Object.keys(functions)).toHaveLength(1)
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Environment: {
        Variables: {
          DATABASE_URL: 'postgres://orders:secret@db.internal:5432/orders',
          PAYMENTS_URL: 'https://payments.internal',
          BREAKER_TABLE: { Ref: Match.stringLikeRegexp('^BreakerTable') },
        },
      },
    })
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' })
  })

  it('keys the breaker table by the breaker name, billed on demand', () => {
    // Prepare
    const template = synthOrdersApi()

    // Act
    const tables = template.findResources('AWS::DynamoDB::GlobalTable')

    // Assess
    expect(Object.keys(tables)).toHaveLength(1)
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'breaker', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'breaker', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    })
  })

  it('traces actively: Lambda samples requests and the function may send its segments', () => {
    // Prepare
    const template = synthOrdersApi()

    // Act
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
    )

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } })
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      Resource: '*',
    })
  })

  it('lets the function do only the breaker store item actions, on the breaker table only', () => {
    // Prepare
    const template = synthOrdersApi()

    // Act
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
    )

    // Assess: besides sending X-Ray segments (the test above), nothing but these two item actions
    expect(
      statements.filter(
        (statement) => statement.Resource !== '*' || !String(statement.Action).startsWith('xray:'),
      ),
    ).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^BreakerTable/), 'Arn'] },
      },
    ])
  })
})

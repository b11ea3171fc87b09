/**
 * The examples' CDK apps save the report's Logs Insights queries (`AWS::Logs::QueryDefinition`) on their
 * function's log group: the same strings the report runs, imported from it, so they cannot drift apart.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { SAVED_INSIGHTS_QUERIES } from '@lambda-lifetime/report'
import { App, type Stack } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import { HelloStack } from '../../examples/hello/infra/stack.js'
import { OrdersApiStack } from '../../examples/orders-api/infra/stack.js'

/** Where each app writes its cloud assembly; without `outdir`, CDK leaves a `cdk.out*` folder in tmpdir. */
const outdirs: string[] = []

afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true })
})

const appWithoutBundling = (): App => {
  const outdir = mkdtempSync(join(tmpdir(), 'll-cdk-out-'))
  outdirs.push(outdir)
  return new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } })
}

describe.each([
  ['hello', (app: App): Stack => new HelloStack(app, 'Hello')],
  [
    'orders-api',
    (app: App): Stack =>
      new OrdersApiStack(app, 'Orders', {
        databaseUrl: 'postgres://x@db:5432/orders',
        paymentsUrl: 'https://p',
      }),
  ],
])('the %s stack', (example, build) => {
  it('saves each report query on the function log group, under lambda-lifetime/<example>/', () => {
    // Prepare
    const template = Template.fromStack(build(appWithoutBundling()))

    // Act
    const saved = Object.values(template.findResources('AWS::Logs::QueryDefinition')).map(
      (resource) => resource.Properties,
    )
    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'))

    // Assess
    expect(saved).toEqual(
      Object.entries(SAVED_INSIGHTS_QUERIES).map(([name, queryString]) => ({
        Name: `lambda-lifetime/${example}/${name}`,
        QueryString: queryString,
        LogGroupNames: [{ Ref: logGroupId }],
      })),
    )
    expect(saved).toHaveLength(4)
  })
})

/**
 * The repository's own CDK examples, synthesized for real (esbuild bundling included, as `cdk synth`
 * does) into a temporary cloud assembly, then loaded: what `lambda-lifetime serve` will read in
 * `examples/*` after `npx cdk synth`. Needs the packages built (`npm test` builds them first).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { startEmulator } from '@lambda-lifetime/emulator'
import { App } from 'aws-cdk-lib'
import { HelloStack } from '../../../../examples/hello/infra/stack.js'
import { OrdersApiStack } from '../../../../examples/orders-api/infra/stack.js'
import { sampleEvent } from '../../src/events/samples.js'
import { createRouter } from '../../src/project/routes.js'
import { loadProject, type Project, toFunctionConfig } from '../../src/project/template.js'

describe('loadProject on the examples synthesized by CDK', () => {
  let outdir = ''
  let project: Project

  beforeAll(() => {
    // Prepare: the context `cdk synth` sets so that templates carry asset paths.
    outdir = mkdtempSync(join(tmpdir(), 'emulator-cdk-out-'))
    const app = new App({
      outdir,
      context: { 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true },
    })
    new HelloStack(app, 'Hello')
    new OrdersApiStack(app, 'Orders', {
      databaseUrl: 'postgres://local/orders',
      paymentsUrl: 'http://127.0.0.1:9',
    })
    app.synth()
    project = loadProject(outdir)
  }, 120_000)

  afterAll(() => {
    if (outdir !== '') rmSync(outdir, { recursive: true, force: true })
  })

  test('finds both functions with their bundled asset folder and settings', () => {
    // Assess
    expect(project.kind).toBe('cdk')
    expect(
      project.functions.map((fn) => [fn.constructPath, fn.handler, fn.runtime, fn.architecture]),
    ).toEqual([
      ['Hello/Hello', 'index.handler', 'nodejs24.x', 'arm64'],
      ['Orders/Orders', 'index.handler', 'nodejs24.x', 'arm64'],
    ])
    for (const fn of project.functions) expect(existsSync(join(fn.codeDir, 'index.mjs'))).toBe(true)
    const orders = project.functions[1]
    expect(orders?.memoryMb).toBe(512)
    expect(orders?.env).toMatchObject({
      DATABASE_URL: 'postgres://local/orders',
      BREAKER_TABLE: expect.stringMatching(/^BreakerTable/),
    })
  })

  test('serves each HTTP API through its $default route, payload 2.0', () => {
    // Assess
    expect(project.routes).toHaveLength(2)
    for (const route of project.routes) {
      expect(route).toMatchObject({ kind: 'http-api', payloadFormat: '2.0', method: 'ANY', path: '$default' })
    }
    expect(project.skipped).toEqual({ 'AWS::DynamoDB::GlobalTable': 1 })
  })

  test('the bundled hello function answers through its route, twice from the same container', async () => {
    // Prepare
    const hello = project.functions.find((fn) => fn.constructPath === 'Hello/Hello')
    if (hello === undefined) throw new Error('no hello function')
    const router = createRouter(project.routes.filter((route) => route.functionName === hello.name))
    const emulator = await startEmulator({
      functions: [toFunctionConfig(hello)],
      logDir: join(outdir, 'logs'),
    })

    try {
      // Act
      const answers = []
      for (const attempt of [1, 2]) {
        const match = router.match('GET', `/hello/${attempt}`)
        if (!match.matched) throw new Error('no route')
        const event = sampleEvent('http-api', { path: `/hello/${attempt}`, route: match.routeKey })
        const result = await emulator.invoke(match.route.functionName, event)
        answers.push(JSON.parse(JSON.parse(result.payload).body))
      }

      // Assess
      expect(answers.map((answer) => [answer.invocation, answer.input.routeKey])).toEqual([
        [1, '$default'],
        [2, '$default'],
      ])
      expect(answers[1].containerId).toBe(answers[0].containerId)
    } finally {
      await emulator.stop()
    }
  }, 60_000)
})

/**
 * The building blocks of issue 14 put together by hand, the way `serve --template` will: the SAM fixture
 * loaded, its TypeScript function bundled, the emulator started with the built functions, requests
 * routed and turned into events, and a TypeScript failure traced back to its `.ts` line.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { type Emulator, type FunctionConfig, startEmulator } from '@lambda-lifetime/emulator'
import { type EventSourceName, sampleEvent } from '../../src/events/samples.js'
import { createFunctionBuilder } from '../../src/project/reload.js'
import { createRouter, type Router } from '../../src/project/routes.js'
import { loadProject, type ProjectFunction } from '../../src/project/template.js'

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/projects', import.meta.url))

/** A function outside the template: TypeScript that throws. */
const throwing: ProjectFunction = {
  name: 'throws',
  logicalId: 'Throws',
  stack: 'test',
  handler: 'handler.handler',
  codeDir: join(fixtures, 'ts-throws'),
  runtime: 'nodejs24.x',
  memoryMb: 128,
  timeoutMs: 5000,
  env: {},
  architecture: 'x86_64',
}

let workDir = ''
let emulator: Emulator | undefined
let router: Router

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'emulator-pieces-'))
  const project = loadProject(join(fixtures, 'sam-app'))
  const configs: FunctionConfig[] = []
  for (const fn of [...project.functions, throwing]) {
    const outcome = await createFunctionBuilder(fn, { buildDir: join(workDir, 'build') }).build()
    if (!outcome.ok) throw outcome.error
    configs.push(outcome.built.config)
  }
  // Function URLs get their own door (see routes.ts); the APIs share this router.
  router = createRouter(project.routes.filter((route) => route.kind !== 'function-url'))
  emulator = await startEmulator({ functions: configs, logDir: join(workDir, 'logs') })
}, 60_000)

afterAll(async () => {
  await emulator?.stop()
  rmSync(workDir, { recursive: true, force: true })
})

/** Routes a request, builds the event the route's API sends, invokes the function. */
const request = async (method: string, path: string) => {
  const match = router.match(method, path)
  if (!match.matched) return { statusCode: match.response.statusCode, body: match.response.body }
  const source: EventSourceName = match.route.payloadFormat === '2.0' ? 'http-api' : 'rest-api'
  const event = sampleEvent(source, {
    method,
    path,
    route: match.routeKey,
    pathParameters: match.pathParameters,
  })
  const result = await (emulator as Emulator).invoke(match.route.functionName, event)
  return JSON.parse(result.payload) as { statusCode: number; body: string }
}

describe('a SAM project served from the building blocks', () => {
  test('the TypeScript function answers on its HTTP API route', async () => {
    // Act
    const response = await request('GET', '/hello/ada')

    // Assess
    expect(response).toEqual({ statusCode: 200, body: 'Hello, ada!' })
  })

  test('the JavaScript function answers on its HTTP API and REST API routes, with the route in the event', async () => {
    // Act
    const httpApi = await request('GET', '/orders/42')
    const restApi = await request('DELETE', '/v1/orders/42/items')

    // Assess
    expect(JSON.parse(httpApi.body)).toEqual({
      function: 'orders',
      route: 'GET /orders/{id}',
      table: 'OrdersTable',
    })
    expect(JSON.parse(restApi.body)).toMatchObject({ route: '/v1/orders/{proxy+}' })
  })

  test('$default takes what no route matches', async () => {
    // Act
    const response = await request('PATCH', '/anything')

    // Assess
    expect(response).toEqual({ statusCode: 200, body: 'Hello, world!' })
  })

  test('a TypeScript error comes back with its stack at the .ts lines', async () => {
    // Act
    const result = await (emulator as Emulator).invoke('throws', {})

    // Assess
    expect(result.functionError).toBe('Unhandled')
    const error = JSON.parse(result.payload) as { errorMessage: string; trace: string[] }
    expect(error.errorMessage).toBe('an order needs an id')
    expect(error.trace.join('\n')).toContain(`${join(fixtures, 'ts-throws', 'order.ts')}:5:`)
  })
})

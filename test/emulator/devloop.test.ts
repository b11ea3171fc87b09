/**
 * The daily loop of issue 14, end to end through the `lambda-lifetime` command: a SAM template with two
 * functions (one TypeScript) and HTTP routes, and a CDK cloud assembly, each served on one port; a
 * saved source builds and deploys a new version (new environment, the old one drained with SIGTERM); a
 * build that fails keeps the old code serving and shows the error with file and line.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { stripVTControlCharacters } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { EVENT_SOURCES, runCli } from '@lambda-lifetime/emulator'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const fixtures = join(root, 'test', 'fixtures', 'projects')
const WAIT_MS = 30_000

/** The terminal without colours. */
const plain = (text: string): string => stripVTControlCharacters(text)

interface Served {
  readonly output: () => string
  readonly httpUrl: string
  readonly invokeUrl: string
  readonly stop: () => Promise<number>
}

/** Waits until the output matches, or fails with what it says. */
const waitForOutput = async (
  output: () => string,
  pattern: RegExp,
  ms = WAIT_MS,
): Promise<RegExpMatchArray> => {
  const deadline = Date.now() + ms
  for (;;) {
    const found = plain(output()).match(pattern)
    if (found !== null) return found
    if (Date.now() > deadline) throw new Error(`no ${pattern} in the output:\n${plain(output())}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** `lambda-lifetime serve <args>` in this process, its terminal captured. */
const serve = async (args: string[]): Promise<Served> => {
  const out = new PassThrough()
  const err = new PassThrough()
  let text = ''
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  err.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  const abort = new AbortController()
  const exit = runCli(['serve', '--port', '0', '--http-port', '0', ...args], {
    out,
    err,
    signal: abort.signal,
  })
  const output = () => text
  const ready = await Promise.race([
    waitForOutput(output, /HTTP\s+(http:\/\/\S+)/),
    exit.then((code) => {
      throw new Error(`serve exited with ${code}:\n${text}`)
    }),
  ])
  const invoke = await waitForOutput(output, /Invoke API\s+(http:\/\/\S+)/)
  return {
    output,
    httpUrl: ready[1] as string,
    invokeUrl: invoke[1] as string,
    stop: () => {
      abort.abort()
      return exit
    },
  }
}

/** The TypeScript function: registers an internal extension (so a shutdown is a SIGTERM), logs, greets. */
const API_HANDLER = `import { greet } from './greet.js'

const extensionApi = \`http://\${process.env.AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension\`
const registered = await fetch(\`\${extensionApi}/register\`, {
  method: 'POST',
  headers: { 'Lambda-Extension-Name': 'drain-marker' },
  body: JSON.stringify({ events: [] }),
})
const extensionId = registered.headers.get('lambda-extension-identifier') ?? ''
// An extension's init ends when it asks for its next event; it waits there (the runtime is frozen).
void fetch(\`\${extensionApi}/event/next\`, { headers: { 'Lambda-Extension-Identifier': extensionId } }).catch(() => {})
process.on('SIGTERM', () => {
  console.log('SIGTERM received, draining')
  process.exit(0)
})

interface Event {
  readonly pathParameters?: Record<string, string>
}

export const handler = async (event: Event) => {
  const name = event.pathParameters?.name ?? 'world'
  console.log(\`greeting \${name}\`)
  if (name === 'boom') throw new Error('boom from TypeScript')
  return { statusCode: 200, body: greet(name) }
}
`
const GREET_V1 = "export const greet = (name: string): string => 'Hello, ' + name + '!'\n"
const GREET_V2 = "export const greet = (name: string): string => 'Howdy, ' + name + '!'\n"
const GREET_BROKEN = "export const greet = (name: string): string => 'Howdy, ' + name + '!\n"

const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: nodejs24.x
    Timeout: 5
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Api:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: api
      Handler: app.handler
      CodeUri: api/
      Events:
        Hello:
          Type: HttpApi
          Properties:
            Path: /hello/{name}
            Method: GET
  Broken:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: broken
      Handler: app.handler
      CodeUri: broken/
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: /broken
            Method: GET
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: orders
      Handler: app.handler
      CodeUri: orders/
      Environment:
        Variables:
          TABLE: !Ref Table
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: /orders/{id}
            Method: GET
        Legacy:
          Type: Api
          Properties:
            Path: /v1/orders/{proxy+}
            Method: ANY
`
const ORDERS_HANDLER = `export const handler = async (event) => ({
  statusCode: 200,
  body: JSON.stringify({ route: event.routeKey ?? event.resource, params: event.pathParameters, table: process.env.TABLE, version: event.version ?? '1.0' }),
})
`

let work = ''
let project = ''

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'devloop-'))
  project = join(work, 'app')
  mkdirSync(join(project, 'api'), { recursive: true })
  mkdirSync(join(project, 'orders'), { recursive: true })
  writeFileSync(join(project, 'template.yaml'), TEMPLATE)
  writeFileSync(join(project, 'api', 'app.ts'), API_HANDLER)
  writeFileSync(join(project, 'api', 'greet.ts'), GREET_V1)
  writeFileSync(join(project, 'orders', 'app.mjs'), ORDERS_HANDLER)
  mkdirSync(join(project, 'broken'), { recursive: true })
  writeFileSync(join(project, 'broken', 'app.mjs'), "// fails its init\nthrow new Error('broken at init')\n")
  writeFileSync(join(project, 'env.json'), JSON.stringify({ orders: { TABLE: 'orders-local' } }))
  cpSync(join(fixtures, 'cdk-assembly'), join(work, 'cdk.out'), { recursive: true })
  mkdirSync(join(work, 'events'))
})

afterAll(() => {
  if (process.env.KEEP_DEVLOOP === undefined) rmSync(work, { recursive: true, force: true })
})

const text = async (url: string, init?: RequestInit): Promise<{ status: number; body: string }> => {
  const response = await fetch(url, init)
  return { status: response.status, body: await response.text() }
}

interface EnvironmentSnapshot {
  readonly id: string
  readonly functionName: string
  readonly state: string
}

const environmentsOf = async (served: Served, functionName: string): Promise<EnvironmentSnapshot[]> => {
  const all = (await (
    await fetch(`${served.invokeUrl}/_lambda-lifetime/environments`)
  ).json()) as EnvironmentSnapshot[]
  return all.filter((environment) => environment.functionName === functionName)
}

describe('lambda-lifetime serve --template', () => {
  it('serves a SAM project on one port, reloads a saved TypeScript source in a new environment, and keeps the old code when the build breaks', async () => {
    // Prepare
    const served = await serve([
      '--template',
      project,
      '--env-vars',
      join(project, 'env.json'),
      '--log-dir',
      join(work, 'sam', 'logs'),
    ])
    try {
      // Act: both functions, on an HTTP API (2.0) and a REST API (1.0) route, and a path no route takes
      const hello = await text(`${served.httpUrl}/hello/ada`)
      const order = await text(`${served.httpUrl}/orders/42`)
      const legacy = await text(`${served.httpUrl}/v1/orders/42/items`, { method: 'DELETE' })
      const missing = await text(`${served.httpUrl}/nowhere`)
      const page = await fetch(`${served.httpUrl}/`, { headers: { accept: 'text/html' } })

      // Assess
      expect(hello).toEqual({ status: 200, body: 'Hello, ada!' })
      expect(JSON.parse(order.body)).toEqual({
        route: 'GET /orders/{id}',
        params: { id: '42' },
        table: 'orders-local',
        version: '2.0',
      })
      expect(JSON.parse(legacy.body)).toEqual({
        route: '/v1/orders/{proxy+}',
        params: { proxy: '42/items' },
        table: 'orders-local',
        version: '1.0',
      })
      expect(missing).toEqual({ status: 404, body: '{"message":"Not Found"}' })
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('GET /orders/{id}')
      expect(plain(served.output())).toContain(
        'not run locally (no local meaning, or not supported): AWS::DynamoDB::Table',
      )
      const [before] = await environmentsOf(served, 'api')

      // Act: the terminal tells the story: a log line, a TypeScript error, an init error
      const boom = await text(`${served.httpUrl}/hello/boom`)
      const broken = await text(`${served.httpUrl}/broken`)

      // Assess
      expect(boom.status).toBe(500)
      expect(broken.status).toBe(500)
      await waitForOutput(served.output, /api [0-9a-f]{8} │ \d\d:\d\d:\d\d\.\d+ INFO {2}greeting ada/)
      await waitForOutput(served.output, /api [0-9a-f]{8} │ .*Error: boom from TypeScript/)
      await waitForOutput(served.output, /api [0-9a-f]{8} │ +at .*api\/app\.ts:\d+:\d+/)
      await waitForOutput(served.output, /broken [0-9a-f]{8} │ .*broken at init/)
      await waitForOutput(served.output, /broken [0-9a-f]{8} │ +at .*broken\/app\.mjs:2:\d+/)
      await waitForOutput(served.output, /api [0-9a-f]{8} │ REPORT (cold|warm).*memory \d+ MB of 128 MB/)

      // Act: save a new version of an imported TypeScript file
      writeFileSync(join(project, 'api', 'greet.ts'), GREET_V2)
      await waitForOutput(
        served.output,
        /api v2 built in \d+ ms: the next invocation starts a new environment; 1 environment\(s\) of v1 draining/,
      )
      const reloaded = await text(`${served.httpUrl}/hello/ada`)

      // Assess: the new code, from a new environment; the old one shut down with SIGTERM
      expect(reloaded).toEqual({ status: 200, body: 'Howdy, ada!' })
      const after = await environmentsOf(served, 'api')
      expect(before).toBeDefined()
      expect(after.filter((environment) => environment.id !== before?.id)).toHaveLength(1)
      const oldShort = (before?.id ?? '').slice(-32, -24)
      await waitForOutput(served.output, new RegExp(`api env ${oldShort} shut down \\(redeploy, SIGTERM\\)`))
      await waitForOutput(served.output, new RegExp(`api ${oldShort} │ .*SIGTERM received, draining`))

      // Act: the template itself changes
      writeFileSync(join(project, 'template.yaml'), `${TEMPLATE}\n`)

      // Assess: not reloaded, and said so
      await waitForOutput(
        served.output,
        /template\.yaml changed: .* stop and run serve again to pick them up/,
      )

      // Act: a save that does not build
      writeFileSync(join(project, 'api', 'greet.ts'), GREET_BROKEN)
      await waitForOutput(served.output, /api: build failed, v2 keeps serving/)
      const still = await text(`${served.httpUrl}/hello/ada`)

      // Assess: the old code answers; the error names the file and line
      expect(still).toEqual({ status: 200, body: 'Howdy, ada!' })
      expect(plain(served.output())).toMatch(/api\/greet\.ts:\d+:\d+: error: Unterminated/)
    } finally {
      expect(await served.stop()).toBe(0)
    }
  }, 120_000)

  it('invokes with an event file, with standard input, with file:// and with every sample event', async () => {
    // Prepare
    // The first test may have left the TypeScript function broken.
    writeFileSync(join(project, 'api', 'greet.ts'), GREET_V1)
    const served = await serve([
      '--template',
      project,
      '--log-dir',
      join(work, 'events', 'logs'),
      '--no-watch',
    ])
    const eventsDir = join(work, 'events')
    const run = async (
      args: string[],
      stdin?: string,
    ): Promise<{ code: number; out: string; err: string }> => {
      const out = new PassThrough()
      const err = new PassThrough()
      let outText = ''
      let errText = ''
      out.on('data', (chunk: Buffer) => {
        outText += chunk.toString()
      })
      err.on('data', (chunk: Buffer) => {
        errText += chunk.toString()
      })
      const input = stdin === undefined ? undefined : Object.assign(new PassThrough(), { isTTY: false })
      input?.end(stdin)
      const code = await runCli(args, { out, err, ...(input === undefined ? {} : { stdin: input }) })
      return { code, out: outText, err: errText }
    }
    try {
      // Act
      const results: Record<string, { code: number; route: unknown }> = {}
      for (const source of EVENT_SOURCES.map((item) => item.name)) {
        const sample = await run(['event', source, '--region', 'eu-west-1'])
        const file = join(eventsDir, `${source}.json`)
        writeFileSync(file, sample.out)
        const invoked = await run(['invoke', 'orders', '--endpoint', served.invokeUrl, '--event', file])
        results[source] = { code: invoked.code, route: JSON.parse(JSON.parse(invoked.out).body).route }
      }
      const routed = await run(['event', 'http-api', '--path', '/orders/7', '--route', 'GET /orders/{id}'])
      const piped = await run(
        ['invoke', 'orders', '--endpoint', served.invokeUrl, '--event', '-'],
        routed.out,
      )
      const implicit = await run(['invoke', 'orders', '--endpoint', served.invokeUrl], routed.out)
      const payloadFile = await run([
        'invoke',
        'orders',
        '--endpoint',
        served.invokeUrl,
        '--payload',
        `file://${join(eventsDir, 'rest-api.json')}`,
      ])
      const notJson = await run(['invoke', 'orders', '--endpoint', served.invokeUrl, '--event', '-'], '{"a":')

      // Assess
      for (const source of EVENT_SOURCES.map((item) => item.name)) expect(results[source]?.code).toBe(0)
      expect(results['http-api']?.route).toBe('GET /')
      expect(JSON.parse(JSON.parse(piped.out).body).route).toBe('GET /orders/{id}')
      expect(JSON.parse(JSON.parse(implicit.out).body).route).toBe('GET /orders/{id}')
      expect(payloadFile.code).toBe(0)
      expect(notJson.code).toBe(1)
      expect(notJson.err).toContain('the event in standard input is not JSON')
    } finally {
      expect(await served.stop()).toBe(0)
    }
  }, 60_000)

  it('serves a CDK cloud assembly (cdk.out) found by folder', async () => {
    // Prepare
    const served = await serve([
      '--template',
      join(work, 'cdk.out'),
      '--log-dir',
      join(work, 'cdk', 'logs'),
      '--no-watch',
    ])
    try {
      // Act
      const root = await text(`${served.httpUrl}/`)

      // Assess
      expect(root.status).toBe(200)
      expect(JSON.parse(root.body)).toEqual({ resource: '/' })
    } finally {
      expect(await served.stop()).toBe(0)
    }
  }, 60_000)
})

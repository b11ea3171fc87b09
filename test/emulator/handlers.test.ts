/**
 * Handlers written the way deployed projects write them, run through real clients (the AWS SDK's
 * LambdaClient, raw HTTP) and the real aws-lambda-ric.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  type InvokeWithResponseStreamCommandOutput,
  LambdaClient,
} from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { describeEvent } from '@lambda-lifetime/emulator'
import { ended, fixtures, fn, processState, waitFor, withEmulator } from './harness.js'

const handlers = join(fixtures, 'handlers')
const inHandlers = (name: string, handler: string, rules = {}) =>
  fn(name, handler, { codeDir: handlers, ...rules })
const major = Number(process.versions.node.split('.')[0])
const decodeTail = (tail: string | undefined): string => Buffer.from(tail ?? '', 'base64').toString('utf8')

describe('trace header', () => {
  test('the runtime gets Root, Parent and Sampled: Powertools Tracer finds its segment and logs no error', () =>
    withEmulator([inHandlers('traced', 'traced.handler')], {}, async ({ invoke }) => {
      // Act
      const result = await invoke('traced', {}, { LogType: 'Tail' })

      // Assess
      const header = String(result.body.traceHeader)
      expect(header).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/)
      expect(result.body.traceId).toBe(/Root=([^;]+)/.exec(header)?.[1])
      expect(decodeTail(result.output.LogResult)).not.toMatch(/missing required information/)
    }))

  test("the caller's X-Amzn-Trace-Id is followed: same Root and sampling, a new Parent", () =>
    withEmulator([inHandlers('traced', 'traced.handler')], {}, async ({ lambda }) => {
      // Prepare
      const root = '1-5759e988-bd862e3fe1be46a994272793'
      const command = new InvokeCommand({ FunctionName: 'traced', Payload: Buffer.from('{}') })
      command.middlewareStack.add(
        (next) => (args) => {
          const request = args.request as { headers: Record<string, string> }
          request.headers['x-amzn-trace-id'] = `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1`
          return next(args)
        },
        { step: 'build' },
      )

      // Act
      const output = await lambda.send(command)

      // Assess
      const body = JSON.parse(Buffer.from(output.Payload ?? []).toString('utf8'))
      expect(body.traceHeader).toMatch(new RegExp(`^Root=${root};Parent=[0-9a-f]{16};Sampled=1$`))
      expect(body.traceHeader).not.toContain('53995c3f42cd8ad8')
      expect(body.traceId).toBe(root)
    }))
})

describe('log tail', () => {
  test('LogType Tail on a failed init returns the init error as Lambda does', () =>
    withEmulator([inHandlers('broken', 'throws-at-import.handler')], {}, async ({ invoke }) => {
      // Act
      const result = await invoke('broken', {}, { LogType: 'Tail' })

      // Assess
      const tail = decodeTail(result.output.LogResult)
      expect(result.output.FunctionError).toBe('Unhandled')
      expect(tail).toContain('TABLE_NAME is not set')
      expect(tail).toMatch(/START RequestId: [0-9a-f-]+ Version: \$LATEST/)
      expect(tail).toMatch(/REPORT RequestId: .*Status: error/)
    }))
})

describe('callback-style handlers', () => {
  test(`on Node ${major} a CommonJS callback handler behaves as on Lambda's nodejs${major}.x`, () =>
    withEmulator([inHandlers('callback', 'callback.handler')], {}, async ({ invoke }) => {
      // Act
      const ok = await invoke('callback', { name: 'world' })
      const failed = await invoke('callback', { fail: true })

      // Assess
      if (major === 22) {
        // nodejs22.x runs callbacks.
        expect(ok.output.FunctionError).toBeUndefined()
        expect(ok.body).toMatchObject({ statusCode: 200, body: 'hello world' })
        expect(failed.output.FunctionError).toBe('Unhandled')
        expect(failed.body.errorMessage).toBe('asked to fail')
      } else {
        // nodejs24.x and later refuse them at init, in these words.
        expect(ok.output.FunctionError).toBe('Unhandled')
        expect(ok.body.errorMessage).toBe(
          'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
        )
      }
    }))

  test('Managed Instances on any Node refuse callback handlers at init, as Lambda does', () =>
    withEmulator(
      [inHandlers('callback', 'callback.handler', { managedInstances: { maxConcurrency: 2, workers: 1 } })],
      {},
      async ({ events }) => {
        // Act: Managed Instances initialize ahead.
        await waitFor(
          () => events.some((event) => event.type === 'environment.init-failed'),
          'the failed init',
        )

        // Assess
        const failure = events.find((event) => event.type === 'environment.init-failed')
        expect(failure?.type === 'environment.init-failed' && failure.errorType).toBe(
          'Runtime.CallbackHandlerDeprecated',
        )
        const log = readFileSync(failure?.environment.logFile ?? '', 'utf8')
        expect(log).toMatch(major === 22 ? /Node.js 22 with Managed Instances/ : /starting with Node.js 24/)
      },
    ))
})

describe('the AWS SDK the runtime provides', () => {
  // Outside the repository: no node_modules above the function, as in /var/task.
  let codeDir = ''
  beforeAll(() => {
    codeDir = mkdtempSync(join(tmpdir(), 'emulator-sdk-function-'))
    for (const file of ['sdk-esm.mjs', 'sdk-cjs.cjs']) copyFileSync(join(handlers, file), join(codeDir, file))
  })
  afterAll(() => rmSync(codeDir, { recursive: true, force: true }))

  test('an ESM and a CommonJS handler with no node_modules import and require @aws-sdk/client-dynamodb', () =>
    withEmulator(
      [fn('esm', 'sdk-esm.handler', { codeDir }), fn('cjs', 'sdk-cjs.handler', { codeDir })],
      {},
      async ({ invoke }) => {
        // Act
        const esm = await invoke('esm')
        const cjs = await invoke('cjs')

        // Assess
        expect(esm.body).toEqual({ client: 'DynamoDBClient', command: 'function', region: 'us-east-1' })
        expect(cjs.body).toEqual({ client: 'DynamoDBClient', region: 'us-east-1' })
      },
    ))

  test('provideAwsSdk: false leaves the SDK out: the import fails as it would on a runtime without it', () =>
    withEmulator(
      [fn('esm', 'sdk-esm.handler', { codeDir })],
      { provideAwsSdk: false },
      async ({ invoke }) => {
        // Act
        const result = await invoke('esm')

        // Assess
        expect(result.output.FunctionError).toBe('Unhandled')
        expect(result.text).toMatch(/@aws-sdk\/client-dynamodb/)
      },
    ))
})

describe('runtimes do not outlive serve', () => {
  const bin = fileURLToPath(new URL('../../packages/emulator/bin/lambda-lifetime.js', import.meta.url))

  /** Starts `serve` in its own process group, invokes once and waits until the runtime is frozen. */
  const serveWithFrozenRuntime = async (
    logDir: string,
  ): Promise<{ serve: ChildProcess; runtimePid: number }> => {
    const serve = spawn(
      process.execPath,
      [
        bin,
        'serve',
        '--handler',
        'hello.handler',
        '--code-dir',
        handlers,
        '--port',
        '0',
        '--no-http',
        '--log-dir',
        logDir,
        '--quiet',
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    serve.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
    })
    await waitFor(() => /Invoke API {2}(http:\/\/\S+)/.test(output), 'serve to listen', 15_000)
    const endpoint = (/Invoke API {2}(http:\/\/\S+)/.exec(output) as RegExpExecArray)[1] as string
    const lambda = new LambdaClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    })
    try {
      await lambda.send(new InvokeCommand({ FunctionName: 'function', Payload: Buffer.from('{}') }))
    } finally {
      lambda.destroy()
    }
    let runtimePid = 0
    await waitFor(async () => {
      const environments = (await (await fetch(`${endpoint}/_lambda-lifetime/environments`)).json()) as {
        pid: number | null
        frozen: boolean
      }[]
      runtimePid = environments[0]?.pid ?? 0
      return environments[0]?.frozen === true
    }, 'the runtime to freeze')
    return { serve, runtimePid }
  }

  let logDir = ''
  beforeAll(() => {
    logDir = mkdtempSync(join(tmpdir(), 'emulator-serve-logs-'))
  })
  afterAll(() => rmSync(logDir, { recursive: true, force: true }))

  test('SIGHUP (the terminal closed) stops serve like Ctrl+C: its runtime ends', async () => {
    // Prepare
    const { serve, runtimePid } = await serveWithFrozenRuntime(logDir)
    const exited = new Promise((resolve) => serve.once('exit', resolve))

    // Act
    serve.kill('SIGHUP')

    // Assess
    expect(await exited).toBe(0)
    await waitFor(() => ended(runtimePid), 'the runtime to end')
  })

  test('after SIGKILL of serve, its frozen orphan is ended by the next emulator start', async () => {
    // Prepare
    const { serve, runtimePid } = await serveWithFrozenRuntime(logDir)
    const exited = new Promise((resolve) => serve.once('exit', resolve))
    serve.kill('SIGKILL')
    await exited
    expect(processState(runtimePid)).toBe('T')

    // Act
    await withEmulator([inHandlers('hello', 'hello.handler')], {}, async () => {
      // Assess
      await waitFor(() => ended(runtimePid), 'the orphan to end', 5_000)
    })
  })
})

describe('streamed responses', () => {
  /** A GET through the front door that records when each chunk arrived. */
  const get = (url: string) => {
    const chunks: string[] = []
    let head: IncomingMessage | undefined
    const done = new Promise<{ complete: boolean }>((resolve) => {
      const request = httpRequest(url, (response) => {
        head = response
        response.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')))
        response.on('end', () => resolve({ complete: response.complete }))
        response.on('error', () => resolve({ complete: false }))
        response.on('aborted', () => resolve({ complete: false }))
      })
      request.on('error', () => resolve({ complete: false }))
      request.end()
    })
    return { chunks, head: () => head, done }
  }

  let gateDir = ''
  beforeAll(() => {
    gateDir = mkdtempSync(join(tmpdir(), 'emulator-stream-gate-'))
  })
  afterAll(() => rmSync(gateDir, { recursive: true, force: true }))

  test('a Function URL stream is served with the prelude as status and headers, chunk by chunk', () =>
    withEmulator([inHandlers('streaming', 'streaming.handler')], { httpPort: 0 }, async ({ emulator }) => {
      // Prepare
      const gate = join(gateDir, 'release-last-chunk')

      // Act
      const call = get(`${emulator.httpUrl}/stream?gate=${encodeURIComponent(gate)}`)
      await waitFor(() => call.chunks.join('').includes('first chunk'), 'the first chunk')
      const beforeLast = call.chunks.join('')
      writeFileSync(gate, '')
      const { complete } = await call.done

      // Assess
      expect(beforeLast).toBe('first chunk\n')
      expect(complete).toBe(true)
      expect(call.chunks.join('')).toBe('first chunk\nlast chunk\n')
      const head = call.head() as IncomingMessage
      expect(head.statusCode).toBe(201)
      expect(head.headers['content-type']).toBe('text/plain')
      expect(head.headers['x-streamed']).toBe('yes')
      expect(head.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/'])
      expect(head.headers['transfer-encoding']).toBe('chunked')
    }))

  test('a failure mid-stream cuts the response; a failure before the first byte is a 500', () =>
    withEmulator(
      [inHandlers('streaming', 'streaming.handler')],
      { httpPort: 0 },
      async ({ emulator, events }) => {
        // Act
        const middle = get(`${emulator.httpUrl}/stream?failAt=middle`)
        const cut = await middle.done
        const start = get(`${emulator.httpUrl}/stream?failAt=start`)
        await start.done

        // Assess
        expect(middle.head()?.statusCode).toBe(201)
        expect(cut.complete).toBe(false)
        expect(middle.chunks.join('')).toBe('first chunk\n')
        expect(start.head()?.statusCode).toBe(500)
        const outcomes = events.flatMap((event) => (event.type === 'invocation.end' ? [event.outcome] : []))
        expect(outcomes).toEqual(['error', 'error'])
      },
    ))

  test('Invoke of a streaming function returns the streamed bytes, as Lambda buffers them', () =>
    withEmulator([inHandlers('streaming', 'streaming.handler')], {}, async ({ lambda }) => {
      // Act
      const output = await lambda.send(
        new InvokeCommand({
          FunctionName: 'streaming',
          Payload: Buffer.from('{"queryStringParameters":{}}'),
        }),
      )

      // Assess
      const bytes = Buffer.from(output.Payload ?? [])
      const delimiter = bytes.indexOf(Buffer.alloc(8))
      expect(JSON.parse(bytes.subarray(0, delimiter).toString('utf8'))).toMatchObject({ statusCode: 201 })
      expect(bytes.subarray(delimiter + 8).toString('utf8')).toBe('first chunk\nlast chunk\n')
    }))
})

describe('REST API (payload 1.0) functions', () => {
  test('a function marked 1.0 gets a REST API event and its multiValueHeaders answer', () =>
    withEmulator(
      [inHandlers('rest', 'rest.handler', { payloadFormat: '1.0' })],
      { httpPort: 0 },
      async ({ emulator }) => {
        // Act
        const response = await fetch(`${emulator.httpUrl}/orders/7?tag=a&tag=b`, {
          headers: { accept: 'application/json' },
        })

        // Assess
        expect(response.status).toBe(200)
        expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
        expect(await response.json()).toEqual({
          httpMethod: 'GET',
          path: '/orders/7',
          resource: '/{proxy+}',
          proxy: 'orders/7',
          tags: ['a', 'b'],
          accept: ['application/json'],
          stage: 'local',
        })
      },
    ))

  test("a failing REST function answers REST API's 502, and the serve view shows the error", () =>
    withEmulator(
      [inHandlers('rest', 'rest.handler', { payloadFormat: '1.0' })],
      { httpPort: 0 },
      async ({ emulator, events }) => {
        // Act
        const response = await fetch(`${emulator.httpUrl}/orders/7?fail=1`)

        // Assess
        expect(response.status).toBe(502)
        expect(await response.json()).toEqual({ message: 'Internal server error' })
        const end = events.find((event) => event.type === 'invocation.end')
        expect(end && describeEvent(end)).toMatch(/: TypeError: no such order$/)
      },
    ))
})

describe('InvokeWithResponseStream', () => {
  /** Reads the SDK's event stream: the payload chunks and the completion event. */
  const readStream = async (output: InvokeWithResponseStreamCommandOutput) => {
    const chunks: string[] = []
    let complete: Record<string, unknown> | undefined
    for await (const event of output.EventStream ?? []) {
      if (event.PayloadChunk?.Payload) chunks.push(Buffer.from(event.PayloadChunk.Payload).toString('utf8'))
      if (event.InvokeComplete) complete = { ...event.InvokeComplete }
    }
    return { chunks, complete }
  }

  test('the SDK gets each chunk of a streaming function as a PayloadChunk, then InvokeComplete', () =>
    withEmulator([inHandlers('streaming', 'streaming.handler')], {}, async ({ lambda }) => {
      // Act
      const output = await lambda.send(
        new InvokeWithResponseStreamCommand({
          FunctionName: 'streaming',
          Payload: Buffer.from('{}'),
          LogType: 'Tail',
        }),
      )
      const { chunks, complete } = await readStream(output)

      // Assess
      const bytes = Buffer.from(chunks.join(''))
      expect(bytes.subarray(bytes.indexOf(Buffer.alloc(8)) + 8).toString('utf8')).toBe(
        'first chunk\nlast chunk\n',
      )
      expect(output.ResponseStreamContentType).toBe('application/vnd.awslambda.http-integration-response')
      expect(complete?.ErrorCode).toBeUndefined()
      expect(decodeTail(complete?.LogResult as string)).toMatch(/REPORT RequestId/)
    }))

  test('a failure mid-stream and a buffered function answer as Lambda does', () =>
    withEmulator(
      [inHandlers('streaming', 'streaming.handler'), inHandlers('hello', 'hello.handler')],
      {},
      async ({ lambda }) => {
        // Act
        const failed = await readStream(
          await lambda.send(
            new InvokeWithResponseStreamCommand({
              FunctionName: 'streaming',
              Payload: Buffer.from('{"queryStringParameters":{"failAt":"middle"}}'),
            }),
          ),
        )
        const buffered = await readStream(
          await lambda.send(
            new InvokeWithResponseStreamCommand({
              FunctionName: 'hello',
              Payload: Buffer.from('{"name":"sdk"}'),
            }),
          ),
        )

        // Assess
        expect(failed.complete).toMatchObject({ ErrorCode: 'Error', ErrorDetails: 'failed mid-stream' })
        expect(buffered.chunks.join('')).toBe('{"hello":"sdk"}')
        expect(buffered.complete?.ErrorCode).toBeUndefined()
      },
    ))
})

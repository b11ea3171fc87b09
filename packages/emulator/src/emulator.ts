/** `startEmulator`: the pools of environments behind the Lambda Invoke API and the HTTP front door. */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { findRuntimeClient, type InvocationResult } from './environment.js'
import { InvokeApiError } from './errors.js'
import { fromHttpApiResult, HTTP_ERRORS, type HttpAnswer, toHttpApiEvent } from './http-api.js'
import { emulatorValidateOptions, resolveFunction, resolveLogDir } from './options.js'
import { FunctionPool } from './pool.js'
import type { Emulator, EmulatorEvent, EmulatorOptions, InvokeOptions, InvokeResult } from './types.js'

/** Lambda's request payload limits: 6 MB synchronous, 1 MB asynchronous. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
export const MAX_EVENT_PAYLOAD_BYTES = 1024 * 1024

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/

/** `name`, `name:qualifier`, a partial ARN `123:function:name` or a full ARN all name the same function. */
export const functionNameOf = (pathPart: string): string => {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathPart)
  } catch {
    // As Lambda does for a name that breaks its constraints: the caller's error, with the reason.
    throw new InvokeApiError(
      'ValidationException',
      400,
      `The function name is not valid percent-encoding: ${pathPart}`,
    )
  }
  const parts = decoded.split(':')
  const at = parts.indexOf('function')
  return (at >= 0 ? parts[at + 1] : parts[0]) ?? ''
}

const readBody = (request: IncomingMessage, limit: number): Promise<Buffer | null> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
    })
    request.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks)))
    request.on('error', reject)
  })

const listen = async (server: Server, port: number, host: string): Promise<string> => {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.address() as { port: number }
  return `http://${host}:${address.port}`
}

const close = (server: Server | null): Promise<void> =>
  new Promise((resolve) => {
    if (server === null) return resolve()
    server.close(() => resolve())
    server.closeAllConnections()
  })

const sendError = (response: ServerResponse, error: InvokeApiError): void => {
  const body = JSON.stringify({ Type: 'User', message: error.message })
  response.writeHead(error.statusCode, {
    'Content-Type': 'application/json',
    'x-amzn-ErrorType': error.code,
    'x-amzn-RequestId': randomUUID(),
  })
  response.end(body)
}

class LambdaEmulator implements Emulator {
  invokeUrl = ''
  httpUrl: string | null = null
  readonly logDir: string
  readonly #options: EmulatorOptions
  readonly #pools = new Map<string, FunctionPool>()
  readonly #listeners = new Set<(event: EmulatorEvent) => void>()
  #invokeServer: Server | null = null
  #httpServer: Server | null = null
  #sweeper: NodeJS.Timeout | undefined
  readonly #killAll = (): void => {
    for (const info of this.environments()) {
      if (info.pid !== null) {
        try {
          process.kill(-info.pid, 'SIGKILL')
        } catch {
          // Already gone.
        }
      }
    }
  }

  constructor(options: EmulatorOptions) {
    this.#options = options
    this.logDir = resolveLogDir(options.logDir)
    if (options.onEvent) this.#listeners.add(options.onEvent)
    const context = {
      logDir: this.logDir,
      runtimeClient: findRuntimeClient(),
      emit: (event: EmulatorEvent) => this.#emit(event),
    }
    for (const fn of options.functions)
      this.#pools.set(fn.name, new FunctionPool(resolveFunction(options, fn), context))
  }

  async start(): Promise<void> {
    const host = this.#options.host ?? '127.0.0.1'
    // Runtime processes live in their own process groups: if this process exits without stop(), kill them.
    process.on('exit', this.#killAll)
    this.#invokeServer = createServer((request, response) => {
      this.#serveInvoke(request, response).catch((error: Error) =>
        sendError(
          response,
          error instanceof InvokeApiError
            ? error
            : new InvokeApiError('ServiceException', 500, error.message),
        ),
      )
    })
    this.invokeUrl = await listen(this.#invokeServer, this.#options.port ?? 0, host)
    const httpPort = this.#options.httpPort ?? false
    if (httpPort !== false) {
      this.#httpServer = createServer((request, response) => {
        void this.#serveHttp(request, response)
      })
      this.httpUrl = await listen(this.#httpServer, httpPort, host)
    }
    const shortest = Math.min(
      ...[...this.#pools.values()].map((pool) => Math.min(pool.fn.idleTimeoutMs, pool.fn.maxLifetimeMs)),
    )
    const sweepMs = Math.min(1_000, Math.max(20, Math.floor(shortest / 10)))
    this.#sweeper = setInterval(() => {
      const now = Date.now()
      for (const pool of this.#pools.values()) pool.sweep(now)
    }, sweepMs)
    this.#sweeper.unref()
    await Promise.all([...this.#pools.values()].map((pool) => pool.start()))
  }

  #emit(event: EmulatorEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch {
        // A listener's failure is its own; the emulator goes on.
      }
    }
  }

  subscribe(listener: (event: EmulatorEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  environments(functionName?: string) {
    return [...this.#pools.values()]
      .filter((pool) => functionName === undefined || pool.fn.name === functionName)
      .flatMap((pool) => pool.environments().map((environment) => environment.info()))
      .filter((info) => info.state !== 'stopped')
  }

  #pool(functionName: string): FunctionPool {
    const pool = this.#pools.get(functionName)
    if (pool === undefined) {
      const { region = 'us-east-1', accountId = '000000000000' } = this.#options
      const arn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`
      throw new InvokeApiError('ResourceNotFoundException', 404, `Function not found: ${arn}`)
    }
    return pool
  }

  /** The core of both front doors and of `invoke()`: the payload is JSON text. */
  async invokeRaw(functionName: string, payload: string, options: InvokeOptions = {}): Promise<InvokeResult> {
    const pool = this.#pool(functionName)
    const requestId = randomUUID()
    const clientContext = options.clientContext === undefined ? null : JSON.stringify(options.clientContext)
    if (options.type === 'Event') {
      pool.enqueue({ requestId, payload, clientContext, tail: false, settle: () => {} })
      return { statusCode: 202, requestId, payload: '', environmentId: null }
    }
    return new Promise((resolve, reject) => {
      const settle = (result: InvocationResult): void =>
        resolve({
          statusCode: 200,
          requestId,
          payload: result.payload,
          environmentId: result.environmentId,
          ...(result.functionError ? { functionError: 'Unhandled' as const } : {}),
          ...(result.logResult === undefined ? {} : { logResult: result.logResult }),
        })
      try {
        pool.invoke({ requestId, payload, clientContext, tail: options.tail === true, settle })
      } catch (error) {
        reject(error)
      }
    })
  }

  /** In-process invoke: the payload is any JSON-serializable value. */
  invoke(functionName: string, payload: unknown = {}, options: InvokeOptions = {}): Promise<InvokeResult> {
    return this.invokeRaw(functionName, JSON.stringify(payload) ?? 'null', options)
  }

  async #serveInvoke(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url as string, 'http://localhost').pathname
    const match = INVOKE_PATH.exec(path)
    if (request.method !== 'POST' || !match) {
      request.resume()
      if (request.method === 'GET' && path === '/_lambda-lifetime/environments') {
        response.writeHead(200, { 'Content-Type': 'application/json' })
        response.end(JSON.stringify(this.environments()))
        return
      }
      throw new InvokeApiError(
        'UnknownOperationException',
        404,
        `Unknown operation ${request.method} ${path}`,
      )
    }
    const result = await this.#invokeFromRequest(request, match[1] as string)
    response.writeHead(result.statusCode, {
      'Content-Type': 'application/json',
      'x-amzn-RequestId': result.requestId,
      'X-Amz-Executed-Version': '$LATEST',
      ...(result.functionError ? { 'X-Amz-Function-Error': result.functionError } : {}),
      ...(result.logResult === undefined ? {} : { 'X-Amz-Log-Result': result.logResult }),
    })
    response.end(result.payload)
  }

  async #invokeFromRequest(request: IncomingMessage, pathName: string): Promise<InvokeResult> {
    const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse')
    const logType = String(request.headers['x-amz-log-type'] ?? 'None')
    if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
      request.resume()
      throw new InvokeApiError('InvalidParameterValueException', 400, `Unsupported invocation type: ${type}`)
    }
    if (!['None', 'Tail'].includes(logType)) {
      request.resume()
      throw new InvokeApiError('InvalidParameterValueException', 400, `Unsupported log type: ${logType}`)
    }
    const functionName = functionNameOf(pathName)
    this.#pool(functionName)
    const limit = type === 'Event' ? MAX_EVENT_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES
    const body = await readBody(request, limit)
    if (body === null) {
      const operation = type === 'Event' ? 'InvokeAsync' : 'InvokeFunction'
      throw new InvokeApiError(
        'RequestEntityTooLargeException',
        413,
        `Request must be smaller than ${limit} bytes for the ${operation} operation`,
      )
    }
    const payload = body.length === 0 ? '{}' : body.toString('utf8')
    try {
      JSON.parse(payload)
    } catch (error) {
      throw new InvokeApiError(
        'InvalidRequestContentException',
        400,
        `Could not parse request body into json: ${(error as Error).message}`,
      )
    }
    if (type === 'DryRun')
      return { statusCode: 204, requestId: randomUUID(), payload: '', environmentId: null }
    const clientContext = decodeClientContext(request.headers['x-amz-client-context'])
    return this.invokeRaw(functionName, payload, {
      type: type as 'RequestResponse' | 'Event',
      tail: logType === 'Tail',
      clientContext,
    })
  }

  async #serveHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request, MAX_SYNC_PAYLOAD_BYTES)
    const answer = await this.#answerHttp(request, body)
    response.writeHead(answer.statusCode, { ...answer.headers, 'content-length': answer.body.length })
    response.end(answer.body)
  }

  async #answerHttp(request: IncomingMessage, body: Buffer | null): Promise<HttpAnswer> {
    if (body === null) return HTTP_ERRORS.tooLarge
    const event = toHttpApiEvent({
      // Requests from an http.Server always have a method and a url.
      method: request.method as string,
      url: request.url as string,
      headers: request.headers,
      body,
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      accountId: this.#options.accountId ?? '000000000000',
    })
    const functionName = this.#options.httpFunction ?? (this.#options.functions[0]?.name as string)
    try {
      const result = await this.invokeRaw(functionName, JSON.stringify(event))
      return fromHttpApiResult(result.payload, result.functionError !== undefined)
    } catch {
      return HTTP_ERRORS.throttled
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweeper)
    await Promise.all([close(this.#invokeServer), close(this.#httpServer)])
    await Promise.all([...this.#pools.values()].map((pool) => pool.stop()))
    process.off('exit', this.#killAll)
  }
}

/** The SDK sends the client context as base64 JSON; the runtime gets it as JSON text. */
const decodeClientContext = (header: string | string[] | undefined): unknown => {
  if (typeof header !== 'string' || header.length === 0) return undefined
  try {
    return JSON.parse(Buffer.from(header, 'base64').toString('utf8'))
  } catch {
    throw new InvokeApiError(
      'InvalidRequestContentException',
      400,
      'Client context must be base64-encoded JSON',
    )
  }
}

/**
 * Starts a local Lambda: each function gets environments that run the real `aws-lambda-ric` in their
 * own process group, reused, frozen, reaped and shut down by Lambda's rules.
 *
 * @example
 * ```ts
 * const emulator = await startEmulator({
 *   functions: [{ name: 'hello', handler: 'index.handler', codeDir: './dist' }],
 *   httpPort: 3000,
 * })
 * const lambda = new LambdaClient({ endpoint: emulator.invokeUrl, region: 'us-east-1' })
 * await emulator.stop()
 * ```
 */
export const startEmulator = async (options: EmulatorOptions): Promise<Emulator> => {
  emulatorValidateOptions(options)
  const emulator = new LambdaEmulator(options)
  try {
    await emulator.start()
  } catch (error) {
    await emulator.stop()
    throw error
  }
  return emulator
}

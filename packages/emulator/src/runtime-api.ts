/**
 * The Runtime API and Extensions API one environment serves on loopback: the runtime client and the
 * extensions inside the runtime process talk to it through `AWS_LAMBDA_RUNTIME_API`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/** What the environment does with each call; the server only parses and routes. */
/**
 * Whether the process at the other end of a connection may use the API: known (`value`) once the
 * check (`settled`) is done. Asked once per connection.
 */
export interface PeerVerdict {
  value: boolean | undefined
  readonly settled: Promise<boolean>
}

export interface RuntimeApiHandlers {
  /**
   * The runtime asks for its next invocation. The poll is answered by the environment; the peer check
   * may still be running, and no payload may go out before it said yes.
   */
  next(response: ServerResponse, peer: PeerVerdict): void
  result(requestId: string, body: Buffer, errorType: string | null, response: ServerResponse): void
  /**
   * A streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`): the body is read as it
   * comes, and a late failure arrives in its trailers. The environment answers `response`.
   */
  stream(requestId: string, request: IncomingMessage, response: ServerResponse): void
  initError(body: Buffer, response: ServerResponse): void
  /** `features`: what the extension accepts beyond the basics (`Lambda-Extension-Accept-Feature`, e.g. accountId). */
  registerExtension(
    name: string,
    events: readonly string[],
    response: ServerResponse,
    features?: readonly string[],
  ): void
  nextExtensionEvent(extensionId: string, response: ServerResponse): void
  /** `/extension/init/error` or `/extension/exit/error`, with the extension's error category (undefined: none sent). */
  extensionError?(
    kind: 'init' | 'exit',
    extensionId: string,
    category: string | undefined,
    response: ServerResponse,
  ): void
  /**
   * `PUT /2022-07-01/telemetry`: a Telemetry API subscription by the extension the identifier names
   * (the header's value, null without one). The body is unread JSON; the environment answers.
   */
  subscribeTelemetry(extensionId: string | null, body: Buffer, response: ServerResponse): void
  /**
   * Whether the process at the other end of this connection may use the API (asked once per
   * connection). Lambda's Runtime API is reachable only inside the sandbox.
   */
  allowPeer(socket: Socket): boolean | Promise<boolean>
}

const EXTENSION_ERROR = /^\/2020-01-01\/extension\/(init|exit)\/error$/
/** The Telemetry API's subscription path; Lambda's own examples write it with a trailing slash too. */
const TELEMETRY = /^\/2022-07-01\/telemetry\/?$/

const RESULT = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/

/** Sends a JSON answer. */
export const sendJson = (
  response: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): void => {
  const text = JSON.stringify(body)
  response.writeHead(statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  })
  response.end(text)
}

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })

const decodePathPart = (part: string): string | null => {
  try {
    return decodeURIComponent(part)
  } catch {
    return null
  }
}

const parseEvents = (body: Buffer): string[] | null => {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { events?: unknown }
    const events = parsed.events ?? []
    return Array.isArray(events) && events.every((event) => typeof event === 'string') ? events : null
  } catch {
    return null
  }
}

const FORBIDDEN = {
  errorType: 'AccessDeniedException',
  errorMessage: 'this Runtime API answers only the processes of its own environment',
}

const refuse = (response: ServerResponse): void => {
  if (!response.headersSent) sendJson(response, 403, FORBIDDEN)
}

const route = async (
  handlers: RuntimeApiHandlers,
  peer: PeerVerdict,
  request: IncomingMessage,
  response: ServerResponse,
) => {
  if (peer.value === false) {
    request.resume()
    return refuse(response)
  }
  // A request from an http.Server always has its url.
  const path = request.url as string
  const streamed = request.method === 'POST' ? RESULT.exec(path) : null
  const streaming = request.headers['lambda-runtime-function-response-mode'] === 'streaming'
  if (streaming && streamed?.[2] === 'response') {
    const requestId = decodePathPart(streamed[1] as string)
    if (requestId !== null) return handlers.stream(requestId, request, response)
  }
  const body = await readBody(request)
  if (request.method === 'GET' && path === '/2018-06-01/runtime/invocation/next') {
    // Not held by the check: the environment sees the runtime waiting at once, and hands nothing over
    // before the check said yes.
    if (peer.value === undefined) void peer.settled.then((allowed) => allowed || refuse(response))
    return handlers.next(response, peer)
  }
  const result = RESULT.exec(path)
  if (request.method === 'POST' && result) {
    // Not held either: only a process that got the invocation knows its request id, and the first
    // result of a runtime would otherwise wait for the check inside its measured duration.
    const requestId = decodePathPart(result[1] as string)
    if (requestId === null) {
      return sendJson(response, 400, {
        errorType: 'InvalidRequestID',
        errorMessage: `the request id is not valid percent-encoding: ${result[1]}`,
      })
    }
    // A streamed response reports a late failure in its trailers; a buffered error is its body.
    const trailerError = request.trailers['lambda-runtime-function-error-type']
    const errorType = result[2] === 'error' ? 'error' : (trailerError ?? null)
    return handlers.result(requestId, body, errorType, response)
  }
  if (!(await peer.settled)) return refuse(response)
  if (request.method === 'POST' && path === '/2018-06-01/runtime/init/error')
    return handlers.initError(body, response)
  if (request.method === 'POST' && path === '/2020-01-01/extension/register') {
    const name = request.headers['lambda-extension-name']
    const events = parseEvents(body)
    if (typeof name !== 'string' || name.length === 0 || events === null) {
      return sendJson(response, 400, {
        errorType: 'Extension.InvalidRequest',
        errorMessage: 'a registration needs a Lambda-Extension-Name header and a body {"events": [...]}',
      })
    }
    const features = String(request.headers['lambda-extension-accept-feature'] ?? '')
      .split(',')
      .map((feature) => feature.trim())
      .filter((feature) => feature.length > 0)
    return handlers.registerExtension(name, events, response, features)
  }
  const extensionError = EXTENSION_ERROR.exec(path)
  if (request.method === 'POST' && extensionError !== null && handlers.extensionError !== undefined) {
    const category = request.headers['lambda-extension-function-error-type']
    return handlers.extensionError(
      extensionError[1] as 'init' | 'exit',
      String(request.headers['lambda-extension-identifier']),
      typeof category === 'string' ? category : undefined,
      response,
    )
  }
  if (request.method === 'PUT' && TELEMETRY.test(path)) {
    const id = request.headers['lambda-extension-identifier']
    return handlers.subscribeTelemetry(typeof id === 'string' && id.length > 0 ? id : null, body, response)
  }
  if (request.method === 'GET' && path === '/2020-01-01/extension/event/next') {
    return handlers.nextExtensionEvent(String(request.headers['lambda-extension-identifier']), response)
  }
  sendJson(response, 404, {
    errorType: 'UnsupportedOperation',
    errorMessage: `${request.method} ${path} is not served by the lambda-lifetime emulator`,
  })
}

/**
 * Starts the server on 127.0.0.1 with a free port. Long polls (`/next`, `/event/next`) wait as long as
 * an environment stays idle, so Node's request timeouts are off.
 */
export const startRuntimeApi = async (
  handlers: RuntimeApiHandlers,
): Promise<{ server: Server; port: number }> => {
  const verdicts = new WeakMap<Socket, PeerVerdict>()
  const verdictOf = (socket: Socket): PeerVerdict => {
    const known = verdicts.get(socket)
    if (known !== undefined) return known
    const verdict: PeerVerdict = {
      value: undefined,
      settled: Promise.resolve()
        .then(() => handlers.allowPeer(socket))
        .catch(() => false)
        .then((allowed) => {
          verdict.value = allowed
          return allowed
        }),
    }
    verdicts.set(socket, verdict)
    return verdict
  }
  const server = createServer((request, response) => {
    route(handlers, verdictOf(request.socket), request, response).catch(() => response.destroy())
  })
  // The check starts with the connection, before its first request is read.
  server.on('connection', (socket: Socket) => verdictOf(socket))
  server.requestTimeout = 0
  server.headersTimeout = 0
  server.keepAliveTimeout = 0
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  return { server, port: address.port }
}

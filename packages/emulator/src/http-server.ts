/**
 * What every HTTP server of the emulator shares: the one place where a route's failure becomes an
 * answer, a body reader that stops at its limit, a parser for request targets that never throws, and
 * listening and closing.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { Socket } from 'node:net'

/** A request handler. It may throw or reject: `serveRoute` turns that into an answer. */
export type Route = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void

/** Writes the answer for a route's failure; called only while the response can still be written. */
export type FailureAnswer = (response: ServerResponse, error: unknown) => void

const ignore = (): void => {}

/**
 * Wraps a route so that nothing it does becomes an uncaught exception or an unhandled rejection: a
 * sync throw or a rejection is answered by `answerFailure` (or the connection is closed when the
 * answer had already begun), and errors of the request and response streams (a client gone
 * mid-body, a reset socket) are expected events, not crashes. Every route of every server goes
 * through here.
 *
 * @example
 * ```ts
 * const server = createServer(serveRoute(myRoute, (response, error) => response.writeHead(500).end(String(error))))
 * ```
 */
export const serveRoute =
  (route: Route, answerFailure: FailureAnswer) =>
  (request: IncomingMessage, response: ServerResponse): void => {
    request.on('error', ignore)
    response.on('error', ignore)
    let running: Promise<void>
    try {
      running = Promise.resolve(route(request, response))
    } catch (error) {
      running = Promise.reject(error)
    }
    running.catch((error: unknown) => {
      if (response.headersSent || response.destroyed || request.socket.destroyed) {
        response.destroy()
        return
      }
      try {
        leaveBodyUnread(request, response)
        answerFailure(response, error)
      } catch {
        response.destroy()
      }
    })
  }

const CLIENT_ERRORS: Readonly<Record<string, [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_HEADERS_TIMEOUT: [408, 'Request Timeout'],
}

/**
 * Answers a request Node's parser refused (bad bytes, oversized headers) with a status and a JSON
 * reason instead of the bare default, then closes the connection.
 */
const answerClientError = (error: Error & { code: string }, socket: Socket): void => {
  // An answer already under way on this connection cannot be followed by another one.
  const answering = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
  if (!socket.writable || error.code === 'ECONNRESET' || answering?.headersSent === true) {
    socket.destroy()
    return
  }
  const [status, text] = CLIENT_ERRORS[error.code] ?? [400, 'Bad Request']
  const body = JSON.stringify({ message: text, reason: `${error.code}: ${error.message}` })
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

/**
 * An `http.Server` whose requests all go through `serveRoute`, and whose unparseable requests get a
 * reason too.
 *
 * @example
 * ```ts
 * const server = createGuardedServer(route, sendInvokeError)
 * ```
 */
export const createGuardedServer = (route: Route, answerFailure: FailureAnswer): Server => {
  const server = createServer(serveRoute(route, answerFailure))
  server.on('clientError', answerClientError)
  return server
}

/**
 * The URL of a request target (`/path?x`, or an absolute `http://host/path`), or null when it is not
 * one: Node's parser lets through targets such as `http://[::1` that `new URL` rejects.
 *
 * @example
 * ```ts
 * requestTarget('/hello?x=1')?.pathname // '/hello'
 * requestTarget('http://[::1')           // null
 * ```
 */
export const requestTarget = (target: string | undefined): URL | null => {
  if (target === undefined) return null
  try {
    // An origin-form target is a path even when it starts with `//` (new URL would read a host).
    return target.startsWith('/') ? new URL(`http://localhost${target}`) : new URL(target, 'http://localhost')
  } catch {
    return null
  }
}

/**
 * Reads a request body up to `limit` bytes. Past the limit (by `Content-Length`, or while reading) it
 * stops reading, resolves to null and marks the connection to be closed after the answer, so a
 * client cannot make the emulator read (or hold) more than the limit.
 *
 * @example
 * ```ts
 * const body = await readBody(request, response, 6 * 1024 * 1024)
 * if (body === null) return answerTooLarge(response)
 * ```
 */
export const readBody = (
  request: IncomingMessage,
  response: ServerResponse,
  limit: number,
): Promise<Buffer | null> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const refuse = (): void => {
      request.removeListener('data', onData)
      leaveBodyUnread(request, response)
      resolve(null)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) refuse()
      else chunks.push(chunk)
    }
    const declared = Number(request.headers['content-length'] ?? Number.NaN)
    if (declared > limit) return refuse()
    request.on('data', onData)
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
    request.on('close', () => {
      if (!request.complete) reject(new Error('the client closed the connection before the body ended'))
    })
  })

/** After a refusal, how long the client has to read the answer before the connection is cut. */
const LINGER_MS = 1_000

/**
 * The rest of a refused body is not read. Cutting the connection at once would make the kernel answer
 * the client's next bytes with a reset that can destroy the answer before the client reads it, so the
 * close lingers: once the answer is out (Node then calls `destroySoon`), the write side ends, the
 * socket stops reading (the client's bytes wait in the kernel's buffers) and 1 s later it goes.
 */
const closeLingering = (request: IncomingMessage): void => {
  const socket = request.socket
  socket.destroySoon = () => {
    socket.end()
    socket.pause()
    const timer = setTimeout(() => socket.destroy(), LINGER_MS)
    timer.unref()
    socket.once('close', () => clearTimeout(timer))
  }
}

/**
 * For an answer given before the request's body was read (a refusal): the rest of the body is not
 * read, and the connection closes (lingering) once the answer is out. A body already read changes
 * nothing.
 *
 * @example
 * ```ts
 * leaveBodyUnread(request, response)
 * response.writeHead(404).end()
 * ```
 */
export const leaveBodyUnread = (request: IncomingMessage, response: ServerResponse): void => {
  const bodyless =
    request.headers['transfer-encoding'] === undefined && Number(request.headers['content-length'] ?? 0) === 0
  if (bodyless || request.complete || response.headersSent) return
  request.pause()
  response.setHeader('Connection', 'close')
  closeLingering(request)
}

/**
 * Listens and resolves to the base URL.
 *
 * @example
 * ```ts
 * const url = await listen(server, 0, '127.0.0.1') // http://127.0.0.1:43121
 * ```
 */
export const listen = async (server: Server, port: number, host: string): Promise<string> => {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as { port: number }
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
}

/**
 * Stops accepting, ends every connection, and resolves once closed.
 *
 * @example
 * ```ts
 * await close(server)
 * ```
 */
export const close = (server: Server | null): Promise<void> =>
  new Promise((resolve) => {
    if (server === null || !server.listening) return resolve()
    server.close(() => resolve())
    server.closeAllConnections()
  })

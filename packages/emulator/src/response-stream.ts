/**
 * A streamed response from the runtime (`awslambda.streamifyResponse`): the runtime client POSTs it
 * chunked with `Lambda-Runtime-Function-Response-Mode: streaming`, its content type, and, when the
 * function fails mid-stream, the trailers `Lambda-Runtime-Function-Error-Type` and
 * `Lambda-Runtime-Function-Error-Body` (base64 JSON). It is passed on chunk by chunk to a caller that
 * takes streams, or collected for one that does not.
 */
import type { IncomingMessage } from 'node:http'
import { PassThrough } from 'node:stream'
import type { ResponseStream } from './types.js'

/** Lambda's limit on a streamed response (20 MB, a soft limit on Lambda). */
export const MAX_STREAMED_RESPONSE_BYTES = 20 * 1024 * 1024

/** How a streamed response ended. */
export interface ReceivedStream {
  /** The collected body (empty when it went to a sink). */
  readonly body: Buffer
  /** The function's error type from the trailers, or the emulator's reason for cutting the stream. */
  readonly errorType: string | null
  /** The function's error as JSON text (from the trailer), null when none. */
  readonly errorBody: string | null
}

const trailer = (request: IncomingMessage, name: string): string | null => {
  const value = request.trailers[name]
  return typeof value === 'string' && value.length > 0 ? value : null
}

const sizeError = (limit: number): ReceivedStream => ({
  body: Buffer.alloc(0),
  errorType: 'Function.ResponseSizeTooLarge',
  errorBody: JSON.stringify({
    errorType: 'Function.ResponseSizeTooLarge',
    errorMessage: `Response payload size exceeded maximum allowed payload size (${limit} bytes).`,
  }),
})

/**
 * Reads a streamed response to its end. With a `sink`, the sink gets the body at once and each chunk
 * as it arrives (the runtime waits while the sink's reader is slow); the body ends with an error when
 * the function failed, the limit was passed or the runtime went away. Without one, the body is
 * collected up to `collectLimit` bytes. Always resolves, also when the runtime is killed mid-stream.
 *
 * @example
 * ```ts
 * const received = await receiveStream(request, (stream) => stream.body.pipe(process.stdout), MAX_RESPONSE_BYTES)
 * ```
 */
export const receiveStream = (
  request: IncomingMessage,
  sink: ((stream: ResponseStream) => void) | undefined,
  collectLimit: number,
): Promise<ReceivedStream> =>
  new Promise((resolve) => {
    const contentType = String(request.headers['content-type'] ?? 'application/octet-stream')
    const body = sink === undefined ? null : new PassThrough()
    const limit = body === null ? collectLimit : MAX_STREAMED_RESPONSE_BYTES
    let forwarding = body !== null
    if (body !== null) {
      // The error reaches readers that listen; one that does not must not take the emulator down.
      body.on('error', () => undefined)
      // A reader that went away (the client hung up) lets the runtime write on, into nothing.
      body.once('close', () => {
        forwarding = false
        request.resume()
      })
      try {
        sink?.({ contentType, body })
      } catch {
        body.destroy()
      }
    }
    const chunks: Buffer[] = []
    let bytes = 0
    let settled = false
    const settle = (received: ReceivedStream, cause?: Error): void => {
      if (settled) return
      settled = true
      if (cause === undefined) body?.end()
      else body?.destroy(cause)
      resolve(received)
    }
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > limit) {
        // Past the limit nothing more goes out; the rest is read and dropped so the runtime can finish.
        const received = sizeError(limit)
        settle(received, new Error(received.errorBody as string))
        return
      }
      if (settled) return
      if (!forwarding) {
        if (body === null) chunks.push(chunk)
        return
      }
      if (!(body as PassThrough).write(chunk)) {
        request.pause()
        body?.once('drain', () => request.resume())
      }
    })
    request.on('end', () => {
      const errorType = trailer(request, 'lambda-runtime-function-error-type')
      const encoded = trailer(request, 'lambda-runtime-function-error-body')
      const errorBody = encoded === null ? null : Buffer.from(encoded, 'base64').toString('utf8')
      const received = { body: Buffer.concat(chunks), errorType, errorBody }
      settle(received, errorType === null ? undefined : new Error(errorBody ?? errorType))
    })
    request.on('close', () => {
      if (request.complete) return
      const errorBody = JSON.stringify({
        errorType: 'Runtime.ExitError',
        errorMessage: 'the runtime stopped in the middle of a streamed response',
      })
      settle({ body: Buffer.alloc(0), errorType: 'Runtime.ExitError', errorBody }, new Error(errorBody))
    })
  })

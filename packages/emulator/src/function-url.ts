/**
 * A streamed response served as a Lambda Function URL serves it: with the content type
 * `application/vnd.awslambda.http-integration-response`, the status, headers and cookies come from
 * the JSON prelude before eight NUL bytes, and the rest is the body; any other content type is the
 * body itself, with status 200. Each chunk goes out as the runtime writes it (chunked encoding).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isRecord } from '@lambda-lifetime/commons'
import type { InvokeOptions, ResponseStream } from './types.js'

/** The content type of a response that starts with an HTTP prelude. */
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response'

const DELIMITER = Buffer.alloc(8)

/** Status, headers and cookies of a prelude; a prelude that is not a JSON object gives the defaults. */
const headOf = (prelude: Buffer): { statusCode: number; headers: Record<string, string | string[]> } => {
  let parsed: unknown
  try {
    parsed = JSON.parse(prelude.toString('utf8'))
  } catch {
    parsed = null
  }
  const value = isRecord(parsed) ? parsed : {}
  const status = Number(value.statusCode)
  const headers: Record<string, string | string[]> = {}
  if (isRecord(value.headers)) {
    for (const [name, header] of Object.entries(value.headers)) headers[name.toLowerCase()] = String(header)
  }
  if (Array.isArray(value.cookies)) headers['set-cookie'] = value.cookies.map(String)
  return { statusCode: Number.isInteger(status) && status >= 100 && status <= 599 ? status : 200, headers }
}

/**
 * Serves `stream` on `response`. Nothing is written before the first byte of the body (or the end
 * of the prelude), so a function that fails before writing anything gets the usual error answer:
 * resolves false then, and true once the response was served. A failure after the head went out
 * cuts the connection, as a Function URL does, so the client sees an incomplete response.
 *
 * @example
 * ```ts
 * await invoke(name, payload, { onResponseStream: (stream) => { served = sendFunctionUrlStream(stream, response) } })
 * ```
 */
export const sendFunctionUrlStream = (stream: ResponseStream, response: ServerResponse): Promise<boolean> =>
  new Promise((resolve) => {
    const withPrelude = stream.contentType === HTTP_INTEGRATION_CONTENT_TYPE
    let pending = Buffer.alloc(0)
    let started = false
    const start = (statusCode: number, headers: Record<string, string | string[]>): void => {
      started = true
      response.writeHead(statusCode, headers)
    }
    const forward = (chunk: Buffer): void => {
      if (chunk.length > 0 && !response.write(chunk)) {
        stream.body.pause()
        response.once('drain', () => stream.body.resume())
      }
    }
    stream.body.on('data', (chunk: Buffer) => {
      if (started) return forward(chunk)
      if (!withPrelude) {
        start(200, { 'content-type': stream.contentType })
        return forward(chunk)
      }
      pending = Buffer.concat([pending, chunk])
      const end = pending.indexOf(DELIMITER)
      if (end < 0) return
      const { statusCode, headers } = headOf(pending.subarray(0, end))
      start(statusCode, headers)
      forward(pending.subarray(end + DELIMITER.length))
    })
    stream.body.on('end', () => {
      if (!started) {
        // A prelude with no delimiter, or no byte at all: the prelude alone, or an empty 200.
        if (withPrelude && pending.length > 0) start(headOf(pending).statusCode, headOf(pending).headers)
        else start(200, { 'content-type': stream.contentType })
      }
      response.end()
      resolve(true)
    })
    stream.body.on('error', () => {
      if (started) response.destroy()
      resolve(started)
    })
    // The client hung up: the runtime's writes go nowhere.
    response.once('close', () => {
      if (!response.writableFinished) stream.body.destroy()
    })
  })

/**
 * The invoke options of one front-door request: its trace header, and a response stream served as a
 * Function URL serves it. `served()` tells, once the invocation ended, whether the stream answered.
 *
 * @example
 * ```ts
 * const url = functionUrlInvocation(request, response)
 * await backend.invokeRaw(name, payload, url.options)
 * if (await url.served()) return
 * ```
 */
export const functionUrlInvocation = (
  request: IncomingMessage,
  response: ServerResponse,
): { options: InvokeOptions; served(): Promise<boolean> } => {
  let served: Promise<boolean> | undefined
  const trace = request.headers['x-amzn-trace-id']
  return {
    options: {
      ...(typeof trace === 'string' ? { traceHeader: trace } : {}),
      onResponseStream: (stream) => {
        served = sendFunctionUrlStream(stream, response)
      },
    },
    served: () => served ?? Promise.resolve(false),
  }
}

/**
 * The AWS event stream encoding (`application/vnd.amazon.eventstream`) of InvokeWithResponseStream:
 * each message is a prelude (total and header lengths, CRC32), string headers, the payload and a CRC32
 * of the whole. Lambda sends `PayloadChunk` events with the function's bytes, then one `InvokeComplete`.
 */
import type { ServerResponse } from 'node:http'
import { crc32 } from 'node:zlib'
import type { InvokeOptions, InvokeResult } from './types.js'

/** Header value type 7: a UTF-8 string with a 2-byte length. */
const STRING_TYPE = 7

const encodeHeaders = (headers: Readonly<Record<string, string>>): Buffer =>
  Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const nameBytes = Buffer.from(name, 'utf8')
      const valueBytes = Buffer.from(value, 'utf8')
      const header = Buffer.alloc(1 + nameBytes.length + 1 + 2)
      header.writeUInt8(nameBytes.length, 0)
      nameBytes.copy(header, 1)
      header.writeUInt8(STRING_TYPE, 1 + nameBytes.length)
      header.writeUInt16BE(valueBytes.length, 2 + nameBytes.length)
      return Buffer.concat([header, valueBytes])
    }),
  )

const uint32 = (value: number): Buffer => {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32BE(value >>> 0)
  return bytes
}

/**
 * One event stream message.
 *
 * @example
 * ```ts
 * eventStreamMessage({ ':message-type': 'event', ':event-type': 'PayloadChunk' }, Buffer.from('hi'))
 * ```
 */
export const eventStreamMessage = (headers: Readonly<Record<string, string>>, payload: Buffer): Buffer => {
  const headerBytes = encodeHeaders(headers)
  const prelude = Buffer.concat([
    uint32(16 + headerBytes.length + payload.length),
    uint32(headerBytes.length),
  ])
  const message = Buffer.concat([prelude, uint32(crc32(prelude)), headerBytes, payload])
  return Buffer.concat([message, uint32(crc32(message))])
}

/**
 * A `PayloadChunk` event carrying bytes of the function's response.
 *
 * @example
 * ```ts
 * response.write(payloadChunk(Buffer.from('first chunk')))
 * ```
 */
export const payloadChunk = (bytes: Buffer): Buffer =>
  eventStreamMessage(
    { ':message-type': 'event', ':event-type': 'PayloadChunk', ':content-type': 'application/octet-stream' },
    bytes,
  )

/** What the `InvokeComplete` event reports. */
export interface InvokeCompleteDetails {
  readonly errorCode?: string
  readonly errorDetails?: string
  readonly logResult?: string
}

/**
 * The `InvokeComplete` event that ends the stream: the function's error type and message when it
 * failed, and the log tail when asked for.
 *
 * @example
 * ```ts
 * response.end(invokeComplete({ errorCode: 'Error', errorDetails: 'failed mid-stream' }))
 * ```
 */
export const invokeComplete = (details: InvokeCompleteDetails): Buffer =>
  eventStreamMessage(
    { ':message-type': 'event', ':event-type': 'InvokeComplete', ':content-type': 'application/json' },
    Buffer.from(
      JSON.stringify({
        ...(details.errorCode === undefined ? {} : { ErrorCode: details.errorCode }),
        ...(details.errorDetails === undefined ? {} : { ErrorDetails: details.errorDetails }),
        ...(details.logResult === undefined ? {} : { LogResult: details.logResult }),
      }),
    ),
  )

const errorOf = (payload: string): { errorCode?: string; errorDetails?: string } => {
  try {
    const error = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown }
    return {
      errorCode: String(error.errorType ?? 'Unhandled'),
      errorDetails: String(error.errorMessage ?? ''),
    }
  } catch {
    return { errorCode: 'Unhandled', errorDetails: payload.slice(0, 1000) }
  }
}

/**
 * Answers InvokeWithResponseStream: the head goes out when the function starts streaming (or, for a
 * function that does not stream, when it answered), each chunk as a `PayloadChunk` as it is written,
 * then `InvokeComplete` with the function's error, if any, and the log tail. Refusals before the
 * head (throttling, unknown function) are thrown for the route's error answer.
 *
 * @example
 * ```ts
 * await answerWithResponseStream(response, (options) => backend.invokeRaw(name, payload, options))
 * ```
 */
export const answerWithResponseStream = async (
  response: ServerResponse,
  invoke: (options: InvokeOptions) => Promise<InvokeResult>,
): Promise<void> => {
  const start = (contentType: string): void => {
    if (response.headersSent) return
    response.writeHead(200, { 'Content-Type': contentType, 'X-Amz-Executed-Version': '$LATEST' })
  }
  let streamed: Promise<void> | undefined
  const result = await invoke({
    onResponseStream: (stream) => {
      start(stream.contentType)
      streamed = new Promise((resolve) => {
        stream.body.on('data', (chunk: Buffer) => response.write(payloadChunk(chunk)))
        stream.body.once('close', resolve)
      })
    },
  })
  await streamed
  start('application/json')
  if (streamed === undefined && result.functionError === undefined && result.payload.length > 0)
    response.write(payloadChunk(Buffer.from(result.payload)))
  const error = result.functionError === undefined ? {} : errorOf(result.payload)
  response.end(
    invokeComplete({ ...error, ...(result.logResult === undefined ? {} : { logResult: result.logResult }) }),
  )
}

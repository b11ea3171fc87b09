/** Streamed responses between a runtime and a caller, over real HTTP connections. */
import { createServer, type IncomingMessage, request, type Server } from 'node:http'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, test } from '@jest/globals'
import { HTTP_INTEGRATION_CONTENT_TYPE, sendFunctionUrlStream } from '../src/function-url.js'
import { type ReceivedStream, receiveStream } from '../src/response-stream.js'
import type { ResponseStream } from '../src/types.js'

let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
  server = undefined
})

const listen = async (handler: Parameters<typeof createServer>[1]): Promise<number> => {
  server = createServer(handler)
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

/** POSTs chunks as the runtime client does, with trailers; `abort` cuts the connection after them. */
const post = (port: number, chunks: string[], trailers: Record<string, string> = {}, abort = false) => {
  const client = request({
    port,
    host: '127.0.0.1',
    method: 'POST',
    headers: {
      'Content-Type': 'text/plain',
      'Transfer-Encoding': 'chunked',
      Trailer: Object.keys(trailers).join(', '),
    },
  })
  client.on('error', () => undefined)
  for (const chunk of chunks) client.write(chunk)
  if (abort) setTimeout(() => client.destroy(), 50)
  else {
    client.addTrailers(trailers)
    client.end()
  }
}

const receive = async (
  chunks: string[],
  options: {
    trailers?: Record<string, string>
    abort?: boolean
    sink?: (stream: ResponseStream) => void
    limit?: number
  } = {},
): Promise<ReceivedStream> => {
  let received: Promise<ReceivedStream> | undefined
  const arrived = new Promise<void>((resolve) => {
    void listen((incoming, response) => {
      received = receiveStream(incoming, options.sink, options.limit ?? 1024)
      void received.then(() => {
        response.end()
        resolve()
      })
    }).then((port) => post(port, chunks, options.trailers, options.abort))
  })
  await arrived
  return received as Promise<ReceivedStream>
}

const errorTrailers = {
  'Lambda-Runtime-Function-Error-Type': 'Error',
  'Lambda-Runtime-Function-Error-Body': Buffer.from('{"errorType":"Error","errorMessage":"late"}').toString(
    'base64',
  ),
}

describe('receiveStream', () => {
  test('without a sink the body is collected, and the error trailers are read', async () => {
    // Act
    const ok = await receive(['a', 'b'])
    const failed = await receive(['a'], { trailers: errorTrailers })

    // Assess
    expect(ok).toEqual({ body: Buffer.from('ab'), errorType: null, errorBody: null })
    expect(failed.errorType).toBe('Error')
    expect(JSON.parse(failed.errorBody as string)).toEqual({ errorType: 'Error', errorMessage: 'late' })
  })

  test('past the limit the response is a size error, and the runtime may finish writing', async () => {
    // Act
    const received = await receive(['x'.repeat(600), 'y'.repeat(600)], { limit: 1000 })

    // Assess
    expect(received.errorType).toBe('Function.ResponseSizeTooLarge')
    expect(received.errorBody).toContain('1000 bytes')
  })

  test('a runtime that goes away mid-stream ends it with an error, and the sink sees the error', async () => {
    // Prepare
    let sinkError: unknown
    const sink = (stream: ResponseStream) => {
      stream.body.on('error', (error) => {
        sinkError = error
      })
      stream.body.resume()
    }

    // Act
    const received = await receive(['a'], { abort: true, sink })

    // Assess
    expect(received.errorType).toBe('Runtime.ExitError')
    expect(sinkError).toBeInstanceOf(Error)
  })

  test('a slow reader holds the runtime back instead of buffering without bound, and gets every byte', async () => {
    // Prepare: the reader starts late, so the first chunks fill the body's buffer.
    let read = 0
    const sink = (stream: ResponseStream) => {
      stream.body.on('data', (chunk: Buffer) => {
        read += chunk.length
      })
      stream.body.pause()
      setTimeout(() => stream.body.resume(), 50)
    }

    // Act
    const received = await receive(['a'.repeat(64 * 1024), 'b'.repeat(64 * 1024)], { sink })

    // Assess
    expect(received.errorType).toBeNull()
    expect(read).toBe(128 * 1024)
  })

  test('a sink that throws or stops reading does not stop the runtime from finishing', async () => {
    // Act
    const thrown = await receive(['a', 'b'], {
      sink: () => {
        throw new Error('the caller failed')
      },
    })
    const hungUp = await receive(['a', 'b'], { sink: (stream) => stream.body.destroy() })

    // Assess
    expect(thrown.errorType).toBeNull()
    expect(hungUp.errorType).toBeNull()
  })
})

/** Serves a stream fed by `feed` through sendFunctionUrlStream; returns what a client got. */
const serveStream = async (contentType: string, feed: (body: PassThrough) => void) => {
  const served: Promise<boolean>[] = []
  const port = await listen((_incoming, response) => {
    const body = new PassThrough()
    served.push(sendFunctionUrlStream({ contentType, body }, response))
    feed(body)
  })
  const answer = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>(
    (resolve) => {
      request({ port, host: '127.0.0.1' }, (response) => {
        let text = ''
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8')
        })
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        )
      }).end()
    },
  )
  return { ...answer, served: await served[0] }
}

describe('sendFunctionUrlStream', () => {
  test('without the prelude content type the bytes are the body, with status 200', async () => {
    // Act
    const answer = await serveStream('application/json', (body) => body.end('{"a":1}'))

    // Assess
    expect(answer).toMatchObject({ status: 200, body: '{"a":1}', served: true })
    expect(answer.headers['content-type']).toBe('application/json')
  })

  test('a prelude split across chunks, and a prelude that is not JSON, give status and headers or the defaults', async () => {
    // Act
    const split = await serveStream(HTTP_INTEGRATION_CONTENT_TYPE, (body) => {
      body.write('{"statusCode":404,')
      body.write('"headers":{"X-A":"b"}}\0\0\0\0')
      body.end(Buffer.concat([Buffer.alloc(4), Buffer.from('gone')]))
    })
    const garbled = await serveStream(HTTP_INTEGRATION_CONTENT_TYPE, (body) => {
      body.end(Buffer.concat([Buffer.from('not json'), Buffer.alloc(8), Buffer.from('body')]))
    })

    // Assess
    expect(split).toMatchObject({ status: 404, body: 'gone' })
    expect(split.headers['x-a']).toBe('b')
    expect(garbled).toMatchObject({ status: 200, body: 'body' })
  })

  test('a prelude with no body, and an empty stream, still answer', async () => {
    // Act
    const preludeOnly = await serveStream(HTTP_INTEGRATION_CONTENT_TYPE, (body) =>
      body.end('{"statusCode":204}'),
    )
    const empty = await serveStream('text/plain', (body) => body.end())

    // Assess
    expect(preludeOnly).toMatchObject({ status: 204, body: '' })
    expect(empty).toMatchObject({ status: 200, body: '' })
  })
})

/**
 * One local HTTP API in front of both examples, routed by path as an API Gateway HTTP API with two
 * routes would be: `/hello` and below go to the hello function, everything else to the orders-api.
 * Built from the emulator's own parts (`toHttpApiEvent`, `fromHttpApiResult`, `emulator.invoke`), so the
 * events and answers are the emulator's HTTP front door's; only the choice of function is added.
 */
import { createServer } from 'node:http'

/** Lambda's synchronous payload limit; API Gateway answers 413 above it. */
const MAX_BODY_BYTES = 6 * 1024 * 1024

const answerJson = (statusCode, message) => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ message })),
})

const readBody = async (request) => {
  const chunks = []
  let size = 0
  for await (const chunk of request) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) return null
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/**
 * Starts the front door on 127.0.0.1.
 *
 * @example
 * const door = await startFrontDoor({ emulator, port: 3000, routes: [['/hello', 'hello']], fallback: 'orders-api' })
 * await door.stop()
 */
export const startFrontDoor = async ({ emulator, port = 0, routes, fallback }) => {
  const { fromHttpApiResult, toHttpApiEvent } = await import('@lambda-lifetime/emulator')
  const functionFor = (path) =>
    routes.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`))?.[1] ?? fallback

  const answer = async (request) => {
    const body = await readBody(request)
    if (body === null) return answerJson(413, 'Request Entity Too Large')
    const event = toHttpApiEvent({
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      body,
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      accountId: '000000000000',
    })
    try {
      const result = await emulator.invoke(functionFor(event.rawPath), event)
      return fromHttpApiResult(result.payload, result.functionError !== undefined)
    } catch (error) {
      // The Invoke API refused: throttled (429 TooManyRequestsException), as API Gateway passes it on.
      return error?.statusCode === 429
        ? answerJson(429, 'Too Many Requests')
        : answerJson(500, 'Internal Server Error')
    }
  }

  const server = createServer((request, response) => {
    answer(request).then(
      ({ statusCode, headers, body }) =>
        response.writeHead(statusCode, { ...headers, 'content-length': body.length }).end(body),
      () => response.destroy(),
    )
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/**
 * A minimal Lambda Runtime API for tests: queues invocations, hands them to the runtime client on
 * `GET /runtime/invocation/next`, and resolves them when it posts a response or an error.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

interface Pending {
  readonly id: string
  readonly event: unknown
  readonly resolve: (value: { ok: boolean; body: unknown }) => void
}

export const startRuntimeApi = async () => {
  const queue: Pending[] = []
  const waiting: ServerResponse[] = []
  const inFlight = new Map<string, Pending>()

  const deliver = () => {
    while (queue.length > 0 && waiting.length > 0) {
      const next = queue.shift() as Pending
      const response = waiting.shift() as ServerResponse
      inFlight.set(next.id, next)
      response.writeHead(200, {
        'Content-Type': 'application/json',
        'Lambda-Runtime-Aws-Request-Id': next.id,
        'Lambda-Runtime-Deadline-Ms': String(Date.now() + 30_000),
        'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:eu-west-1:123456789012:function:lifetime',
        'Lambda-Runtime-Trace-Id': `Root=1-${Date.now().toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)}`,
      })
      response.end(JSON.stringify(next.event))
    }
  }

  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      const url = request.url ?? ''
      if (request.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
        waiting.push(response)
        return deliver()
      }
      const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url)
      const pending = match ? inFlight.get(match[1] as string) : undefined
      if (pending !== undefined && match) {
        inFlight.delete(pending.id)
        pending.resolve({ ok: match[2] === 'response', body: body ? JSON.parse(body) : undefined })
        return response.writeHead(202).end('{}')
      }
      response.writeHead(url.endsWith('/init/error') ? 202 : 404).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    address: `127.0.0.1:${port}`,
    invoke: (event: unknown) =>
      new Promise<{ ok: boolean; body: unknown }>((resolve) => {
        queue.push({ id: randomUUID(), event, resolve })
        deliver()
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

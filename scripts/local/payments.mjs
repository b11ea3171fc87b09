/**
 * A tiny stand-in for the payments service the orders-api calls, with a switch to take it down.
 *
 * `POST /charges` answers 201 `{ chargeId }` when up, 503 at once when down, and never answers when slow
 * (the caller's timeout decides). `POST /_control/up|down|slow` flips the switch from a terminal;
 * `setMode()` does it from code.
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'

const MODES = new Set(['up', 'down', 'slow'])

/**
 * Starts the fake payments server on 127.0.0.1.
 *
 * @example
 * const payments = await startPayments({ port: 0 })
 * payments.setMode('down') // every charge now gets 503
 * await payments.stop()
 */
export const startPayments = async ({ port = 0 } = {}) => {
  let mode = 'up'
  const stats = { charges: 0, refused: 0 }
  const hanging = new Set()

  const server = createServer((request, response) => {
    const control = /^\/_control\/(up|down|slow)$/.exec(request.url ?? '')
    if (request.method === 'POST' && control !== null) {
      mode = control[1]
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ mode }))
      return
    }
    if (request.method !== 'POST' || request.url !== '/charges') {
      response.writeHead(404).end()
      return
    }
    request.resume()
    if (mode === 'down') {
      stats.refused++
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"payments down"}')
      return
    }
    if (mode === 'slow') {
      hanging.add(response)
      response.on('close', () => hanging.delete(response))
      return
    }
    stats.charges++
    response
      .writeHead(201, { 'content-type': 'application/json' })
      .end(JSON.stringify({ chargeId: `ch_${randomUUID().replaceAll('-', '').slice(0, 16)}` }))
  })

  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  const address = server.address()

  return {
    url: `http://127.0.0.1:${address.port}`,
    get mode() {
      return mode
    },
    stats,
    setMode(next) {
      if (!MODES.has(next)) throw new TypeError(`payments mode must be up, down or slow, got ${next}`)
      mode = next
    },
    stop() {
      for (const response of hanging) response.destroy()
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * Server-sent events to the open dashboards. The emulator's events arrive synchronously and must
 * never wait on a browser: a write never blocks, and a client that does not read (a slow network, a
 * suspended laptop tab, a dead peer) is cut once more than `maxBufferedBytes` wait for it; its
 * browser reconnects on its own and starts again from a fresh snapshot.
 */
import type { ServerResponse } from 'node:http'

/** Bounds of the stream. */
export interface EventStreamLimits {
  /** Most browsers connected at once; past it, 503. Default 16. */
  readonly maxClients?: number
  /** Most bytes waiting for one client before it is cut. Default 1 MB. */
  readonly maxBufferedBytes?: number
  /** A comment line this often, so that a dead connection is noticed. Default 15 s. */
  readonly heartbeatMs?: number
}

const DEFAULT_LIMITS = { maxClients: 16, maxBufferedBytes: 1024 * 1024, heartbeatMs: 15_000 } as const

/** How long a browser waits before it reconnects. */
const RETRY_MS = 1_000

/**
 * The set of connected browsers, each written to without waiting.
 *
 * @example
 * ```ts
 * const stream = new EventStream()
 * stream.open(response, JSON.stringify(snapshot))
 * stream.send(JSON.stringify(update))
 * ```
 */
export class EventStream {
  readonly #clients = new Set<ServerResponse>()
  readonly #limits: Required<EventStreamLimits>
  readonly #heartbeat: NodeJS.Timeout
  /** Clients cut for not reading, since the start. */
  dropped = 0

  constructor(limits: EventStreamLimits = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits }
    this.#heartbeat = setInterval(() => this.#write(': ping\n\n'), this.#limits.heartbeatMs)
    this.#heartbeat.unref()
  }

  get size(): number {
    return this.#clients.size
  }

  /** Starts a stream on `response` with the snapshot first; false (and a 503) when too many are open. */
  open(response: ServerResponse, snapshot: string): boolean {
    if (this.#clients.size >= this.#limits.maxClients) {
      const body = JSON.stringify({
        message: `too many dashboards are open (${this.#limits.maxClients}); close one and reload`,
      })
      response.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '5' }).end(body)
      return false
    }
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    })
    this.#clients.add(response)
    response.once('close', () => this.#clients.delete(response))
    this.#writeTo(response, `retry: ${RETRY_MS}\nevent: snapshot\ndata: ${snapshot}\n\n`)
    return true
  }

  /** Sends one update (JSON text, one line) to every client. */
  send(data: string): void {
    if (this.#clients.size > 0) this.#write(`data: ${data}\n\n`)
  }

  #write(chunk: string): void {
    for (const client of this.#clients) this.#writeTo(client, chunk)
  }

  #writeTo(client: ServerResponse, chunk: string): void {
    if (client.writableLength + Buffer.byteLength(chunk) > this.#limits.maxBufferedBytes) {
      this.#clients.delete(client)
      this.dropped += 1
      client.destroy()
      return
    }
    client.write(chunk)
  }

  /** Ends every stream and the heartbeat. */
  close(): void {
    clearInterval(this.#heartbeat)
    for (const client of this.#clients) client.end()
    this.#clients.clear()
  }
}

/**
 * The Telemetry API of one environment: the subscriptions its extensions made, and the delivery of
 * platform events and log lines to each, batched as Lambda batches them (`maxItems`, `maxBytes`,
 * `timeoutMs`). Delivery never holds up an invocation: events are queued and sent in the
 * background, one batch in flight per subscriber; a batch that fills while the previous one is still
 * on its way is dropped and reported with `platform.logsDropped`, as Lambda does with a slow
 * subscriber, so memory stays bounded whatever the subscriber does.
 */
import { request as httpRequest } from 'node:http'
import { connect, type Socket } from 'node:net'
import { type TelemetryEvent, versionedEvent } from './telemetry-records.js'
import type { TelemetrySubscription } from './telemetry-subscription.js'

/**
 * Lambda retries a batch with backoff when no one listens or the POST fails; these waits, then the
 * batch is dropped and reported (its memory is the one batch in flight, so retries keep the bound).
 */
export const RETRY_DELAYS_MS: readonly number[] = [100, 200, 400]

/** Lambda replays the init's events to an extension that subscribes during init; at most this many. */
const MAX_INIT_EVENTS = 10_000

/** Sends one batch; resolves when the subscriber took it, rejects with the reason it did not. */
type Send = (body: readonly string[]) => Promise<void>

/** Aborts whatever a delivery still has open. */
interface Delivery {
  readonly send: Send
  close(): void
}

/** HTTP: one POST per batch, a JSON array of events; any answer below 400 takes it. */
const httpDelivery = (port: number, path: string): Delivery => {
  const open = new Set<{ destroy(): void }>()
  const send: Send = (events) =>
    new Promise((resolve, reject) => {
      const body = `[${events.join(',')}]`
      const call = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        },
        (response) => {
          response.resume()
          response.on('end', () => {
            open.delete(call)
            const status = response.statusCode ?? 500
            if (status < 400) resolve()
            else reject(new Error(`the subscriber answered ${status}`))
          })
        },
      )
      open.add(call)
      call.on('error', (error) => {
        open.delete(call)
        reject(error)
      })
      call.end(body)
    })
  return {
    send,
    close: () => {
      for (const call of open) call.destroy()
      open.clear()
    },
  }
}

/** TCP: one connection, kept; each event a line of JSON (NDJSON). */
const tcpDelivery = (port: number): Delivery => {
  let socket: Socket | null = null
  const connected = (): Socket => {
    if (socket !== null && !socket.destroyed) return socket
    const fresh = connect({ host: '127.0.0.1', port })
    // Errors surface through the write's callback; a broken socket is replaced on the next batch.
    fresh.on('error', () => fresh.destroy())
    socket = fresh
    return fresh
  }
  const send: Send = (events) =>
    new Promise((resolve, reject) => {
      const target = connected()
      // A write on a connection that failed or closed gets its error in this callback.
      target.write(`${events.join('\n')}\n`, (error) => (error ? reject(error) : resolve()))
    })
  return { send, close: () => socket?.destroy() }
}

/** Events lost since the subscriber was last told. */
interface Dropped {
  readonly bytes: number
  readonly records: number
  readonly reason: string
}

/** `platform.logsDropped`, as the subscriber's schema version writes it. */
const droppedReport = (dropped: Dropped, subscription: TelemetrySubscription): string =>
  JSON.stringify(
    versionedEvent(
      {
        category: 'platform',
        time: new Date().toISOString(),
        type: 'platform.logsDropped',
        record: { droppedBytes: dropped.bytes, droppedRecords: dropped.records, reason: dropped.reason },
      },
      subscription.schemaVersion,
    ),
  )

/**
 * One extension's subscription: a batch filling up, and at most one on its way. Lambda's buffering
 * settings bound the batch; the batch in flight is the only other memory it holds.
 */
class Subscriber {
  readonly name: string
  readonly subscription: TelemetrySubscription
  readonly #delivery: Delivery
  #batch: string[] = []
  #batchBytes = 0
  #timer: NodeJS.Timeout | undefined
  #inFlight: Promise<void> | null = null
  /** Dropped since the last report: told with the next event, so a dead subscriber is not fed reports alone. */
  #dropped: Dropped | null = null
  #closed = false
  #retryTimer: NodeJS.Timeout | undefined

  constructor(name: string, subscription: TelemetrySubscription) {
    this.name = name
    this.subscription = subscription
    const { destination } = subscription
    this.#delivery =
      destination.protocol === 'HTTP'
        ? httpDelivery(destination.port, destination.path)
        : tcpDelivery(destination.port)
  }

  wants(event: TelemetryEvent): boolean {
    return this.subscription.types.includes(event.category)
  }

  add(event: TelemetryEvent): void {
    if (this.#closed) return
    const text = JSON.stringify(versionedEvent(event, this.subscription.schemaVersion))
    this.#batch.push(text)
    this.#batchBytes += Buffer.byteLength(text)
    const { maxItems, maxBytes, timeoutMs } = this.subscription.buffering
    if (this.#batch.length >= maxItems || this.#batchBytes >= maxBytes) {
      this.#ship(true)
      return
    }
    this.#timer ??= setTimeout(() => this.#ship(false), timeoutMs)
  }

  /**
   * Sends the batch. One that is full while the last is still on its way is dropped (`full`);
   * one whose time is up waits for the last to arrive.
   */
  #ship(full: boolean): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#batch.length === 0) return
    if (this.#inFlight !== null) {
      if (full) this.#drop(this.#takeBatch(), 'the subscriber is slower than the telemetry it asked for')
      return
    }
    const batch = this.#takeBatch()
    // What was dropped so far is told at the head of the next batch that goes, and counted again if
    // that one is lost too.
    const dropped = this.#dropped
    this.#dropped = null
    this.#inFlight = this.#sendWithRetries(
      dropped === null ? batch.events : [droppedReport(dropped, this.subscription), ...batch.events],
    )
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error)
        if (dropped !== null) this.#drop({ events: [], bytes: 0 }, dropped.reason, dropped)
        this.#drop(batch, `the batch could not be delivered: ${reason}`)
      })
      .finally(() => {
        this.#inFlight = null
        // What waited for the last batch goes now.
        if (this.#batch.length > 0 && this.#timer === undefined && !this.#closed) this.#ship(false)
      })
  }

  async #sendWithRetries(events: readonly string[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#delivery.send(events)
      } catch (error) {
        const delay = RETRY_DELAYS_MS[attempt]
        if (delay === undefined || this.#closed) throw error
        await new Promise((resolve) => {
          this.#retryTimer = setTimeout(resolve, delay)
        })
      }
    }
  }

  #takeBatch(): { events: string[]; bytes: number } {
    const taken = { events: this.#batch, bytes: this.#batchBytes }
    this.#batch = []
    this.#batchBytes = 0
    return taken
  }

  #drop(batch: { events: readonly string[]; bytes: number }, reason: string, earlier?: Dropped): void {
    const before = this.#dropped
    this.#dropped = {
      bytes: (before?.bytes ?? 0) + (earlier?.bytes ?? 0) + batch.bytes,
      records: (before?.records ?? 0) + (earlier?.records ?? 0) + batch.events.length,
      reason,
    }
  }

  /** Sends what is buffered now, and waits for what is on its way (never longer than the caller's bound). */
  async flush(): Promise<void> {
    if (this.#inFlight !== null) await this.#inFlight
    this.#ship(false)
    if (this.#inFlight !== null) await this.#inFlight
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    clearTimeout(this.#retryTimer)
    this.#batch = []
    this.#delivery.close()
  }
}

/** The answer to a subscription request, as the Runtime API sends it. */
export interface SubscribeAnswer {
  readonly status: number
  readonly body: unknown
}

/**
 * The subscriptions of one environment's runtime and the events they receive.
 *
 * @example
 * ```ts
 * const telemetry = new TelemetryHub()
 * telemetry.subscribe('watcher', parsedSubscription) // { status: 200, body: 'OK' }
 * telemetry.publish({ category: 'platform', time: new Date().toISOString(), type: 'platform.start',
 *   record: { requestId: 'r1', version: '$LATEST' } })
 * await telemetry.flush(500)
 * telemetry.close()
 * ```
 */
export class TelemetryHub {
  readonly #subscribers = new Map<string, Subscriber>()
  /** The events of the init under way, replayed to whoever subscribes before it ends; null once it ended. */
  #initEvents: TelemetryEvent[] | null = []

  /** Someone listens, or may still subscribe and be replayed the init: events are worth making. */
  get listening(): boolean {
    return this.#subscribers.size > 0 || this.#initEvents !== null
  }

  publish(event: TelemetryEvent): void {
    if (this.#initEvents !== null && this.#initEvents.length < MAX_INIT_EVENTS) this.#initEvents.push(event)
    for (const subscriber of this.#subscribers.values()) {
      if (subscriber.wants(event)) subscriber.add(event)
    }
  }

  /**
   * Subscribes an extension (by name; it registered first). Lambda takes subscriptions during init
   * only: 403 `Telemetry.SubscriptionClosed` after it; a second subscription of the same extension
   * replaces the first.
   */
  subscribe(name: string, subscription: TelemetrySubscription): SubscribeAnswer {
    if (this.#initEvents === null) {
      return {
        status: 403,
        body: {
          errorType: 'Telemetry.SubscriptionClosed',
          errorMessage: 'Telemetry API subscription is closed: extensions subscribe during init',
        },
      }
    }
    this.#subscribers.get(name)?.close()
    const subscriber = new Subscriber(name, subscription)
    this.#subscribers.set(name, subscriber)
    for (const event of this.#initEvents) if (subscriber.wants(event)) subscriber.add(event)
    this.publish({
      category: 'platform',
      time: new Date().toISOString(),
      type: 'platform.telemetrySubscription',
      record: { name, state: 'Subscribed', types: [...subscription.types] },
    })
    return { status: 200, body: 'OK' }
  }

  /** The init ended (every extension is ready): no more subscriptions, no more replay. */
  closeSubscriptions(): void {
    this.#initEvents = null
  }

  /**
   * A new runtime starts its init: the old one's subscribers went with its processes, and the new
   * one's extensions subscribe again.
   */
  restart(): void {
    this.close()
    this.#initEvents = []
  }

  /** Delivers what every subscriber has buffered, within `budgetMs`. */
  async flush(budgetMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const budget = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, budgetMs)
    })
    const flushed = Promise.all([...this.#subscribers.values()].map((subscriber) => subscriber.flush()))
    await Promise.race([flushed, budget])
    clearTimeout(timer)
  }

  /** Stops every delivery; what is still buffered is dropped. */
  close(): void {
    for (const subscriber of this.#subscribers.values()) subscriber.close()
    this.#subscribers.clear()
    this.#initEvents = null
  }
}

/**
 * The extensions one runtime registered through the Extensions API, and their long polls. Every
 * extension here is internal (it runs inside the runtime process); external extensions (their own
 * processes, SHUTDOWN events) would be registered here too, with a process each.
 */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { sendJson } from './runtime-api.js'

interface Extension {
  readonly name: string
  readonly events: readonly string[]
  polled: boolean
  poll: ServerResponse | null
  /** An INVOKE it has not received yet: it goes out with its next poll. */
  waiting: InvokeEvent | null
  /** It got an INVOKE and has not asked for its next event since: the invocation is not over. */
  busy: boolean
}

/** An INVOKE event as extensions receive it. */
export interface InvokeEvent {
  readonly requestId: string
  readonly deadlineMs: number
  readonly invokedFunctionArn: string
  readonly traceId: string
}

/** What a registration answers: the function the extension runs beside. */
export interface ExtensionRegistration {
  readonly functionName: string
  readonly functionVersion: string
  readonly handler: string
}

export class ExtensionRegistry {
  readonly #extensions = new Map<string, Extension>()
  readonly #registration: ExtensionRegistration

  constructor(registration: ExtensionRegistration) {
    this.#registration = registration
  }

  get size(): number {
    return this.#extensions.size
  }

  names(): string[] {
    return [...this.#extensions.values()].map((extension) => extension.name)
  }

  /** The name an extension registered with, by its `Lambda-Extension-Identifier`; undefined when unknown. */
  nameOf(id: string): string | undefined {
    return this.#extensions.get(id)?.name
  }

  /** Each extension with the events it registered for (`platform.extension` at the end of init). */
  described(): { name: string; events: readonly string[] }[] {
    return [...this.#extensions.values()].map(({ name, events }) => ({ name, events }))
  }

  /** Every extension asked for its first event: with the runtime's first poll, that ends init. */
  get allPolled(): boolean {
    return [...this.#extensions.values()].every((extension) => extension.polled)
  }

  /** Answers a registration; `open` is false once the runtime asked for its first invocation. */
  register(name: string, events: readonly string[], open: boolean, response: ServerResponse): void {
    if (!open) {
      sendJson(response, 403, {
        errorType: 'Extension.RegistrationClosed',
        errorMessage: 'extensions register during init, before the runtime asks for its first invocation',
      })
      return
    }
    // Internal extensions may subscribe to INVOKE only; Lambda refuses anything else, SHUTDOWN included.
    const refused = events.find((event) => event !== 'INVOKE')
    if (refused !== undefined) {
      const why =
        refused === 'SHUTDOWN' ? 'ShutdownEventNotSupportedForInternalExtension' : 'ErrorInvalidEventType'
      sendJson(response, 403, { errorType: 'Extension.InvalidEventType', errorMessage: `${refused}: ${why}` })
      return
    }
    const id = randomUUID()
    this.#extensions.set(id, { name, events, polled: false, poll: null, waiting: null, busy: false })
    sendJson(response, 200, this.#registration, { 'Lambda-Extension-Identifier': id })
  }

  /** Keeps an extension's long poll; false (and a 403 answer) for an unknown identifier. */
  poll(id: string, response: ServerResponse): boolean {
    const extension = this.#extensions.get(id)
    if (extension === undefined) {
      sendJson(response, 403, {
        errorType: 'Extension.UnknownExtensionIdentifier',
        errorMessage: `unknown ${id}`,
      })
      return false
    }
    extension.polled = true
    extension.poll = response
    extension.busy = false
    if (extension.waiting !== null) this.#send(extension, extension.waiting)
    return true
  }

  /**
   * Every extension subscribed to INVOKE gets it: now if it is polling, else with its next poll.
   * Until each has asked for its next event again, the invocation is not over (`invokeDone`).
   */
  notifyInvoke(event: InvokeEvent): void {
    for (const extension of this.#extensions.values()) {
      if (!extension.events.includes('INVOKE')) continue
      extension.waiting = event
      extension.busy = true
      if (extension.poll !== null) this.#send(extension, event)
    }
  }

  #send(extension: Extension, event: InvokeEvent): void {
    sendJson(extension.poll as ServerResponse, 200, {
      eventType: 'INVOKE',
      deadlineMs: event.deadlineMs,
      requestId: event.requestId,
      invokedFunctionArn: event.invokedFunctionArn,
      tracing: { type: 'X-Amzn-Trace-Id', value: event.traceId },
    })
    extension.poll = null
    extension.waiting = null
  }

  /** Every extension that got the last INVOKE has asked for its next event. */
  get invokeDone(): boolean {
    return [...this.#extensions.values()].every((extension) => !extension.busy)
  }
}

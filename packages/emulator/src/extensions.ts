/**
 * The extensions one runtime registered through the Extensions API, and their long polls: internal
 * ones (inside the runtime process, INVOKE only) and external ones (the processes of the extensions
 * folder, see extension-process.ts, which may also take SHUTDOWN). Identifiers are random UUIDs,
 * sent back in `Lambda-Extension-Identifier`.
 */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { sendJson } from './runtime-api.js'

/** Lambda's extension states, as the `EXTENSION` log line and `platform.extension` name them. */
export type ExtensionState = 'Registered' | 'Ready' | 'InitError' | 'ExitError'

interface Extension {
  readonly name: string
  readonly events: readonly string[]
  /** A process of its own from the extensions folder (else it runs inside the runtime). */
  readonly external: boolean
  state: ExtensionState
  /** The error category it reported through `/extension/init/error` or `/extension/exit/error`. */
  reportedError: string | null
  polled: boolean
  poll: ServerResponse | null
  /** An event it has not received yet: it goes out with its next poll. */
  waiting: ExtensionEvent | null
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

/**
 * Why the environment shuts down, as a SHUTDOWN event says it: `spindown` (idle, retired, stopped),
 * `timeout` and `failure` (a reset after a timeout or a crash).
 */
export type ShutdownEventReason = 'spindown' | 'timeout' | 'failure'

type ExtensionEvent =
  | ({ readonly eventType: 'INVOKE' } & InvokeEvent)
  | {
      readonly eventType: 'SHUTDOWN'
      readonly deadlineMs: number
      readonly shutdownReason: ShutdownEventReason
    }

/** One line of the init's extension summary (`EXTENSION Name: … State: … Events: […]`). */
export interface ExtensionSummary {
  readonly name: string
  readonly state: ExtensionState
  readonly events: readonly string[]
  readonly errorType?: string
}

/** What a registration answers: the function the extension runs beside. */
export interface ExtensionRegistration {
  readonly functionName: string
  readonly functionVersion: string
  readonly handler: string
  /** Sent only to an extension that asks for it (`Lambda-Extension-Accept-Feature: accountId`). */
  readonly accountId?: string
}

/** Events each kind of extension may subscribe to (runtime interface emulator: `core.Validate*AgentEvent`). */
const ALLOWED_EVENTS = { internal: ['INVOKE'], external: ['INVOKE', 'SHUTDOWN'] } as const

export class ExtensionRegistry {
  readonly #extensions = new Map<string, Extension>()
  readonly #registration: ExtensionRegistration
  /** External extensions started and not registered yet, by name (their file names). */
  readonly #expected: Set<string>

  /** `external`: the names of the extension processes started for this runtime. */
  constructor(registration: ExtensionRegistration, external: readonly string[] = []) {
    this.#registration = registration
    this.#expected = new Set(external)
  }

  /** Every external extension registered: the runtime may start. */
  get externalRegistered(): boolean {
    return this.#expected.size === 0
  }

  /** External extensions registered (their processes get SHUTDOWN events and the 2 s budget). */
  get externalCount(): number {
    return [...this.#extensions.values()].filter((extension) => extension.external).length
  }

  /** Internal extensions registered: the runtime then gets 500 ms of the shutdown budget, else 300 ms. */
  get internalCount(): number {
    return this.#extensions.size - this.externalCount
  }

  /** What each registered extension reached, for the init's `EXTENSION` lines. */
  summaries(): ExtensionSummary[] {
    return [...this.#extensions.values()].map((extension) => ({
      name: extension.name,
      state: extension.state,
      events: extension.events,
      ...(extension.reportedError === null ? {} : { errorType: extension.reportedError }),
    }))
  }

  /**
   * The error type Lambda reports when this extension's process ends: `Extension.InitError` or
   * `Extension.ExitError` when it said why first, else `Extension.Crash`.
   */
  fatalErrorOf(name: string): string {
    const extension = [...this.#extensions.values()].find((candidate) => candidate.name === name)
    if (extension?.state === 'InitError') return 'Extension.InitError'
    if (extension?.state === 'ExitError') return 'Extension.ExitError'
    return 'Extension.Crash'
  }

  /** Names of the external extensions subscribed to SHUTDOWN. */
  shutdownSubscribers(): string[] {
    return [...this.#extensions.values()]
      .filter((extension) => extension.external && extension.events.includes('SHUTDOWN'))
      .map((extension) => extension.name)
  }

  get size(): number {
    return this.#extensions.size
  }

  /** Whether an extension registered with this identifier. */
  has(id: string): boolean {
    return this.#extensions.has(id)
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

  /**
   * Answers a registration; `open` is false once the runtime asked for its first invocation. A name
   * that is one of the started extension files registers that external extension (INVOKE and
   * SHUTDOWN allowed); any other name is an internal extension (INVOKE only), as Lambda tells them apart.
   */
  register(
    name: string,
    events: readonly string[],
    open: boolean,
    response: ServerResponse,
    features: readonly string[] = [],
  ): void {
    if (!open) {
      sendJson(response, 403, {
        errorType: 'Extension.RegistrationClosed',
        errorMessage: 'extensions register during init, before the runtime asks for its first invocation',
      })
      return
    }
    const external = this.#expected.has(name)
    const refused = events.find(
      (event) => !(ALLOWED_EVENTS[external ? 'external' : 'internal'] as readonly string[]).includes(event),
    )
    if (refused !== undefined) {
      const why =
        refused === 'SHUTDOWN' ? 'ShutdownEventNotSupportedForInternalExtension' : 'ErrorInvalidEventType'
      sendJson(response, 403, { errorType: 'Extension.InvalidEventType', errorMessage: `${refused}: ${why}` })
      return
    }
    if (!external && this.names().includes(name)) {
      sendJson(response, 403, {
        errorType: 'Extension.InvalidExtensionState',
        errorMessage: 'Extension with this name already registered',
      })
      return
    }
    this.#expected.delete(name)
    const id = randomUUID()
    this.#extensions.set(id, {
      name,
      events,
      external,
      state: 'Registered',
      reportedError: null,
      polled: false,
      poll: null,
      waiting: null,
      busy: false,
    })
    const { accountId, ...registration } = this.#registration
    const body =
      features.includes('accountId') && accountId !== undefined
        ? { ...registration, accountId }
        : registration
    sendJson(response, 200, body, { 'Lambda-Extension-Identifier': id })
  }

  /**
   * `/extension/init/error` and `/extension/exit/error`: the extension says why it is about to exit
   * (its own category in `Lambda-Extension-Function-Error-Type`). Lambda fails the init or resets the
   * environment when the process then ends, with `Extension.InitError` or `Extension.ExitError`.
   */
  reportError(
    kind: 'init' | 'exit',
    id: string,
    category: string | undefined,
    response: ServerResponse,
  ): void {
    const extension = this.#extensions.get(id)
    if (extension === undefined) {
      sendJson(response, 403, {
        errorType: 'Extension.UnknownExtensionIdentifier',
        errorMessage: 'Unknown Lambda-Extension-Identifier',
      })
      return
    }
    if (category === undefined || category.length === 0) {
      sendJson(response, 403, {
        errorType: 'Extension.MissingHeader',
        errorMessage: 'Lambda-Extension-Function-Error-Type not found',
      })
      return
    }
    extension.state = kind === 'init' ? 'InitError' : 'ExitError'
    extension.reportedError = category
    sendJson(response, 202, { status: 'OK' })
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
    if (extension.state === 'Registered') extension.state = 'Ready'
    extension.poll = response
    extension.busy = false
    if (extension.waiting !== null) this.#send(extension)
    return true
  }

  /**
   * Every extension subscribed to INVOKE gets it: now if it is polling, else with its next poll.
   * Until each has asked for its next event again, the invocation is not over (`invokeDone`).
   */
  notifyInvoke(event: InvokeEvent): void {
    for (const extension of this.#extensions.values()) {
      if (!extension.events.includes('INVOKE')) continue
      extension.waiting = { eventType: 'INVOKE', ...event }
      extension.busy = true
      if (extension.poll !== null) this.#send(extension)
    }
  }

  /** SHUTDOWN to every external extension subscribed to it: now if it is polling, else with its next poll. */
  notifyShutdown(deadlineMs: number, shutdownReason: ShutdownEventReason): void {
    for (const extension of this.#extensions.values()) {
      if (!extension.external || !extension.events.includes('SHUTDOWN')) continue
      extension.waiting = { eventType: 'SHUTDOWN', deadlineMs, shutdownReason }
      if (extension.poll !== null) this.#send(extension)
    }
  }

  #send(extension: Extension): void {
    const event = extension.waiting as ExtensionEvent
    const body =
      event.eventType === 'INVOKE'
        ? {
            eventType: 'INVOKE',
            deadlineMs: event.deadlineMs,
            requestId: event.requestId,
            invokedFunctionArn: event.invokedFunctionArn,
            tracing: { type: 'X-Amzn-Trace-Id', value: event.traceId },
          }
        : event
    sendJson(extension.poll as ServerResponse, 200, body)
    extension.poll = null
    extension.waiting = null
  }

  /** Every extension that got the last INVOKE has asked for its next event. */
  get invokeDone(): boolean {
    return [...this.#extensions.values()].every((extension) => !extension.busy)
  }
}

/**
 * The invocations of one environment on their way to the runtime: the queue, the runtime's waiting
 * `/next` polls, and the invocations in flight with their timeouts. Handing an invocation over is
 * the one step that writes what a caller sent into the runtime's answer, so a failure there is
 * caught and becomes that invocation's error: it never leaves the environment busy with nothing in
 * flight.
 */
import { randomUUID } from 'node:crypto'
import { type ServerResponse, validateHeaderValue } from 'node:http'
import type { InvocationOutcome } from './types.js'

/** One invocation on its way through an environment. */
export interface Invocation {
  readonly requestId: string
  readonly payload: string
  readonly clientContext: string | null
  readonly tail: boolean
  settle(result: InvocationResult): void
}

export interface InvocationResult {
  readonly payload: string
  readonly functionError: boolean
  readonly outcome: InvocationOutcome
  readonly logResult: string | undefined
  readonly environmentId: string
}

/** An invocation the runtime has (or was being given). */
export interface Running {
  readonly invocation: Invocation
  readonly startedAt: number
  readonly deadlineMs: number
  readonly traceId: string
  readonly timer: NodeJS.Timeout | undefined
}

/** What the environment does around each hand-over. */
export interface DispatchHooks {
  readonly functionArn: string
  /** The function timeout: the runtime's deadline. */
  readonly timeoutMs: number
  /** Managed Instances do not enforce the timeout: the code keeps running past its deadline. */
  readonly enforceTimeout: boolean
  /** Just before the runtime gets it: the START line goes here, before anything the handler writes. */
  starting(invocation: Invocation): void
  /** The runtime got it. */
  delivered(running: Running): void
  /** Handing it over failed: the invocation is in flight and must be finished with this error. */
  failed(requestId: string, error: unknown): void
  timedOut(requestId: string): void
}

const traceIdNow = (): string =>
  `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)};Sampled=0`

/**
 * An HTTP header carries bytes; Node writes a string header as Latin-1. The UTF-8 bytes of the text,
 * read as Latin-1, travel unchanged, as Lambda sends the client context to the runtime.
 */
const utf8Header = (text: string): string => Buffer.from(text, 'utf8').toString('latin1')

export class InvocationDispatch {
  readonly #hooks: DispatchHooks
  readonly #queue: Invocation[] = []
  readonly #polls: ServerResponse[] = []
  readonly #running = new Map<string, Running>()

  constructor(hooks: DispatchHooks) {
    this.#hooks = hooks
  }

  get queued(): number {
    return this.#queue.length
  }

  get inFlight(): number {
    return this.#running.size
  }

  /** Nothing queued and nothing in flight. */
  get empty(): boolean {
    return this.#queue.length === 0 && this.#running.size === 0
  }

  /** The runtime is waiting for an invocation. */
  get polling(): boolean {
    return this.#polls.length > 0
  }

  /** An invocation is waiting and the runtime asks for one: `deliver` has work. */
  get ready(): boolean {
    return this.#queue.length > 0 && this.#polls.length > 0
  }

  runningIds(): string[] {
    return [...this.#running.keys()]
  }

  enqueue(invocation: Invocation): void {
    this.#queue.push(invocation)
  }

  /** The runtime asks for its next invocation (a long poll, answered by `deliver`). */
  poll(response: ServerResponse): void {
    this.#polls.push(response)
  }

  /** The runtime that was polling is gone (reset, failed init). */
  dropPolls(): void {
    this.#polls.length = 0
  }

  /** Takes the invocations that never reached the runtime. */
  takeQueued(): Invocation[] {
    return this.#queue.splice(0)
  }

  /** Takes a finished invocation out of flight; undefined when it is not (or no longer) running. */
  take(requestId: string): Running | undefined {
    const running = this.#running.get(requestId)
    if (running === undefined) return undefined
    clearTimeout(running.timer)
    this.#running.delete(requestId)
    return running
  }

  /** Hands waiting invocations to waiting polls. */
  deliver(): void {
    while (this.ready) {
      this.#deliverOne(this.#queue.shift() as Invocation, this.#polls.shift() as ServerResponse)
    }
  }

  #deliverOne(invocation: Invocation, poll: ServerResponse): void {
    const { timeoutMs, enforceTimeout } = this.#hooks
    const deadlineMs = Date.now() + timeoutMs
    const running: Running = {
      invocation,
      startedAt: performance.now(),
      deadlineMs,
      traceId: traceIdNow(),
      timer: enforceTimeout
        ? setTimeout(() => this.#hooks.timedOut(invocation.requestId), timeoutMs)
        : undefined,
    }
    this.#running.set(invocation.requestId, running)
    try {
      this.#hooks.starting(invocation)
      // Everything that can fail comes before the first byte of the answer, which then cannot.
      const payload = invocation.payload
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'Lambda-Runtime-Aws-Request-Id': invocation.requestId,
        'Lambda-Runtime-Deadline-Ms': String(deadlineMs),
        'Lambda-Runtime-Invoked-Function-Arn': this.#hooks.functionArn,
        'Lambda-Runtime-Trace-Id': running.traceId,
        ...(invocation.clientContext === null
          ? {}
          : { 'Lambda-Runtime-Client-Context': utf8Header(invocation.clientContext) }),
      }
      for (const [name, value] of Object.entries(headers)) validateHeaderValue(name, value)
      poll.writeHead(200, headers)
      poll.end(payload)
    } catch (error) {
      // The runtime got nothing: its poll waits for the next invocation. A half-written answer is cut.
      if (poll.headersSent) poll.destroy()
      else this.#polls.unshift(poll)
      this.#hooks.failed(invocation.requestId, error)
      return
    }
    this.#hooks.delivered(running)
  }
}

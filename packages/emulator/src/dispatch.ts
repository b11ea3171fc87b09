/**
 * The invocations of one environment on their way to the runtime: the queue, the runtime's waiting
 * `/next` polls, and the invocations in flight with their timeouts. Handing an invocation over is
 * the one step that writes what a caller sent into the runtime's answer, so a failure there is
 * caught and becomes that invocation's error: it never leaves the environment busy with nothing in
 * flight.
 */
import { type ServerResponse, validateHeaderValue } from 'node:http'
import type { PeerVerdict } from './runtime-api.js'
import { formatTraceHeader, type TracingMode, traceHeaderFor } from './trace.js'
import type { InvocationOutcome, ResponseStream } from './types.js'

/** One invocation on its way through an environment. */
export interface Invocation {
  readonly requestId: string
  readonly payload: string
  readonly clientContext: string | null
  readonly tail: boolean
  /**
   * Called when the runtime starts a streamed response, with its content type and body as the runtime
   * writes it; without it a streamed response is collected, as Invoke does. See types.ts.
   */
  readonly onResponseStream?: (stream: ResponseStream) => void
  /** The caller's `X-Amzn-Trace-Id`, followed when well-formed. */
  readonly traceHeader?: string | null
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
  /** The function's tracing mode: with `Active`, a request that brings no sampling decision is sampled. */
  readonly tracing?: TracingMode
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
  /** A waiting poll turned out to come from the environment's own runtime: invocations may go to it. */
  pollAllowed(): void
  /** When the timeout of the invocation being delivered began (Date.now() ms), if before now. */
  budgetFrom?(): number | undefined
}

/** A `/next` long poll and whether its process may get a payload (undefined: still being checked). */
interface Poll {
  readonly response: ServerResponse
  allowed: boolean | undefined
}

/**
 * An HTTP header carries bytes; Node writes a string header as Latin-1. The UTF-8 bytes of the text,
 * read as Latin-1, travel unchanged, as Lambda sends the client context to the runtime.
 */
const utf8Header = (text: string): string => Buffer.from(text, 'utf8').toString('latin1')

export class InvocationDispatch {
  readonly #hooks: DispatchHooks
  readonly #queue: Invocation[] = []
  readonly #polls: Poll[] = []
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

  queuedIds(): string[] {
    return this.#queue.map((invocation) => invocation.requestId)
  }

  runningIds(): string[] {
    return [...this.#running.keys()]
  }

  enqueue(invocation: Invocation): void {
    this.#queue.push(invocation)
  }

  /**
   * The runtime asks for its next invocation (a long poll, answered by `deliver`). A poll from a
   * process outside the environment is dropped once the check says so (the API answers it 403).
   */
  poll(response: ServerResponse, peer: PeerVerdict): void {
    const poll: Poll = { response, allowed: peer.value }
    this.#polls.push(poll)
    if (poll.allowed !== undefined) return
    void peer.settled.then((allowed) => {
      poll.allowed = allowed
      const index = this.#polls.indexOf(poll)
      if (!allowed && index >= 0) this.#polls.splice(index, 1)
      if (allowed && index >= 0 && this.#queue.length > 0) this.#hooks.pollAllowed()
    })
  }

  /** The runtime that was polling is gone (reset, failed init). */
  dropPolls(): void {
    this.#polls.length = 0
  }

  /** Takes the invocations that never reached the runtime. */
  takeQueued(): Invocation[] {
    return this.#queue.splice(0)
  }

  /** An invocation in flight, undefined when it is not (or no longer) running. */
  running(requestId: string): Running | undefined {
    return this.#running.get(requestId)
  }

  /** Takes a finished invocation out of flight; undefined when it is not (or no longer) running. */
  take(requestId: string): Running | undefined {
    const running = this.#running.get(requestId)
    if (running === undefined) return undefined
    clearTimeout(running.timer)
    this.#running.delete(requestId)
    return running
  }

  /**
   * Hands waiting invocations to waiting polls of the environment's own processes, in order. A poll
   * whose connection closed is skipped: nobody would read what is written to it.
   */
  deliver(): void {
    for (let index = this.#polls.length - 1; index >= 0; index -= 1) {
      if ((this.#polls[index] as Poll).response.destroyed) this.#polls.splice(index, 1)
    }
    while (this.#queue.length > 0) {
      const index = this.#polls.findIndex((poll) => poll.allowed === true)
      if (index < 0) return
      const [poll] = this.#polls.splice(index, 1) as [Poll]
      this.#deliverOne(this.#queue.shift() as Invocation, poll)
    }
  }

  #deliverOne(invocation: Invocation, { response: poll, allowed }: Poll): void {
    const { timeoutMs, enforceTimeout } = this.#hooks
    // An init inside the invocation (after a reset) already used some of its timeout and its Duration.
    const spentMs = Math.max(0, Date.now() - (this.#hooks.budgetFrom?.() ?? Date.now()))
    const deadlineMs = Date.now() + timeoutMs - spentMs
    const running: Running = {
      invocation,
      startedAt: performance.now() - spentMs,
      deadlineMs,
      traceId: formatTraceHeader(traceHeaderFor(invocation.traceHeader, this.#hooks.tracing)),
      timer: enforceTimeout
        ? setTimeout(() => this.#hooks.timedOut(invocation.requestId), timeoutMs - spentMs)
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
      else this.#polls.unshift({ response: poll, allowed })
      this.#hooks.failed(invocation.requestId, error)
      return
    }
    this.#hooks.delivered(running)
  }
}

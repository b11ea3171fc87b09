/** `startEmulator`: the pools of environments behind the Lambda Invoke API and the HTTP front door. */
import { randomUUID } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { join } from 'node:path'
import { CredentialSource, describeCredentials } from './credentials.js'
import { createDashboard, type Dashboard } from './dashboard/route.js'
import { findRuntimeClient, type InvocationResult } from './environment.js'
import { InvokeApiError } from './errors.js'
import { httpFrontDoorRoute, sendHttpError } from './http-api.js'
import { close, createGuardedServer, listen } from './http-server.js'
import { asciiJson, invokeApiRoute, sendInvokeError } from './invoke-api.js'
import { describeMemory, memoryMeasure } from './memory.js'
import {
  checkFunctionCode,
  EVENT_QUEUE_DEFAULTS,
  emulatorValidateOptions,
  resolveAccount,
  resolveFunction,
  resolveLogDir,
} from './options.js'
import { sweepOrphans } from './orphans.js'
import { FunctionPool, type PoolContext } from './pool.js'
import { createRouter } from './project/routes.js'
import { describeTmp, hiddenByPrivateTmp, privateTmpAvailable, runtimePaths } from './sandbox.js'
import { DEFAULT_ACCOUNT_CONCURRENCY, throttleFor } from './throttling.js'
import type {
  Emulator,
  EmulatorEvent,
  EmulatorOptions,
  EmulatorXray,
  FunctionConfig,
  InvocationAnswer,
  InvocationOutcome,
  InvokeOptions,
  InvokeResult,
  RedeploySummary,
  StopSummary,
} from './types.js'
import { XrayReceiver } from './xray.js'

/** An accepted `Event` invocation until it finishes: what is needed to bound the queue and keep it on stop. */
interface AcceptedEvent {
  readonly functionName: string
  readonly requestId: string
  readonly payload: string
  readonly acceptedAt: number
  started: boolean
}

const MAX_PARSED_FOR_STATUS = 64 * 1024
/** How often a redeploy checks whether the old code's environments have finished their work. */
const DRAIN_POLL_MS = 25

/**
 * How a person should read an answer: a function's HTTP 4xx is the client's error, a 5xx or any
 * failure is an error.
 *
 * @example
 * ```ts
 * classifyAnswer('success', '{"statusCode":404}') // { answer: 'client-error', statusCode: 404 }
 * ```
 */
export const classifyAnswer = (
  outcome: InvocationOutcome,
  payload: string,
): { answer: InvocationAnswer; statusCode?: number } => {
  if (outcome !== 'success') return { answer: 'error' }
  if (!payload.includes('"statusCode"')) return { answer: 'success' }
  let statusCode: unknown
  try {
    // A large answer is not parsed twice: its status is read where HTTP answers put it, first.
    statusCode =
      payload.length > MAX_PARSED_FOR_STATUS
        ? /^\s*\{\s*"statusCode"\s*:\s*(\d+)/.exec(payload)?.[1]
        : (JSON.parse(payload) as { statusCode?: unknown } | null)?.statusCode
  } catch {
    return { answer: 'success' }
  }
  const code = Number(statusCode)
  if (!Number.isInteger(code)) return { answer: 'success' }
  return { answer: code >= 500 ? 'error' : code >= 400 ? 'client-error' : 'success', statusCode: code }
}

class LambdaEmulator implements Emulator {
  invokeUrl = ''
  httpUrl: string | null = null
  dashboardUrl: string | null = null
  readonly logDir: string
  readonly region: string
  readonly accountId: string
  readonly #options: EmulatorOptions
  readonly #pools = new Map<string, FunctionPool>()
  readonly #listeners = new Set<(event: EmulatorEvent) => void>()
  /** Accepted Event invocations until they finish, by request id. */
  readonly #events = new Map<string, AcceptedEvent>()
  #eventBytes = 0
  /** Answers settled this turn of the loop, for the `invocation.end` event that follows. */
  readonly #answers = new Map<string, { answer: InvocationAnswer; statusCode?: number }>()
  #stopping = false
  #invokeServer: Server | null = null
  #httpServer: Server | null = null
  #dashboard: Dashboard | null = null
  #sweeper: NodeJS.Timeout | undefined
  #credentials: CredentialSource | null = null
  #xray: XrayReceiver | null = null
  readonly #killAll = (): void => {
    for (const info of this.environments()) {
      if (info.pid !== null) {
        try {
          process.kill(-info.pid, 'SIGKILL')
        } catch {
          // Already gone.
        }
      }
    }
  }

  constructor(options: EmulatorOptions) {
    this.#options = options
    this.logDir = resolveLogDir(options.logDir)
    ;({ region: this.region, accountId: this.accountId } = resolveAccount(options))
    if (options.onEvent) this.#listeners.add(options.onEvent)
    this.#poolContext = {
      logDir: this.logDir,
      runtimeClient: findRuntimeClient(),
      credentialsEnv: () => this.#credentials?.env() ?? {},
      xrayDaemon: () => this.#xray?.address,
      throttle: (pool: FunctionPool) => {
        const users = [...this.#pools.values()].map((each) => ({
          name: each.fn.name,
          reserved: each.fn.concurrency,
          busy: () => each.busy(),
        }))
        const user = users.find((each) => each.name === pool.fn.name) as (typeof users)[number]
        const limit = options.accountConcurrency ?? DEFAULT_ACCOUNT_CONCURRENCY
        return throttleFor(user, users, limit, pool.recentStarts)
      },
      emit: (event: EmulatorEvent) => this.#emit(event),
    }
    for (const fn of options.functions)
      this.#pools.set(fn.name, new FunctionPool(resolveFunction(options, fn), this.#poolContext))
  }

  readonly #poolContext: PoolContext
  /** Pools of replaced code, until their environments have finished and shut down. */
  readonly #draining = new Set<FunctionPool>()
  /** Environments of replaced code: their shutdown reads `redeploy`. */
  readonly #redeployed = new Set<string>()

  async redeploy(config: FunctionConfig): Promise<RedeploySummary> {
    const old = this.#pool(config.name)
    const fn = resolveFunction(this.#options, config)
    checkFunctionCode(fn)
    const pool = new FunctionPool(fn, this.#poolContext)
    this.#pools.set(config.name, pool)
    const live = old.environments().filter((environment) => environment.state !== 'stopped')
    for (const environment of live) this.#redeployed.add(environment.id)
    this.#draining.add(old)
    void this.#drain(old).finally(() => this.#draining.delete(old))
    await pool.start()
    return { draining: live.length }
  }

  /**
   * Waits until the old code's environments run nothing (and no accepted Event of the function waits
   * to start, since the old pool may hold it), then shuts them down. Bounded by the longest an
   * invocation may take, so a stuck one cannot keep old code alive forever.
   */
  async #drain(old: FunctionPool): Promise<void> {
    const limit = Date.now() + old.fn.initTimeoutMs + old.fn.timeoutMs + 1_000
    const settled = (): boolean =>
      old
        .environments()
        .every(
          (environment) =>
            environment.state === 'stopped' ||
            environment.state === 'shutting-down' ||
            (environment.state === 'idle' && environment.info().inFlight === 0),
        ) && ![...this.#events.values()].some((event) => event.functionName === old.fn.name && !event.started)
    while (!settled() && Date.now() < limit && !this.#stopping)
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS))
    await old.stop()
  }

  async start(): Promise<void> {
    const host = this.#options.host ?? '127.0.0.1'
    // Runtimes an emulator killed without warning left behind (frozen, under PID 1) end now.
    sweepOrphans()
    await this.#startCredentials()
    await this.#startXray()
    // Runtime processes live in their own process groups: if this process exits without stop(), kill them.
    process.on('exit', this.#killAll)
    const invokeRoute = invokeApiRoute(this)
    this.#dashboard = this.#options.dashboard === false ? null : this.#createDashboard()
    this.#invokeServer = createGuardedServer(
      this.#dashboard?.route(invokeRoute) ?? invokeRoute,
      sendInvokeError,
    )
    this.invokeUrl = await listen(this.#invokeServer, this.#options.port ?? 0, host)
    if (this.#dashboard) this.dashboardUrl = `${this.invokeUrl}/`
    const httpPort = this.#options.httpPort ?? false
    if (httpPort !== false) {
      const names = [...this.#pools.keys()]
      const route = httpFrontDoorRoute({
        accountId: this.accountId,
        functionName: this.#options.httpFunction ?? (names[0] as string),
        routes: this.#options.httpRoutes ?? {},
        ...(this.#options.apiRoutes === undefined ? {} : { router: createRouter(this.#options.apiRoutes) }),
        functionNames: names,
        invokeUrl: this.invokeUrl,
        invokeRaw: (name, payload, invokeOptions) => this.invokeRaw(name, payload, invokeOptions),
        payloadFormat: (name) => this.#pools.get(name)?.fn.payloadFormat ?? '2.0',
      })
      this.#httpServer = createGuardedServer(route, sendHttpError)
      this.httpUrl = await listen(this.#httpServer, httpPort, host)
    }
    const shortest = Math.min(
      ...[...this.#pools.values()].map((pool) => Math.min(pool.fn.idleTimeoutMs, pool.fn.maxLifetimeMs)),
    )
    const sweepMs = Math.min(1_000, Math.max(20, Math.floor(shortest / 10)))
    this.#sweeper = setInterval(() => {
      const now = Date.now()
      for (const pool of this.#pools.values()) pool.sweep(now)
    }, sweepMs)
    this.#sweeper.unref()
    await Promise.all([...this.#pools.values()].map((pool) => pool.start()))
  }

  /** The page at the Invoke API's `/`: it listens from before the first environment starts. */
  #createDashboard(): Dashboard {
    return createDashboard({
      logDir: this.logDir,
      region: this.region,
      accountId: this.accountId,
      functions: [...this.#pools.values()].map(({ fn }) => ({
        name: fn.name,
        memoryMb: fn.memoryMb,
        timeoutMs: fn.timeoutMs,
      })),
      subscribe: (listener) => this.subscribe(listener),
      invokeRaw: (name, payload, options) => this.invokeRaw(name, payload, options),
      stopEnvironment: (id) => this.#stopEnvironment(id),
      traces: {
        list: (functionName) => this.#xray?.store.list(functionName) ?? [],
        get: (traceId) => this.#xray?.store.get(traceId) ?? null,
      },
    })
  }

  /** Shuts one environment down now, as the dashboard's Stop button asks; false when none has that id. */
  #stopEnvironment(id: string): boolean {
    for (const pool of this.#pools.values()) {
      const environment = pool.environments().find((candidate) => candidate.id === id)
      if (environment && environment.state !== 'stopped') {
        void environment.shutdown('stop')
        return true
      }
    }
    return false
  }

  /** The X-Ray daemon the runtimes send to: started before any environment, so every one knows it. */
  async #startXray(): Promise<void> {
    const option = this.#options.xray ?? {}
    if (option === false) return
    this.#xray = await XrayReceiver.start(
      {
        onSegment: ({ segment, functionName, environmentId }) =>
          this.#emit({ type: 'trace.segment', at: Date.now(), functionName, environmentId, segment }),
        onFirstRefusal: (reason) =>
          this.#emit({
            type: 'emulator.notice',
            at: Date.now(),
            message: `xray: a datagram sent to ${this.#xray?.address} is not an X-Ray segment (${reason}); it and any like it are counted and dropped`,
          }),
      },
      option,
    )
  }

  get xray(): EmulatorXray | null {
    const receiver = this.#xray
    if (receiver === null) return null
    return {
      address: receiver.address,
      get counts() {
        return receiver.counts
      },
      traces: (functionName) => receiver.store.list(functionName),
      trace: (traceId) => receiver.store.get(traceId),
    }
  }

  /** The functions' credentials (a role is assumed before anything starts), said in the terminal. */
  async #startCredentials(): Promise<void> {
    const option = this.#options.credentials ?? 'none'
    const notice = (message: string): void => this.#emit({ type: 'emulator.notice', at: Date.now(), message })
    this.#credentials = await CredentialSource.start(option, this.region, (error) =>
      notice(`credentials: refreshing the role's session failed: ${error.message}`),
    )
    notice(describeCredentials(option))
    const hidden = [...this.#pools.values()].flatMap(({ fn }) =>
      fn.privateTmp ? hiddenByPrivateTmp(runtimePaths(fn, this.#poolContext.runtimeClient)) : [],
    )
    notice(describeTmp(this.#options.privateTmp === true, privateTmpAvailable(), [...new Set(hidden)]))
    notice(describeMemory(memoryMeasure(this.#options.memoryCgroups !== false)))
    if (this.#options.freeze === false) {
      notice(
        'freeze: off: runtimes keep running between invocations (on Lambda, timers and sockets wait frozen)',
      )
    }
  }

  #emit(event: EmulatorEvent): void {
    this.#traceInvocation(event)
    const delivered = this.#annotate(event)
    for (const listener of this.#listeners) {
      try {
        listener(delivered)
      } catch {
        // A listener's failure is its own; the emulator goes on.
      }
    }
  }

  /** Sampled invocations open their trace at start; their Lambda segment is recorded at the end. */
  #traceInvocation(event: EmulatorEvent): void {
    if (this.#xray === null) return
    if (event.type === 'invocation.start' && event.traceId !== undefined)
      this.#xray.invocationStarted({
        requestId: event.requestId,
        traceHeader: event.traceId,
        functionName: event.environment.functionName,
        environmentId: event.environment.id,
        at: event.at,
      })
    if (event.type === 'invocation.end') this.#xray.invocationEnded(event.requestId, event.at, event.outcome)
  }

  /** Marks Events as started, and adds to `invocation.end` how a person should read the answer. */
  #annotate(event: EmulatorEvent): EmulatorEvent {
    if (event.type === 'invocation.start') {
      const accepted = this.#events.get(event.requestId)
      if (accepted) accepted.started = true
    }
    if (event.type === 'environment.shutdown' && this.#redeployed.has(event.environment.id))
      return { ...event, reason: 'redeploy' }
    if (event.type === 'environment.stopped') this.#redeployed.delete(event.environment.id)
    if (event.type !== 'invocation.end') return event
    const seen = this.#answers.get(event.requestId)
    this.#answers.delete(event.requestId)
    return { ...event, ...seen }
  }

  /** Keeps the answer's reading until the `invocation.end` event of the same turn has gone out. */
  #noteAnswer(requestId: string, result: InvocationResult): void {
    this.#answers.set(requestId, classifyAnswer(result.outcome, result.payload))
    setImmediate(() => this.#answers.delete(requestId))
  }

  subscribe(listener: (event: EmulatorEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  environments(functionName?: string) {
    return [...this.#pools.values(), ...this.#draining]
      .filter((pool) => functionName === undefined || pool.fn.name === functionName)
      .flatMap((pool) => pool.environments().map((environment) => environment.info()))
      .filter((info) => info.state !== 'stopped')
  }

  get functionNames(): readonly string[] {
    return [...this.#pools.keys()]
  }

  hasFunction(name: string): boolean {
    return this.#pools.has(name)
  }

  #pool(functionName: string): FunctionPool {
    const pool = this.#pools.get(functionName)
    if (pool === undefined) {
      const arn = `arn:aws:lambda:${this.region}:${this.accountId}:function:${functionName}`
      throw new InvokeApiError('ResourceNotFoundException', 404, `Function not found: ${arn}`)
    }
    return pool
  }

  /** The core of both front doors and of `invoke()`: the payload is JSON text. */
  async invokeRaw(functionName: string, payload: string, options: InvokeOptions = {}): Promise<InvokeResult> {
    const pool = this.#pool(functionName)
    const requestId = randomUUID()
    // JSON with non-ASCII escaped: it travels as an HTTP header to the runtime.
    const clientContext = options.clientContext === undefined ? null : asciiJson(options.clientContext)
    if (options.type === 'Event') {
      this.#accept({ functionName, requestId, payload, acceptedAt: Date.now(), started: false })
      const settle = (result: InvocationResult): void => {
        this.#noteAnswer(requestId, result)
        this.#finishEvent(requestId)
      }
      try {
        pool.enqueue({
          requestId,
          payload,
          clientContext,
          tail: false,
          traceHeader: options.traceHeader,
          settle,
        })
      } catch (error) {
        this.#finishEvent(requestId)
        throw error
      }
      return { statusCode: 202, requestId, payload: '', environmentId: null }
    }
    return new Promise((resolve, reject) => {
      const settle = (result: InvocationResult): void => {
        this.#noteAnswer(requestId, result)
        resolve({
          statusCode: 200,
          requestId,
          payload: result.payload,
          environmentId: result.environmentId,
          ...(result.functionError ? { functionError: 'Unhandled' as const } : {}),
          ...(result.logResult === undefined ? {} : { logResult: result.logResult }),
        })
      }
      try {
        pool.invoke({
          requestId,
          payload,
          clientContext,
          tail: options.tail === true,
          traceHeader: options.traceHeader,
          onResponseStream: options.onResponseStream,
          settle,
        })
      } catch (error) {
        reject(error)
      }
    })
  }

  /** Takes an Event into the bounded queue, or refuses it with 429 and the reason. */
  #accept(event: AcceptedEvent): void {
    const maxEvents = this.#options.maxQueuedEvents ?? EVENT_QUEUE_DEFAULTS.maxQueuedEvents
    const maxBytes = this.#options.maxQueuedEventBytes ?? EVENT_QUEUE_DEFAULTS.maxQueuedEventBytes
    const bytes = Buffer.byteLength(event.payload)
    if (this.#stopping || this.#events.size >= maxEvents || this.#eventBytes + bytes > maxBytes) {
      const why = this.#stopping
        ? 'the emulator is stopping'
        : `the emulator's Event queue is full: ${this.#events.size} accepted and not finished (limit ${maxEvents}, option maxQueuedEvents), ${this.#eventBytes} payload bytes (limit ${maxBytes}, option maxQueuedEventBytes)`
      throw new InvokeApiError('TooManyRequestsException', 429, `Rate Exceeded. ${why}`, 'EventQueueFull')
    }
    this.#events.set(event.requestId, event)
    this.#eventBytes += bytes
  }

  #finishEvent(requestId: string): void {
    const event = this.#events.get(requestId)
    // While stopping, an Event that never started stays, to be kept on disk.
    if (event === undefined || (this.#stopping && !event.started)) return
    this.#events.delete(requestId)
    this.#eventBytes -= Buffer.byteLength(event.payload)
  }

  /** In-process invoke: the payload is any JSON-serializable value. */
  invoke(functionName: string, payload: unknown = {}, options: InvokeOptions = {}): Promise<InvokeResult> {
    return this.invokeRaw(functionName, JSON.stringify(payload) ?? 'null', options)
  }

  async stop(): Promise<StopSummary> {
    this.#stopping = true
    clearInterval(this.#sweeper)
    this.#dashboard?.close()
    this.#credentials?.stop()
    await Promise.all([close(this.#invokeServer), close(this.#httpServer)])
    await Promise.all([...this.#pools.values(), ...this.#draining].map((pool) => pool.stop()))
    // After the environments: what their last invocations send still arrives.
    await this.#xray?.close()
    process.off('exit', this.#killAll)
    return this.#keepUnrunEvents()
  }

  /** Writes the Events that never started where the logs are, so nothing accepted is lost silently. */
  #keepUnrunEvents(): StopSummary {
    const unrun = [...this.#events.values()].filter((event) => !event.started)
    this.#events.clear()
    this.#eventBytes = 0
    const files = unrun.map((event) => {
      const dir = join(this.logDir, event.functionName, 'unrun-events')
      mkdirSync(dir, { recursive: true })
      const file = join(dir, `${event.requestId}.json`)
      const record = {
        functionName: event.functionName,
        requestId: event.requestId,
        acceptedAt: new Date(event.acceptedAt).toISOString(),
        payload: JSON.parse(event.payload) as unknown,
      }
      writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`)
      return file
    })
    return { unrunEvents: files.length, unrunEventFiles: files }
  }
}

/**
 * Starts a local Lambda: each function gets environments that run the real `aws-lambda-ric` in their
 * own process group, reused, frozen, reaped and shut down by Lambda's rules.
 *
 * @example
 * ```ts
 * const emulator = await startEmulator({
 *   functions: [{ name: 'hello', handler: 'index.handler', codeDir: './dist' }],
 *   httpPort: 3000,
 * })
 * const lambda = new LambdaClient({ endpoint: emulator.invokeUrl, region: 'us-east-1' })
 * await emulator.stop()
 * ```
 */
export const startEmulator = async (options: EmulatorOptions): Promise<Emulator> => {
  emulatorValidateOptions(options)
  for (const fn of options.functions) checkFunctionCode(resolveFunction(options, fn))
  const emulator = new LambdaEmulator(options)
  try {
    await emulator.start()
  } catch (error) {
    await emulator.stop()
    throw error
  }
  return emulator
}

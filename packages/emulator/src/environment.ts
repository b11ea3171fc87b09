/**
 * One execution environment: a runtime process (the real `aws-lambda-ric`) in its own process group,
 * its Runtime/Extensions API, its /tmp, its log stream, and Lambda's rules for its life.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import type { Server, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LogStream, logStreamFile, logStreamName, maxMemoryUsedMb, reportLine } from './logs.js'
import type { ResolvedFunction } from './options.js'
import { sendJson, startRuntimeApi } from './runtime-api.js'
import type {
  EmulatorEvent,
  EmulatorInitType,
  EnvironmentInfo,
  EnvironmentState,
  InvocationOutcome,
  ShutdownReason,
} from './types.js'

/** Lambda's limit on a synchronous response. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024

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

/** What an environment needs from the emulator around it. */
export interface EnvironmentContext {
  readonly logDir: string
  readonly runtimeClient: string
  emit(event: EmulatorEvent): void
  /** The environment can take an invocation (async queues drain on it). */
  available(environment: Environment): void
  stopped(environment: Environment): void
}

interface Running {
  readonly invocation: Invocation
  readonly startedAt: number
  readonly timer: NodeJS.Timeout | undefined
}

interface Extension {
  readonly name: string
  readonly events: readonly string[]
  polled: boolean
  poll: ServerResponse | null
}

const require = createRequire(import.meta.url)

/** `index.mjs` of the installed `aws-lambda-ric`: the real Node.js runtime client. */
export const findRuntimeClient = (): string => require.resolve('aws-lambda-ric')

const errorPayload = (errorType: string, errorMessage: string): string =>
  JSON.stringify({ errorType, errorMessage })

const seconds = (ms: number): string => (ms / 1000).toFixed(2)

/** Sends a signal to a whole process group; the group may be gone already. */
const signalGroup = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: the runtime exited on its own.
  }
}

export class Environment {
  readonly id: string
  readonly fn: ResolvedFunction
  readonly initType: EmulatorInitType
  readonly tmpDir: string
  readonly createdAt = Date.now()
  readonly #context: EnvironmentContext
  readonly #log: LogStream
  readonly #queue: Invocation[] = []
  readonly #running = new Map<string, Running>()
  readonly #polls: ServerResponse[] = []
  readonly #extensions = new Map<string, Extension>()
  #server: Server | null = null
  #port = 0
  #child: ChildProcess | null = null
  #state: EnvironmentState = 'initializing'
  #frozen = false
  #runtimes = 0
  #invocations = 0
  #lastEndAt: number | null = null
  #initStartedAt = 0
  #initTimer: NodeJS.Timeout | undefined
  #suppressedInit = false
  #runtimeReady = false
  #initDurationMs: number | null = null
  #retiring = false
  #stopping: Promise<void> | null = null
  #starting: Promise<void> | null = null
  /** Why it was shut down, null while it lives. */
  stopReason: ShutdownReason | null = null

  constructor(fn: ResolvedFunction, initType: EmulatorInitType, context: EnvironmentContext) {
    this.fn = fn
    this.initType = initType
    this.#context = context
    this.id = logStreamName(new Date())
    this.tmpDir = join(tmpdir(), 'lambda-lifetime', fn.name, this.id.slice(-32))
    this.#log = new LogStream(logStreamFile(context.logDir, fn.name, this.id))
  }

  /** Serves the Runtime API, then starts the first runtime process. */
  start(): Promise<void> {
    this.#starting ??= this.#start()
    return this.#starting
  }

  async #start(): Promise<void> {
    mkdirSync(this.tmpDir, { recursive: true })
    const { server, port } = await startRuntimeApi({
      next: (response) => this.#onNext(response),
      result: (requestId, body, errorType, response) => this.#onResult(requestId, body, errorType, response),
      initError: (body, response) => this.#onInitError(body, response),
      registerExtension: (name, events, response) => this.#onRegister(name, events, response),
      nextExtensionEvent: (id, response) => this.#onExtensionPoll(id, response),
    })
    this.#server = server
    this.#port = port
    this.#context.emit({ type: 'environment.start', at: Date.now(), environment: this.info() })
    this.#spawnRuntime()
  }

  get state(): EnvironmentState {
    return this.#state
  }

  get managed(): boolean {
    return this.fn.managedInstances !== null
  }

  /** Invocations it can still take now or once initialized. */
  get capacity(): number {
    if (this.#retiring || this.#state === 'shutting-down' || this.#state === 'stopped') return 0
    const limit = this.fn.managedInstances?.maxConcurrency ?? 1
    return Math.max(0, limit - this.#running.size - this.#queue.length)
  }

  get lastActiveAt(): number {
    return this.#lastEndAt ?? this.createdAt
  }

  info(): EnvironmentInfo {
    return {
      id: this.id,
      functionName: this.fn.name,
      state: this.#state,
      frozen: this.#frozen,
      initType: this.initType,
      pid: this.#child?.pid ?? null,
      runtimes: this.#runtimes,
      invocations: this.#invocations,
      inFlight: this.#running.size,
      extensions: [...this.#extensions.values()].map((extension) => extension.name),
      createdAt: this.createdAt,
      lastInvocationEndAt: this.#lastEndAt,
      tmpDir: this.tmpDir,
      logFile: this.#log.file,
    }
  }

  /** Takes an invocation; the pool checked `capacity` first. */
  assign(invocation: Invocation): void {
    this.#invocations += 1
    this.#queue.push(invocation)
    if (this.#state === 'idle') this.#state = 'busy'
    this.#dispatch()
  }

  /** Marks it for retirement: it takes no new invocation and shuts down once idle. */
  retire(): void {
    this.#retiring = true
    const waiting = this.#queue.length > 0 || this.#running.size > 0
    if (this.#state === 'idle' || (this.#state === 'initializing' && !waiting))
      void this.shutdown('max-lifetime')
  }

  get retiring(): boolean {
    return this.#retiring
  }

  #env(): NodeJS.ProcessEnv {
    const fn = this.fn
    const passThrough = [
      'PATH',
      'HOME',
      'LANG',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
    ]
    const inherited = Object.fromEntries(
      passThrough.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])),
    )
    const managed = fn.managedInstances
    return {
      ...inherited,
      AWS_REGION: fn.region,
      AWS_DEFAULT_REGION: fn.region,
      AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_INITIALIZATION_TYPE: this.initType,
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: this.id,
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${this.#port}`,
      LAMBDA_TASK_ROOT: fn.codeDir,
      LAMBDA_RUNTIME_DIR: join(this.#context.runtimeClient, '..'),
      _HANDLER: fn.handler,
      TMPDIR: this.tmpDir,
      TZ: ':UTC',
      ...(managed
        ? {
            AWS_LAMBDA_MAX_CONCURRENCY: String(managed.maxConcurrency),
            AWS_LAMBDA_NODEJS_WORKER_COUNT: String(managed.workers),
          }
        : {}),
      ...fn.env,
    }
  }

  #spawnRuntime(): void {
    this.#runtimes += 1
    this.#state = 'initializing'
    this.#runtimeReady = false
    this.#extensions.clear()
    this.#initStartedAt = performance.now()
    this.#log.write(
      `INIT_START Runtime Version: nodejs:${process.versions.node} (lambda-lifetime emulator)\n`,
    )
    // Its own process group, so that a freeze or a kill reaches every process the handler started.
    const child = spawn(process.execPath, [this.#context.runtimeClient, this.fn.handler], {
      cwd: this.fn.codeDir,
      env: this.#env(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#child = child
    child.stdout?.on('data', (chunk: Buffer) => this.#log.write(chunk.toString('utf8')))
    child.stderr?.on('data', (chunk: Buffer) => this.#log.write(chunk.toString('utf8')))
    child.on('exit', (code, signal) => this.#onExit(child, code, signal))
    const limit = this.#suppressedInit ? this.fn.timeoutMs : this.#initLimit()
    this.#initTimer = setTimeout(() => this.#initFailed('timeout', 'Sandbox.Timedout', null), limit)
  }

  /** On-demand init has 10 s by default; provisioned and Managed Instances environments get 130 s. */
  #initLimit(): number {
    return this.initType === 'on-demand' ? this.fn.initTimeoutMs : Math.max(this.fn.initTimeoutMs, 130_000)
  }

  #onNext(response: ServerResponse): void {
    this.#polls.push(response)
    if (this.#state === 'shutting-down' || this.#state === 'stopped') return
    if (this.#state === 'initializing') {
      this.#runtimeReady = true
      this.#checkInitDone()
      return
    }
    if (!this.managed && this.#running.size === 0 && this.#queue.length === 0) this.#becomeIdle()
    this.#dispatch()
  }

  /** Init ends when the runtime and every registered extension asked for their next event. */
  #checkInitDone(): void {
    if (!this.#runtimeReady || [...this.#extensions.values()].some((extension) => !extension.polled)) return
    clearTimeout(this.#initTimer)
    this.#suppressedInit = false
    this.#initDurationMs = performance.now() - this.#initStartedAt
    this.#state = 'busy'
    this.#context.emit({
      type: 'environment.ready',
      at: Date.now(),
      environment: this.info(),
      initDurationMs: this.#initDurationMs,
    })
    if (this.#queue.length === 0) this.#becomeIdle()
    else this.#dispatch()
  }

  #becomeIdle(): void {
    this.#state = 'idle'
    if (this.#retiring) {
      void this.shutdown('max-lifetime')
      return
    }
    this.#freeze()
    this.#context.available(this)
  }

  /**
   * Classic mode: the previous invocation answered but the runtime has not asked for the next one yet.
   * An invocation given to it now waits for that request, a few milliseconds, instead of a cold start.
   */
  get finishing(): boolean {
    return !this.managed && this.#state === 'busy' && this.#running.size === 0 && this.#queue.length === 0
  }

  #dispatch(): void {
    if (this.#state === 'initializing') return
    while (this.#queue.length > 0 && this.#polls.length > 0) {
      const invocation = this.#queue.shift() as Invocation
      const poll = this.#polls.shift() as ServerResponse
      this.#state = 'busy'
      this.#thaw()
      this.#deliver(invocation, poll)
    }
  }

  #deliver(invocation: Invocation, poll: ServerResponse): void {
    const deadline = Date.now() + this.fn.timeoutMs
    this.#log.capture(invocation.requestId, this.managed)
    this.#log.write(`START RequestId: ${invocation.requestId} Version: $LATEST\n`)
    const traceId = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)};Sampled=0`
    poll.writeHead(200, {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': invocation.requestId,
      'Lambda-Runtime-Deadline-Ms': String(deadline),
      'Lambda-Runtime-Invoked-Function-Arn': this.fn.arn,
      'Lambda-Runtime-Trace-Id': traceId,
      ...(invocation.clientContext === null
        ? {}
        : { 'Lambda-Runtime-Client-Context': invocation.clientContext }),
    })
    poll.end(invocation.payload)
    // Managed Instances do not enforce the timeout: the code keeps running.
    const timer = this.managed
      ? undefined
      : setTimeout(() => this.#onTimeout(invocation.requestId), this.fn.timeoutMs)
    this.#running.set(invocation.requestId, { invocation, startedAt: performance.now(), timer })
    this.#notifyExtensions(invocation.requestId, deadline, traceId)
    this.#context.emit({
      type: 'invocation.start',
      at: Date.now(),
      environment: this.info(),
      requestId: invocation.requestId,
    })
  }

  /** Extensions subscribed to INVOKE get it when they are polling at that moment. */
  #notifyExtensions(requestId: string, deadlineMs: number, traceId: string): void {
    for (const extension of this.#extensions.values()) {
      if (!extension.events.includes('INVOKE') || extension.poll === null) continue
      sendJson(extension.poll, 200, {
        eventType: 'INVOKE',
        deadlineMs,
        requestId,
        invokedFunctionArn: this.fn.arn,
        tracing: { type: 'X-Amzn-Trace-Id', value: traceId },
      })
      extension.poll = null
    }
  }

  #onResult(requestId: string, body: Buffer, errorType: string | null, response: ServerResponse): void {
    if (!this.#running.has(requestId)) {
      sendJson(response, 400, {
        errorType: 'InvalidRequestID',
        errorMessage: `unknown request id ${requestId}`,
      })
      return
    }
    if (body.length > MAX_RESPONSE_BYTES) {
      sendJson(response, 413, { errorType: 'RequestEntityTooLarge', errorMessage: 'response too large' })
      const message = `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`
      this.#finish(requestId, errorPayload('Function.ResponseSizeTooLarge', message), 'error')
      return
    }
    sendJson(response, 202, { status: 'OK' })
    const payload =
      body.length === 0 && errorType !== null ? errorPayload(errorType, '') : body.toString('utf8')
    this.#finish(requestId, payload, errorType === null ? 'success' : 'error')
  }

  #finish(requestId: string, payload: string, outcome: InvocationOutcome, errorType?: string): void {
    const running = this.#running.get(requestId) as Running
    clearTimeout(running.timer)
    this.#running.delete(requestId)
    this.#lastEndAt = Date.now()
    const durationMs = performance.now() - running.startedAt
    const initDurationMs = this.#initDurationMs
    this.#initDurationMs = null
    const pid = this.#child?.pid ?? null
    // The runtime's last lines travel through a pipe; one turn of the loop lets them land before END.
    setImmediate(() => {
      this.#log.write(`END RequestId: ${requestId}\n`)
      this.#log.write(
        reportLine({
          requestId,
          durationMs,
          memoryMb: this.fn.memoryMb,
          maxMemoryUsedMb: maxMemoryUsedMb(pid),
          initDurationMs,
          status: outcome,
          errorType,
        }),
      )
      const tail = this.#log.takeTail(requestId)
      const logResult = running.invocation.tail ? tail : undefined
      running.invocation.settle({
        payload,
        functionError: outcome !== 'success',
        outcome,
        logResult,
        environmentId: this.id,
      })
      this.#context.emit({
        type: 'invocation.end',
        at: Date.now(),
        environment: this.info(),
        requestId,
        durationMs,
        outcome,
      })
      if (this.managed && this.#running.size === 0 && this.#queue.length === 0 && this.#state === 'busy') {
        this.#state = 'idle'
        if (this.#retiring) void this.shutdown('max-lifetime')
      }
      if (this.managed) this.#context.available(this)
    })
  }

  #onTimeout(requestId: string): void {
    const message = `RequestId: ${requestId} Error: Task timed out after ${seconds(this.fn.timeoutMs)} seconds`
    this.#log.write(
      `${new Date().toISOString()} ${requestId} Task timed out after ${seconds(this.fn.timeoutMs)} seconds\n`,
    )
    this.#finish(requestId, errorPayload('Sandbox.Timedout', message), 'timeout')
    this.#reset('timeout')
  }

  /** A timeout or a crash: new runtime process, same log stream, same /tmp. */
  #reset(reason: 'timeout' | 'crash'): void {
    const child = this.#child
    this.#child = null
    if (child?.pid) signalGroup(child.pid, 'SIGKILL')
    this.#frozen = false
    this.#polls.length = 0
    this.#context.emit({ type: 'environment.reset', at: Date.now(), environment: this.info(), reason })
    if (this.#retiring) {
      void this.shutdown('max-lifetime')
      return
    }
    this.#spawnRuntime()
  }

  #onInitError(body: Buffer, response: ServerResponse): void {
    sendJson(response, 202, { status: 'OK' })
    let errorType = 'Runtime.Unknown'
    try {
      errorType = String(
        (JSON.parse(body.toString('utf8')) as { errorType?: unknown }).errorType ?? errorType,
      )
    } catch {
      // The runtime sent no JSON: the error type stays unknown.
    }
    this.#initFailed('error', errorType, body.toString('utf8'))
  }

  /**
   * A failed or overlong init. With an invocation waiting, Lambda retries the init inside it (a
   * suppressed init, limited by the function timeout); a second failure is the invocation's error.
   */
  #initFailed(reason: 'error' | 'timeout' | 'exit', errorType: string, body: string | null): void {
    if (this.#state !== 'initializing') return
    clearTimeout(this.#initTimer)
    const child = this.#child
    this.#child = null
    if (child?.pid) signalGroup(child.pid, 'SIGKILL')
    this.#polls.length = 0
    this.#context.emit({
      type: 'environment.init-failed',
      at: Date.now(),
      environment: this.info(),
      reason,
      errorType,
    })
    if (this.#queue.length > 0 && !this.#suppressedInit) {
      this.#suppressedInit = true
      this.#spawnRuntime()
      return
    }
    for (const invocation of this.#queue.splice(0)) {
      const message =
        reason === 'timeout'
          ? `RequestId: ${invocation.requestId} Error: Task timed out after ${seconds(this.fn.timeoutMs)} seconds`
          : `RequestId: ${invocation.requestId} Error: Runtime exited without providing a reason`
      this.#log.write(`START RequestId: ${invocation.requestId} Version: $LATEST\n`)
      this.#log.write(`END RequestId: ${invocation.requestId}\n`)
      this.#log.write(
        reportLine({
          requestId: invocation.requestId,
          durationMs: 0,
          memoryMb: this.fn.memoryMb,
          maxMemoryUsedMb: null,
          initDurationMs: performance.now() - this.#initStartedAt,
          status: 'init-error',
          errorType,
        }),
      )
      invocation.settle({
        payload: body ?? errorPayload(errorType, message),
        functionError: true,
        outcome: 'init-error',
        logResult: invocation.tail ? '' : undefined,
        environmentId: this.id,
      })
    }
    void this.shutdown('init-failed')
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.#child) return
    if (this.#state === 'initializing') {
      this.#initFailed('exit', 'Runtime.ExitError', null)
      return
    }
    if (this.#state === 'shutting-down') return
    const status = signal === null ? `exit status ${code}` : `signal: ${signal}`
    for (const requestId of [...this.#running.keys()]) {
      const message = `RequestId: ${requestId} Error: Runtime exited with error: ${status}`
      this.#finish(requestId, errorPayload('Runtime.ExitError', message), 'crash', 'Runtime.ExitError')
    }
    this.#reset('crash')
  }

  #onRegister(name: string, events: readonly string[], response: ServerResponse): void {
    if (this.#state !== 'initializing' || this.#runtimeReady) {
      sendJson(response, 403, {
        errorType: 'Extension.RegistrationClosed',
        errorMessage: 'extensions register during init, before the runtime asks for its first invocation',
      })
      return
    }
    if (events.includes('SHUTDOWN')) {
      // Every extension here runs inside the runtime process: an internal one, which Lambda gives no SHUTDOWN.
      sendJson(response, 400, {
        errorType: 'ShutdownEventNotSupportedForInternalExtension',
        errorMessage: `extension "${name}" is internal and may not subscribe to SHUTDOWN`,
      })
      return
    }
    const id = randomUUID()
    this.#extensions.set(id, { name, events, polled: false, poll: null })
    sendJson(
      response,
      200,
      { functionName: this.fn.name, functionVersion: '$LATEST', handler: this.fn.handler },
      { 'Lambda-Extension-Identifier': id },
    )
  }

  #onExtensionPoll(id: string, response: ServerResponse): void {
    const extension = this.#extensions.get(id)
    if (extension === undefined) {
      sendJson(response, 403, {
        errorType: 'Extension.UnknownExtensionIdentifier',
        errorMessage: `unknown ${id}`,
      })
      return
    }
    extension.polled = true
    extension.poll = response
    if (this.#state === 'initializing') this.#checkInitDone()
  }

  #freeze(): void {
    const pid = this.#child?.pid
    if (!this.fn.freeze || this.managed || pid === undefined || this.#frozen) return
    signalGroup(pid, 'SIGSTOP')
    this.#frozen = true
    this.#context.emit({ type: 'environment.freeze', at: Date.now(), environment: this.info() })
  }

  #thaw(): void {
    const pid = this.#child?.pid
    if (!this.#frozen || pid === undefined) return
    signalGroup(pid, 'SIGCONT')
    this.#frozen = false
    this.#context.emit({ type: 'environment.thaw', at: Date.now(), environment: this.info() })
  }

  /**
   * Lambda's shutdown: SIGTERM only when an extension registered, then SIGKILL after the runtime's
   * budget; with no extension, SIGKILL at once. The /tmp goes with the environment.
   */
  shutdown(reason: ShutdownReason): Promise<void> {
    this.stopReason ??= reason
    this.#stopping ??= this.#shutdown(reason)
    return this.#stopping
  }

  async #shutdown(reason: ShutdownReason): Promise<void> {
    await this.#starting
    this.#state = 'shutting-down'
    clearTimeout(this.#initTimer)
    const child = this.#child
    const graceful = this.#extensions.size > 0 && child !== null
    this.#context.emit({
      type: 'environment.shutdown',
      at: Date.now(),
      environment: this.info(),
      reason,
      signal: graceful ? 'SIGTERM' : 'SIGKILL',
    })
    if (child?.pid !== undefined) await this.#terminate(child, child.pid, graceful)
    this.#child = null
    this.#frozen = false
    for (const requestId of [...this.#running.keys()]) {
      const message = `RequestId: ${requestId} Error: the environment was shut down (${reason})`
      this.#finish(requestId, errorPayload('Runtime.ExitError', message), 'crash', 'Runtime.ExitError')
    }
    for (const invocation of this.#queue.splice(0)) {
      const message = `RequestId: ${invocation.requestId} Error: the environment was shut down (${reason})`
      invocation.settle({
        payload: errorPayload('Runtime.ExitError', message),
        functionError: true,
        outcome: 'crash',
        logResult: undefined,
        environmentId: this.id,
      })
    }
    const server = this.#server as Server
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
    // END/REPORT lines of the invocations just failed are written on the next turn of the loop.
    await new Promise((resolve) => setImmediate(resolve))
    this.#log.close()
    rmSync(this.tmpDir, { recursive: true, force: true })
    this.#state = 'stopped'
    this.#context.emit({ type: 'environment.stopped', at: Date.now(), environment: this.info() })
    this.#context.stopped(this)
  }

  async #terminate(child: ChildProcess, pid: number, graceful: boolean): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve()
      else child.once('exit', () => resolve())
    })
    if (graceful) {
      signalGroup(pid, 'SIGTERM')
      signalGroup(pid, 'SIGCONT')
      let timer: NodeJS.Timeout | undefined
      const budget = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.fn.shutdownTimeoutMs)
      })
      await Promise.race([exited, budget])
      clearTimeout(timer)
    }
    signalGroup(pid, 'SIGKILL')
    await exited
  }
}

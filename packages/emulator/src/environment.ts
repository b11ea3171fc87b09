/**
 * One execution environment and Lambda's rules for its life, as one state machine (`Phase`). Its
 * parts each live in their own file: the runtime process and its descendants (runtime-process.ts),
 * the Runtime API server (runtime-api.ts), the extensions (extensions.ts), the invocations on their
 * way to the runtime (dispatch.ts), the log stream (platform-log.ts), the phases (phase.ts) and what
 * the runtime finds around it (sandbox.ts).
 */
import { mkdirSync } from 'node:fs'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { Socket } from 'node:net'
import { type Invocation, InvocationDispatch, type InvocationResult, type Running } from './dispatch.js'
import { exitStatus } from './exit-status.js'
import {
  type ExtensionExit,
  ExtensionProcesses,
  extensionEnv,
  listExtensionFiles,
} from './extension-process.js'
import { ExtensionRegistry, type ShutdownEventReason } from './extensions.js'
import { logStreamFile, logStreamName } from './logs.js'
import { MemoryMonitor } from './memory.js'
import { MemoryCgroup } from './memory-cgroup.js'
import type { ResolvedFunction } from './options.js'
import { type InitAttempt, NEXT, type Phase, type Runtime } from './phase.js'
import { PlatformLog, seconds } from './platform-log.js'
import { clientSocketInode, holdsSocket, procAvailable } from './process-tree.js'
import { receiveStream } from './response-stream.js'
import { type PeerVerdict, sendJson, startRuntimeApi } from './runtime-api.js'
import { RuntimeProcess } from './runtime-process.js'
import {
  hiddenByPrivateTmp,
  privateTmpAvailable,
  removeTmpDir,
  runtimeArgs,
  runtimeEnv,
  runtimePaths,
  tmpDirOf,
  withPrivateTmp,
} from './sandbox.js'
import { subscribeTelemetry } from './telemetry-api.js'
import type {
  EmulatorEvent,
  EmulatorInitType,
  EnvironmentInfo,
  EnvironmentState,
  InvocationOutcome,
  ShutdownReason,
} from './types.js'

export type { Invocation, InvocationResult } from './dispatch.js'

/**
 * Lambda's shutdown budget with external extensions: 2,000 ms in all, of which the runtime gets
 * 300 ms after its SIGTERM (500 ms when an internal extension registered) and the extensions the
 * rest, until the SHUTDOWN event's `deadlineMs` (Extensions API docs, "Shutdown phase"; the runtime
 * interface emulator's `rapid/shutdown.go`).
 */
export const EXTERNAL_SHUTDOWN_BUDGET_MS = 2_000
const RUNTIME_SHARE_MS = { withInternal: 500, externalOnly: 300 } as const

/** Lambda's limit on a synchronous response: 6 MiB and 100 bytes, as the runtime interface emulator checks it. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100

/** What an environment needs from the emulator around it. */
export interface EnvironmentContext {
  readonly logDir: string
  readonly runtimeClient: string
  /** The AWS credentials a runtime started now gets (none when absent). */
  credentialsEnv?(): Readonly<Record<string, string>>
  /** Where the runtimes send X-Ray segments (`host:port`); Lambda's default address when absent. */
  xrayDaemon?(): string | undefined
  emit(event: EmulatorEvent): void
  /** The environment can take an invocation (async queues drain on it). */
  available(): void
  /** It stopped for good. */
  stopped(): void
}

const require = createRequire(import.meta.url)

/** `index.mjs` of the installed `aws-lambda-ric`: the real Node.js runtime client. */
export const findRuntimeClient = (): string => require.resolve('aws-lambda-ric')

const errorPayload = (errorType: string, errorMessage: string): string =>
  JSON.stringify({ errorType, errorMessage })

/** How the invocations still pending fail, in one place for a crash, a failed init and a shutdown. */
interface PendingFailure {
  readonly outcome: 'crash' | 'init-error'
  readonly errorType: string
  readonly message: (requestId: string) => string
  /** The runtime's own error body, which the caller gets as it is. */
  readonly body?: string | null
  /** Also the invocations that never reached the runtime (they get START/END/REPORT lines when `logged`). */
  readonly queued: false | { readonly logged: boolean }
}

export class Environment {
  readonly id: string
  readonly fn: ResolvedFunction
  readonly initType: EmulatorInitType
  readonly tmpDir: string
  readonly createdAt = Date.now()
  readonly #context: EnvironmentContext
  readonly #log: PlatformLog
  readonly #dispatch: InvocationDispatch
  #phase: Phase = { name: 'starting', retiring: false }
  #server: Server | null = null
  #port = 0
  #runtimes = 0
  #invocations = 0
  #lastEndAt: number | null = null
  #starting: Promise<void> | null = null
  #stopping: Promise<void> | null = null
  #noExtensions: ExtensionRegistry | null = null

  constructor(fn: ResolvedFunction, initType: EmulatorInitType, context: EnvironmentContext) {
    this.fn = fn
    this.initType = initType
    this.#context = context
    this.id = logStreamName(new Date())
    this.tmpDir = tmpDirOf(fn.name, this.id)
    this.#log = new PlatformLog(logStreamFile(context.logDir, fn.name, this.id), fn.loggingConfig, {
      functionName: fn.name,
      functionVersion: '$LATEST',
      instanceId: this.id,
      memoryMb: fn.memoryMb,
    })
    this.#dispatch = new InvocationDispatch({
      functionArn: fn.arn,
      tracing: fn.tracing,
      timeoutMs: fn.timeoutMs,
      enforceTimeout: true,
      starting: ({ requestId }) =>
        this.#log.start(requestId, this.managed, this.#dispatch.running(requestId)?.traceId),
      delivered: (running) => this.#delivered(running),
      failed: (requestId, error) => this.#deliveryFailed(requestId, error),
      timedOut: (requestId) => this.#onTimeout(requestId),
      pollAllowed: () => this.#deliver(),
      budgetFrom: () => this.#takeBudgetStart(),
    })
  }

  /** When the timeout of the invocation about to be delivered began: at its suppressed init, if it had one. */
  #budgetStart: number | null = null

  #takeBudgetStart(): number | undefined {
    const start = this.#budgetStart ?? undefined
    this.#budgetStart = null
    return start
  }

  #enter(next: Phase): void {
    if (!NEXT[this.#phase.name].includes(next.name)) {
      throw new Error(`environment ${this.id}: no move from ${this.#phase.name} to ${next.name}`)
    }
    this.#phase = next
  }

  /** The runtime of the current phase, if one runs. */
  get #runtime(): Runtime | null {
    return 'runtime' in this.#phase ? this.#phase.runtime : null
  }

  get #retiring(): boolean {
    return 'retiring' in this.#phase && this.#phase.retiring
  }

  /**
   * Serves the Runtime API, then starts the first runtime process. Never rejects: an environment that
   * cannot start (no /tmp, no port) fails the invocations it took, with the reason, and shuts down.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start().catch((error: unknown) => this.#startFailed(error))
    return this.#starting
  }

  #startFailed(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error)
    this.#context.emit({
      type: 'environment.init-failed',
      at: Date.now(),
      environment: this.info(),
      reason: 'error',
      errorType: 'Runtime.StartError',
    })
    this.#failPending({
      outcome: 'init-error',
      errorType: 'Runtime.StartError',
      message: (requestId) => `RequestId: ${requestId} Error: the environment could not start: ${reason}`,
      queued: { logged: false },
    })
    // Not awaited: the shutdown waits for this start to end.
    void this.shutdown('init-failed')
  }

  async #start(): Promise<void> {
    mkdirSync(this.tmpDir, { recursive: true })
    const { server, port } = await startRuntimeApi({
      next: (response, peer) => this.#onNext(response, peer),
      result: (requestId, body, errorType, response) => this.#onResult(requestId, body, errorType, response),
      stream: (requestId, request, response) => this.#onStream(requestId, request, response),
      initError: (body, response) => this.#onInitError(body, response),
      registerExtension: (name, events, response, features) =>
        this.#onRegister(name, events, response, features),
      nextExtensionEvent: (id, response) => this.#onExtensionPoll(id, response),
      extensionError: (kind, id, category, response) =>
        this.#registryOf(id).reportError(kind, id, category, response),
      subscribeTelemetry: (id, body, response) => {
        const answer = subscribeTelemetry(this.#extensions, this.#log.telemetry, id, body)
        sendJson(response, answer.status, answer.body)
      },
      allowPeer: (socket) => this.#allowPeer(socket),
    })
    this.#server = server
    this.#port = port
    // Shut down while the Runtime API was starting: no runtime to start.
    if (this.#phase.name !== 'starting') return
    this.#context.emit({ type: 'environment.start', at: Date.now(), environment: this.info() })
    this.#spawnRuntime(false, this.#phase.retiring)
  }

  #registration() {
    return {
      functionName: this.fn.name,
      functionVersion: '$LATEST',
      handler: this.fn.handler,
      accountId: this.fn.accountId,
    }
  }

  /**
   * Runtimes whose external extensions are still shutting down after a reset: their extensions may
   * still poll (for the SHUTDOWN event) and must still pass the peer check.
   */
  readonly #stoppingExtensions = new Set<Runtime>()

  /** The registry that knows this extension identifier: the current runtime's, or a stopping one's. */
  #registryOf(id: string): ExtensionRegistry {
    for (const runtime of this.#stoppingExtensions) if (runtime.extensions.has(id)) return runtime.extensions
    return this.#extensions
  }

  /** A registration; the last external extension to register lets the runtime start. */
  #onRegister(
    name: string,
    events: readonly string[],
    response: ServerResponse,
    features?: readonly string[],
  ): void {
    const phase = this.#phase
    const open = phase.name === 'initializing' && !phase.init.runtimeAsked
    this.#extensions.register(name, events, open, response, features)
    if (phase.name === 'initializing' && phase.runtime.extensions.externalRegistered)
      phase.runtime.process.start()
  }

  /** The current runtime's extensions; with no runtime, none (every call to them is refused). */
  get #extensions(): ExtensionRegistry {
    this.#noExtensions ??= new ExtensionRegistry(this.#registration())
    return this.#runtime?.extensions ?? this.#noExtensions
  }

  /**
   * Only the environment's own processes may use its Runtime API: the peer's socket must be open in
   * one of them (/proc/net/tcp gives the socket, /proc/<pid>/fd who holds it). Asked once per
   * connection; the runtime client keeps its connections, so a few times per runtime. Without /proc
   * there is no way to tell, and every local process is let in.
   */
  async #allowPeer(socket: Socket): Promise<boolean> {
    if (!procAvailable()) return true
    const inode = await clientSocketInode(socket.remotePort ?? 0, this.#port)
    const runtimes = [this.#runtime, ...this.#stoppingExtensions].filter((runtime) => runtime !== null)
    return inode !== null && runtimes.some((runtime) => holdsSocket(processesOf(runtime), inode))
  }

  get state(): EnvironmentState {
    const { name } = this.#phase
    // A reset environment waits for an invocation like an idle one; that invocation starts its runtime.
    return name === 'starting' ? 'initializing' : name === 'reset' ? 'idle' : name
  }

  get managed(): boolean {
    return this.fn.managedInstances !== null
  }

  /** Invocations it can still take now or once initialized. */
  get capacity(): number {
    const { name } = this.#phase
    if (this.#retiring || name === 'shutting-down' || name === 'stopped') return 0
    const limit = this.fn.managedInstances?.maxConcurrency ?? 1
    return Math.max(0, limit - this.#dispatch.inFlight - this.#dispatch.queued)
  }

  get lastActiveAt(): number {
    return this.#lastEndAt ?? this.createdAt
  }

  /** Why it was shut down, null while it lives. */
  get stopReason(): ShutdownReason | null {
    return 'reason' in this.#phase ? this.#phase.reason : null
  }

  get retiring(): boolean {
    return this.#retiring
  }

  /**
   * Classic mode: the previous invocation answered but the runtime has not asked for the next one yet.
   * An invocation given to it now waits for that request, a few milliseconds, instead of a cold start.
   */
  get finishing(): boolean {
    return !this.managed && this.#phase.name === 'busy' && this.#dispatch.empty
  }

  info(): EnvironmentInfo {
    const runtime = this.#runtime
    return {
      id: this.id,
      functionName: this.fn.name,
      state: this.state,
      frozen: runtime?.process.frozen ?? false,
      initType: this.initType,
      pid: runtime?.process.pid ?? null,
      runtimes: this.#runtimes,
      invocations: this.#invocations,
      inFlight: this.#dispatch.inFlight,
      extensions: runtime?.extensions.names() ?? [],
      createdAt: this.createdAt,
      lastInvocationEndAt: this.#lastEndAt,
      tmpDir: this.tmpDir,
      logFile: this.#log.file,
    }
  }

  /** Takes an invocation; the pool checked `capacity` first. */
  assign(invocation: Invocation): void {
    this.#invocations += 1
    this.#dispatch.enqueue(invocation)
    const phase = this.#phase
    if (phase.name === 'reset') {
      this.#spawnRuntime(true, false)
      return
    }
    if (phase.name === 'idle') this.#enter({ name: 'busy', runtime: phase.runtime, retiring: false })
    this.#deliver()
  }

  /** Marks it for retirement: it takes no new invocation and shuts down once idle. */
  retire(): void {
    const phase = this.#phase
    const waiting = !this.#dispatch.empty
    const noWork = phase.name === 'idle' || phase.name === 'reset'
    if (noWork || ((phase.name === 'starting' || phase.name === 'initializing') && !waiting)) {
      void this.shutdown('max-lifetime')
      return
    }
    if (phase.name === 'starting' || phase.name === 'initializing' || phase.name === 'busy') {
      this.#enter({ ...phase, retiring: true })
    }
  }

  #spawnRuntime(suppressed: boolean, retiring: boolean): void {
    this.#runtimes += 1
    this.#log.initStart(this.initType, suppressed ? 'invoke' : 'init')
    const output = this.#log.runtimeOutput()
    const env = runtimeEnv(
      this.fn,
      this.initType,
      this.id,
      `127.0.0.1:${this.#port}`,
      this.#context.runtimeClient,
      this.tmpDir,
      this.#context.credentialsEnv?.(),
      this.#context.xrayDaemon?.(),
    )
    const privateTmp =
      this.fn.privateTmp &&
      privateTmpAvailable() &&
      hiddenByPrivateTmp(runtimePaths(this.fn, this.#context.runtimeClient)).length === 0
    if (privateTmp) env.TMPDIR = '/tmp'
    const args = runtimeArgs(this.fn, this.#context.runtimeClient)
    // Taken before the private /tmp changes TMPDIR: extensions run on the host's file system.
    const extensionFiles = listExtensionFiles(this.fn.extensionsDir)
    const external =
      extensionFiles.length === 0
        ? null
        : new ExtensionProcesses({
            files: extensionFiles,
            cwd: this.fn.codeDir,
            env: extensionEnv(env),
            markPrefix: `${this.id}#${this.#runtimes}`,
            output: () => this.#log.runtimeOutput(),
            onExit: (exit) => this.#onExtensionExit(runtime, exit),
          })
    const inTmp = privateTmp
      ? withPrivateTmp(process.execPath, args, this.tmpDir)
      : { command: process.execPath, args }
    const cgroup = this.fn.memoryCgroups
      ? MemoryCgroup.create(`${this.id.slice(-12)}-${this.#runtimes}`, this.fn.memoryMb)
      : null
    const run = cgroup === null ? inTmp : cgroup.wrap(inTmp.command, inTmp.args)
    const runtime: Runtime = {
      output,
      extensions: new ExtensionRegistry(this.#registration(), external?.names() ?? []),
      external,
      initDurationMs: null,
      memory: new MemoryMonitor({
        limitMb: this.fn.memoryMb,
        // The runtime's processes only: external extensions are Node processes of their own here, and
        // summing their RSS counts Node's shared pages once per process (three Node processes pass 128 MB).
        members: () => runtime.process.members(),
        active: () => this.#memoryWatched(runtime),
        onOver: () => this.#outOfMemory(runtime),
        cgroup,
      }),
      process: new RuntimeProcess({
        ...run,
        cwd: this.fn.codeDir,
        env,
        mark: `AWS_LAMBDA_LOG_STREAM_NAME=${env.AWS_LAMBDA_LOG_STREAM_NAME}`,
        onOutput: (source, chunk) => output.write(source, chunk),
        onOutputEnd: (source) => output.end(source),
        onExit: (code, signal) => this.#onExit(runtime, code, signal),
        // Lambda starts the runtime once every external extension registered.
        deferred: external !== null,
      }),
    }
    runtime.memory.start()
    // A suppressed init spends the invocation's timeout, which started with the first one if any.
    this.#budgetStart = suppressed ? (this.#budgetStart ?? Date.now()) : null
    const limit = suppressed
      ? Math.max(0, (this.#budgetStart as number) + this.fn.timeoutMs - Date.now())
      : this.#initLimit()
    const init: InitAttempt = {
      startedAt: performance.now(),
      timer: setTimeout(() => this.#initFailed('timeout', 'Sandbox.Timedout', null), limit),
      suppressed,
      runtimeAsked: false,
    }
    this.#enter({ name: 'initializing', runtime, init, retiring })
  }

  /** On-demand init has 10 s by default; provisioned environments get 130 s, Managed Instances at least their timeout. */
  #initLimit(): number {
    if (this.initType === 'on-demand') return this.fn.initTimeoutMs
    // Managed Instances: the larger of 130 s and the function timeout.
    const floor = this.managed ? Math.max(130_000, this.fn.timeoutMs) : 130_000
    return Math.max(this.fn.initTimeoutMs, floor)
  }

  #onNext(response: ServerResponse, peer: PeerVerdict): void {
    this.#dispatch.poll(response, peer)
    const phase = this.#phase
    if (phase.name === 'initializing') {
      this.#log.initRuntimeDone()
      this.#enter({ ...phase, init: { ...phase.init, runtimeAsked: true } })
      this.#checkInitDone()
      return
    }
    this.#settle()
  }

  #onExtensionPoll(id: string, response: ServerResponse): void {
    const registry = this.#registryOf(id)
    if (!registry.poll(id, response) || registry !== this.#extensions) return
    this.#checkInitDone()
    if (this.#phase.name === 'busy') this.#settle()
  }

  /** Init ends when the runtime and every registered extension asked for their next event. */
  #checkInitDone(): void {
    const phase = this.#phase
    if (phase.name !== 'initializing') return
    if (!phase.init.runtimeAsked || !phase.runtime.extensions.allPolled) return
    clearTimeout(phase.init.timer)
    const initDurationMs = performance.now() - phase.init.startedAt
    // Lambda shows no Init Duration for an init inside an invocation: it is part of its Duration.
    phase.runtime.initDurationMs = phase.init.suppressed ? null : initDurationMs
    this.#logExtensions(phase.runtime)
    this.#log.initDone(initDurationMs, phase.runtime.extensions.described())
    this.#enter({ name: 'busy', runtime: phase.runtime, retiring: phase.retiring })
    this.#context.emit({
      type: 'environment.ready',
      at: Date.now(),
      environment: this.info(),
      initDurationMs,
    })
    if (this.#dispatch.queued === 0) this.#becomeIdle()
    else this.#deliver()
  }

  /**
   * After anything that may have ended the last piece of work: a busy environment with nothing
   * queued or in flight becomes idle (in classic mode once the runtime asks for its next invocation).
   */
  #settle(): void {
    const phase = this.#phase
    // Lambda ends an invocation when the runtime and every extension that got it asked for the next event.
    const extensionsDone = phase.name !== 'busy' || this.managed || phase.runtime.extensions.invokeDone
    if (phase.name === 'busy' && this.#dispatch.empty && (this.managed || this.#dispatch.polling)) {
      if (!extensionsDone) {
        this.#awaitExtensions()
        return
      }
      clearTimeout(this.#extensionsTimer)
      this.#becomeIdle()
      return
    }
    this.#deliver()
    if (this.managed && this.capacity > 0) this.#context.available()
  }

  /** Extensions still at work after the response: bounded by the invocation's deadline, then a reset. */
  #extensionsTimer: NodeJS.Timeout | undefined
  #lastDeadlineMs = 0

  #awaitExtensions(): void {
    clearTimeout(this.#extensionsTimer)
    this.#extensionsTimer = setTimeout(
      () => {
        const phase = this.#phase
        if (phase.name === 'busy' && this.#dispatch.empty && !phase.runtime.extensions.invokeDone) {
          this.#reset('timeout')
        }
      },
      Math.max(0, this.#lastDeadlineMs - Date.now()),
    )
  }

  #becomeIdle(): void {
    const phase = this.#phase
    if (phase.name !== 'busy') return
    if (phase.retiring) {
      void this.shutdown('max-lifetime')
      return
    }
    this.#enter({ name: 'idle', runtime: phase.runtime })
    if (this.fn.freeze && !this.managed && phase.runtime.process.freeze()) {
      phase.runtime.external?.freeze()
      this.#context.emit({ type: 'environment.freeze', at: Date.now(), environment: this.info() })
    }
    this.#context.available()
  }

  /** Thaws the runtime for waiting invocations (it may have been frozen before its poll came) and hands them over. */
  #deliver(): void {
    const phase = this.#phase
    if ((phase.name !== 'idle' && phase.name !== 'busy') || this.#dispatch.queued === 0) return
    // The next invocation waits until the extensions are through with the last one.
    if (phase.name === 'busy' && !this.managed && !phase.runtime.extensions.invokeDone) return
    if (phase.name === 'idle') this.#enter({ name: 'busy', runtime: phase.runtime, retiring: false })
    phase.runtime.external?.thaw()
    if (phase.runtime.process.thaw()) {
      this.#context.emit({ type: 'environment.thaw', at: Date.now(), environment: this.info() })
    }
    this.#dispatch.deliver()
  }

  #samplePeak(runtime: Runtime): number | null {
    runtime.memory.sample()
    return runtime.memory.reportedMb
  }

  /** Memory is sampled while the runtime works: during its init and its invocations, not while idle or frozen. */
  #memoryWatched(runtime: Runtime): boolean {
    const { name } = this.#phase
    return (
      runtime === this.#runtime && (name === 'initializing' || name === 'busy') && !runtime.process.frozen
    )
  }

  /**
   * Over the memory size: the processes are killed, as the kernel kills them in Lambda; the exit that
   * follows fails the invocations with `Runtime.OutOfMemory` and resets the environment.
   */
  #outOfMemory(runtime: Runtime): void {
    if (runtime === this.#runtime) runtime.process.killNow()
  }

  #delivered(running: Running): void {
    const { requestId } = running.invocation
    const runtime = this.#runtime
    if (runtime !== null) this.#samplePeak(runtime)
    this.#runtime?.extensions.notifyInvoke({
      requestId,
      deadlineMs: running.deadlineMs,
      invokedFunctionArn: this.fn.arn,
      traceId: running.traceId,
    })
    this.#context.emit({
      type: 'invocation.start',
      at: Date.now(),
      environment: this.info(),
      requestId,
      traceId: running.traceId,
    })
  }

  /** Handing the invocation over failed (a value no HTTP header can carry, say): it alone fails. */
  #deliveryFailed(requestId: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error)
    const message = `RequestId: ${requestId} Error: the invocation could not be handed to the runtime: ${reason}`
    this.#finish(requestId, errorPayload('Runtime.DispatchError', message), 'error')
  }

  #onResult(requestId: string, body: Buffer, errorType: string | null, response: ServerResponse): void {
    if (!this.#dispatch.runningIds().includes(requestId)) {
      sendJson(response, 400, {
        errorType: 'InvalidRequestID',
        errorMessage: `unknown request id ${requestId}`,
      })
      return
    }
    // A runtime that went over its memory size would have been killed before it could answer: its
    // own high-water mark shows a peak that the periodic sample may have missed.
    const runtime = this.#runtime
    if (runtime?.memory.sample()) {
      this.#outOfMemory(runtime)
      return
    }
    if (body.length > MAX_RESPONSE_BYTES) {
      sendJson(response, 413, { errorType: 'RequestEntityTooLarge', errorMessage: 'response too large' })
      const message = `Response payload size (${body.length} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`
      this.#finish(requestId, errorPayload('Function.ResponseSizeTooLarge', message), 'error')
      return
    }
    sendJson(response, 202, { status: 'OK' })
    const payload =
      body.length === 0 && errorType !== null ? errorPayload(errorType, '') : body.toString('utf8')
    this.#finish(requestId, payload, errorType === null ? 'success' : 'error')
  }

  /**
   * A streamed response: passed on to a caller that takes streams while the runtime writes it, else
   * collected as a buffered one (6 MB). Answered once the runtime finished it.
   */
  #onStream(requestId: string, request: IncomingMessage, response: ServerResponse): void {
    const running = this.#dispatch.running(requestId)
    if (running === undefined) {
      request.resume()
      sendJson(response, 400, {
        errorType: 'InvalidRequestID',
        errorMessage: `unknown request id ${requestId}`,
      })
      return
    }
    void receiveStream(request, running.invocation.onResponseStream, MAX_RESPONSE_BYTES).then((received) => {
      const runtime = this.#runtime
      if (runtime?.memory.sample()) {
        this.#outOfMemory(runtime)
        return
      }
      if (!response.destroyed) sendJson(response, 202, { status: 'OK' })
      if (received.errorType === null) {
        this.#finish(requestId, received.body.toString('utf8'), 'success')
        return
      }
      const payload = received.errorBody ?? errorPayload(received.errorType, '')
      this.#finish(requestId, payload, 'error')
    })
  }

  /** Ends an invocation in flight: END and REPORT, the caller's answer, then the environment's next step. */
  #finish(requestId: string, payload: string, outcome: InvocationOutcome, errorType?: string): void {
    const running = this.#dispatch.take(requestId)
    if (running === undefined) return
    this.#lastDeadlineMs = running.deadlineMs
    this.#lastEndAt = Date.now()
    const durationMs = performance.now() - running.startedAt
    const runtime = this.#runtime
    const initDurationMs = runtime?.initDurationMs ?? null
    if (runtime !== null) runtime.initDurationMs = null
    // Read now, before a timeout's reset kills the processes; a crashed runtime keeps its last peak.
    const peakMb = runtime === null ? null : this.#samplePeak(runtime)
    // The runtime's last lines travel through a pipe; one turn of the loop lets them land before END.
    setImmediate(() => {
      const tail = this.#log.end(
        {
          requestId,
          durationMs,
          memoryMb: this.fn.memoryMb,
          maxMemoryUsedMb: peakMb,
          initDurationMs,
          status: outcome,
          errorType,
        },
        outcome === 'success' || outcome === 'error' ? Buffer.byteLength(payload) : 0,
      )
      settleSafely(running.invocation, {
        payload,
        functionError: outcome !== 'success',
        outcome,
        logResult: running.invocation.tail ? tail : undefined,
        environmentId: this.id,
      })
      this.#context.emit({
        type: 'invocation.end',
        at: Date.now(),
        environment: this.info(),
        requestId,
        durationMs,
        outcome,
        maxMemoryUsedMb: peakMb,
        ...(outcome === 'success' ? {} : { error: describeError(payload) }),
      })
      this.#settle()
    })
  }

  /** Fails what is pending; written once for a crash, a failed init and a shutdown. */
  #failPending(failure: PendingFailure): void {
    const payloadFor = (requestId: string): string =>
      failure.body ?? errorPayload(failure.errorType, failure.message(requestId))
    for (const requestId of this.#dispatch.runningIds()) {
      this.#finish(requestId, payloadFor(requestId), failure.outcome, failure.errorType)
    }
    if (failure.queued === false) return
    const initStartedAt = this.#phase.name === 'initializing' ? this.#phase.init.startedAt : null
    for (const invocation of this.#dispatch.takeQueued()) {
      let tail = ''
      if (failure.queued.logged) {
        this.#log.start(invocation.requestId, this.managed)
        tail = this.#log.end({
          requestId: invocation.requestId,
          durationMs: 0,
          memoryMb: this.fn.memoryMb,
          maxMemoryUsedMb: null,
          initDurationMs: initStartedAt === null ? null : performance.now() - initStartedAt,
          status: failure.outcome,
          errorType: failure.errorType,
        })
      }
      settleSafely(invocation, {
        payload: payloadFor(invocation.requestId),
        functionError: true,
        outcome: failure.outcome,
        logResult: invocation.tail ? tail : undefined,
        environmentId: this.id,
      })
    }
  }

  #onTimeout(requestId: string): void {
    this.#log.timedOut(requestId, this.fn.timeoutMs)
    const message = `RequestId: ${requestId} Error: Task timed out after ${seconds(this.fn.timeoutMs)} seconds`
    this.#finish(requestId, errorPayload('Sandbox.Timedout', message), 'timeout')
    // Managed Instances: the other invocations of the runtime go on; only this caller gets the timeout.
    if (!this.managed) this.#reset('timeout')
  }

  /** A timeout or a crash: new runtime process, same log stream, same /tmp. */
  #reset(reason: 'timeout' | 'crash'): void {
    const phase = this.#phase
    if (phase.name !== 'idle' && phase.name !== 'busy') return
    phase.runtime.process.killNow()
    this.#dispatch.dropPolls()
    this.#trackStop(this.#stopExtensions(phase.runtime, reason === 'timeout' ? 'timeout' : 'failure'))
    this.#context.emit({ type: 'environment.reset', at: Date.now(), environment: this.info(), reason })
    if (phase.name === 'busy' && phase.retiring) {
      void this.shutdown('max-lifetime')
      return
    }
    // Lambda starts the new runtime with the next invocation, not now.
    this.#enter({ name: 'reset' })
    if (this.#dispatch.queued > 0) this.#spawnRuntime(true, false)
    else this.#context.available()
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
  #initFailed(
    reason: 'error' | 'timeout' | 'exit',
    errorType: string,
    body: string | null,
    detail = 'Runtime exited without providing a reason',
  ): void {
    const phase = this.#phase
    if (phase.name !== 'initializing') return
    clearTimeout(phase.init.timer)
    phase.runtime.process.killNow()
    // Killed with the failed init (Lambda's reset of a failed init would send SHUTDOWN: see the README's Limits).
    phase.runtime.external?.killNow()
    this.#logExtensions(phase.runtime)
    this.#dispatch.dropPolls()
    this.#log.initReport(
      performance.now() - phase.init.startedAt,
      phase.init.suppressed ? 'invoke' : 'init',
      reason === 'timeout' ? 'timeout' : 'error',
      errorType,
    )
    this.#context.emit({
      type: 'environment.init-failed',
      at: Date.now(),
      environment: this.info(),
      reason,
      errorType,
    })
    if (this.#dispatch.queued > 0 && !phase.init.suppressed) {
      this.#spawnRuntime(true, phase.retiring)
      // After its INIT_START line; its output comes through the pipes later.
      this.#log.captureInit(this.#dispatch.queuedIds())
      return
    }
    this.#failPending({
      outcome: 'init-error',
      errorType,
      body,
      message: (requestId) =>
        reason === 'timeout'
          ? `RequestId: ${requestId} Error: Task timed out after ${seconds(this.fn.timeoutMs)} seconds`
          : `RequestId: ${requestId} Error: ${detail}`,
      queued: { logged: true },
    })
    // An init that failed inside an invocation is tried again inside the next one, as Lambda does:
    // a function whose init never fits its timeout never recovers. A first init with nothing waiting ends it.
    if (phase.init.suppressed && !phase.retiring) {
      this.#enter({ name: 'reset' })
      this.#context.available()
      return
    }
    void this.shutdown('init-failed')
  }

  #onExit(runtime: Runtime, code: number | null, signal: NodeJS.Signals | null): void {
    // Read before the cgroup goes: a kill by the kernel for memory is in its counters.
    const errorType = runtime.memory.sample() ? 'Runtime.OutOfMemory' : 'Runtime.ExitError'
    void runtime.memory.release()
    if (runtime !== this.#runtime) return
    const phase = this.#phase
    if (phase.name === 'initializing') {
      this.#initFailed('exit', errorType, null)
      return
    }
    if (phase.name !== 'idle' && phase.name !== 'busy') return
    const status = exitStatus(code, signal)
    for (const requestId of this.#dispatch.runningIds()) this.#log.runtimeExited(requestId, status, errorType)
    this.#failPending({
      outcome: 'crash',
      errorType,
      message: (requestId) => `RequestId: ${requestId} Error: Runtime exited with error: ${status}`,
      queued: false,
    })
    this.#reset('crash')
  }

  /**
   * An external extension ended outside a shutdown: during init it fails the init; afterwards it
   * fails the invocation in flight and resets the environment, as Lambda does. The error type is
   * `Extension.Crash`, or `Extension.InitError`/`Extension.ExitError` when it said so first, or
   * `Extension.LaunchError` when it could not be started; the message is Go's words for the exit.
   */
  #onExtensionExit(runtime: Runtime, exit: ExtensionExit): void {
    if (runtime !== this.#runtime) return
    const phase = this.#phase
    const errorType =
      exit.spawnError === undefined ? runtime.extensions.fatalErrorOf(exit.name) : 'Extension.LaunchError'
    const detail =
      exit.spawnError?.message ?? (exit.code === 0 ? 'exit code 0' : exitStatus(exit.code, exit.signal))
    if (phase.name === 'initializing') {
      this.#initFailed('error', errorType, null, detail)
      return
    }
    if (phase.name !== 'idle' && phase.name !== 'busy') return
    for (const requestId of this.#dispatch.runningIds())
      this.#log.extensionCrashed(requestId, detail, errorType)
    this.#failPending({
      outcome: 'crash',
      errorType,
      message: (requestId) => `RequestId: ${requestId} Error: ${detail}`,
      queued: false,
    })
    this.#reset('crash')
  }

  /** Extensions of reset runtimes still shutting down: the environment's own shutdown waits for them. */
  readonly #extensionStops = new Set<Promise<void>>()

  #trackStop(stop: Promise<void>): void {
    this.#extensionStops.add(stop)
    void stop.finally(() => this.#extensionStops.delete(stop))
  }

  /** The init's `EXTENSION` lines, one per registered extension. */
  #logExtensions(runtime: Runtime): void {
    for (const summary of runtime.extensions.summaries()) this.#log.extension(summary)
  }

  /**
   * SHUTDOWN to every external extension subscribed to it, with the deadline of Lambda's budget;
   * SIGKILL at once to the others, and to every one still there at the deadline.
   */
  async #stopExtensions(
    runtime: Runtime,
    reason: ShutdownEventReason,
    budgetMs = EXTERNAL_SHUTDOWN_BUDGET_MS,
  ): Promise<void> {
    const external = runtime.external
    // None, or already told (a retiring environment's reset, then its shutdown): told once.
    if (external === null || this.#stoppingExtensions.has(runtime)) return
    this.#stoppingExtensions.add(runtime)
    const deadlineMs = Date.now() + budgetMs
    const subscribers = runtime.extensions.shutdownSubscribers()
    runtime.extensions.notifyShutdown(deadlineMs, reason)
    external.thaw()
    await Promise.all(
      external
        .names()
        .filter((name) => !subscribers.includes(name))
        .map((name) => external.kill(name)),
    )
    await external.exitBy(subscribers, deadlineMs)
    this.#stoppingExtensions.delete(runtime)
  }

  /**
   * Lambda's shutdown: SIGTERM only when an extension registered, then SIGKILL after the runtime's
   * budget; with no extension, SIGKILL at once. The /tmp goes with the environment.
   */
  shutdown(reason: ShutdownReason): Promise<void> {
    this.#stopping ??= this.#shutdown(reason)
    return this.#stopping
  }

  /**
   * The runtime's end in a shutdown. With external extensions: SIGTERM to the runtime and its share
   * of the 2 s budget, then SHUTDOWN to the extensions until the deadline. With internal ones only:
   * SIGTERM and the function's `shutdownTimeoutMs`. With none: SIGKILL at once.
   */
  async #endRuntime(runtime: Runtime, reason: ShutdownReason, graceful: boolean): Promise<void> {
    if (runtime.external === null || runtime.extensions.externalCount === 0) {
      if (graceful) await runtime.process.terminate(this.fn.shutdownTimeoutMs)
      else await runtime.process.kill()
      // Extensions started but never registered (a shutdown during their init): nothing to tell them.
      await runtime.external?.exitBy([], Date.now())
      return
    }
    const startedAt = Date.now()
    const share =
      runtime.extensions.internalCount > 0 ? RUNTIME_SHARE_MS.withInternal : RUNTIME_SHARE_MS.externalOnly
    await runtime.process.askToExit(Math.min(this.fn.shutdownTimeoutMs, share))
    await runtime.process.kill()
    const left = EXTERNAL_SHUTDOWN_BUDGET_MS - (Date.now() - startedAt)
    await this.#stopExtensions(runtime, reason === 'init-failed' ? 'failure' : 'spindown', left)
  }

  async #shutdown(reason: ShutdownReason): Promise<void> {
    const phase = this.#phase
    const runtime = this.#runtime
    if (phase.name === 'initializing') clearTimeout(phase.init.timer)
    this.#enter({ name: 'shutting-down', reason, runtime })
    await this.#starting
    const graceful = runtime !== null && runtime.extensions.size > 0
    this.#context.emit({
      type: 'environment.shutdown',
      at: Date.now(),
      environment: this.info(),
      reason,
      signal: graceful ? 'SIGTERM' : 'SIGKILL',
    })
    if (runtime !== null) {
      // The last telemetry goes out while the runtime and extensions handle their shutdown, within its budget.
      const flushed = graceful ? this.#log.telemetry.flush(this.fn.shutdownTimeoutMs) : undefined
      await Promise.all([this.#endRuntime(runtime, reason, graceful), flushed])
      await runtime.memory.release()
    }
    this.#enter({ name: 'shutting-down', reason, runtime: null })
    // Extensions of an earlier reset may still be in their SHUTDOWN time (2 s at most).
    await Promise.all(this.#extensionStops)
    this.#failPending({
      outcome: 'crash',
      errorType: 'Runtime.ExitError',
      message: (requestId) => `RequestId: ${requestId} Error: the environment was shut down (${reason})`,
      queued: { logged: false },
    })
    const server = this.#server
    if (server !== null) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    }
    // END/REPORT lines of the invocations just failed are written on the next turn of the loop.
    await new Promise((resolve) => setImmediate(resolve))
    this.#log.close()
    removeTmpDir(this.tmpDir)
    this.#enter({ name: 'stopped', reason })
    this.#context.emit({ type: 'environment.stopped', at: Date.now(), environment: this.info() })
    this.#context.stopped()
  }
}

/** Every live process of a runtime and of its external extensions. */
const processesOf = (runtime: Runtime): number[] => [
  ...runtime.process.members(),
  ...(runtime.external?.members() ?? []),
]

/** `errorType: errorMessage` of an error payload, for people (the serve view); its start when it is not JSON. */
const describeError = (payload: string): string => {
  try {
    const error = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown }
    return `${String(error.errorType ?? 'Error')}: ${String(error.errorMessage ?? '')}`.slice(0, 300)
  } catch {
    return payload.slice(0, 300)
  }
}

/** The caller's answer; a caller that throws on it does not stop the environment. */
const settleSafely = (invocation: Invocation, result: InvocationResult): void => {
  try {
    invocation.settle(result)
  } catch {
    // The caller's failure is its own.
  }
}

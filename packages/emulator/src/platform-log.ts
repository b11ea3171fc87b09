/**
 * The log stream of one environment as CloudWatch shows it: the runtime's output, line by line, and
 * the platform lines (INIT_START, START, END, REPORT, the timeout line), each written from one place.
 * The Telemetry API takes its `platform.*` events and its log records from the same calls.
 */
import { billedDurationMs, LogStream, PipeLines, type ReportFigures, reportLine } from './logs.js'
import type { LoggingConfig } from './sandbox.js'
import { TelemetryHub } from './telemetry.js'
import type { TelemetryType } from './telemetry-subscription.js'

/** The level of each platform record, for the system log level filter of the JSON format. */
const LEVELS = ['DEBUG', 'INFO', 'WARN'] as const
type SystemLevel = (typeof LEVELS)[number]

/** A duration as Lambda prints it in a timeout message: seconds with two decimals. */
export const seconds = (ms: number): string => (ms / 1000).toFixed(2)

/** The output pipes of one runtime process. */
export interface RuntimeOutput {
  write(source: 'stdout' | 'stderr', chunk: Buffer): void
  /** A pipe closed: what is left in it is written, completed with a newline. */
  end(source: 'stdout' | 'stderr'): void
}

type Pipes = Record<'stdout' | 'stderr', PipeLines>

/** What `platform.initStart` says of the function and the environment (2022-12-13 onwards). */
export interface EnvironmentIdentity {
  readonly functionName: string
  readonly functionVersion: string
  /** The log stream name: Lambda's `instanceId`. */
  readonly instanceId: string
  readonly memoryMb: number
}

/** The init under way, for the records that follow its start. */
interface InitUnderWay {
  readonly initializationType: string
  readonly phase: 'init' | 'invoke'
  runtimeDone: boolean
}

/** An extension as `platform.extension` describes it once the init is done. */
export interface ReadyExtension {
  readonly name: string
  readonly events: readonly string[]
}

export class PlatformLog {
  readonly #stream: LogStream
  readonly #outputs = new Set<Pipes>()
  /** JSON format: platform records as JSON objects at or above this level; null for Text. */
  readonly #json: SystemLevel | null
  readonly #identity: EnvironmentIdentity | null
  #init: InitUnderWay = { initializationType: 'on-demand', phase: 'init', runtimeDone: false }
  /** The Telemetry API subscriptions of the environment's extensions, fed from the calls below. */
  readonly telemetry = new TelemetryHub()
  /** The trace header of each invocation in flight, for its telemetry records; removed at its end. */
  readonly #tracing = new Map<string, string>()

  constructor(
    file: string,
    logging: LoggingConfig | null = null,
    identity: EnvironmentIdentity | null = null,
  ) {
    this.#stream = new LogStream(file)
    this.#json = logging?.logFormat === 'JSON' ? (logging.systemLogLevel ?? 'INFO') : null
    this.#identity = identity
  }

  /** A platform event for the Telemetry API's subscribers. */
  #publish(type: string, record: Record<string, unknown>): void {
    if (!this.telemetry.listening) return
    this.telemetry.publish({ category: 'platform', time: new Date().toISOString(), type, record })
  }

  /**
   * Log lines for the subscribers of `function` or `extension`: each line a record, the line itself
   * with the Text format, its object with the JSON format (a line that is not a JSON object stays text).
   */
  #publishLines(category: TelemetryType, text: string): void {
    if (text.length === 0 || !this.telemetry.listening) return
    const time = new Date().toISOString()
    for (const line of text.split('\n')) {
      if (line.length === 0) continue
      this.telemetry.publish({ category, time, type: category, record: this.#logRecord(line) })
    }
  }

  #logRecord(line: string): Readonly<Record<string, unknown>> | string {
    if (this.#json === null || !line.startsWith('{')) return line
    try {
      const parsed: unknown = JSON.parse(line)
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : line
    } catch {
      return line
    }
  }

  /** Runtime output: into the stream, and to the Telemetry API as `function` records. */
  #runtimeText(text: string): void {
    this.#stream.write(text)
    this.#publishLines('function', text)
  }

  /**
   * Lines an extension process wrote (`name` prefixes them in the stream, as Lambda does): to the
   * Telemetry API as `extension` records.
   */
  extensionLines(name: string, text: string): void {
    this.#platform(text.replace(/^(?=.)/gm, `[${name}] `))
    this.#publishLines('extension', text)
  }

  /**
   * A platform event: its text line, or with the JSON format its record (`{ time, type, record }`),
   * kept when its level passes the system log level.
   */
  #event(text: string, type: string, record: Record<string, unknown>, level: SystemLevel = 'INFO'): void {
    if (this.#json === null) {
      this.#platform(text)
      return
    }
    if (LEVELS.indexOf(level) < LEVELS.indexOf(this.#json)) return
    this.#platform(`${JSON.stringify({ time: new Date().toISOString(), type, record })}\n`)
  }

  get file(): string {
    return this.#stream.file
  }

  /** Pipes of a new runtime process; the old one's may still be draining, so each has its own. */
  runtimeOutput(): RuntimeOutput {
    const pipes: Pipes = { stdout: new PipeLines(), stderr: new PipeLines() }
    const open = new Set(['stdout', 'stderr'])
    this.#outputs.add(pipes)
    return {
      write: (source, chunk) => this.#runtimeText(pipes[source].push(chunk)),
      end: (source) => {
        this.#runtimeText(pipes[source].flush(true))
        open.delete(source)
        if (open.size === 0) this.#outputs.delete(pipes)
      },
    }
  }

  /** A platform line starts on a line of its own: unfinished runtime lines are completed first. */
  #platform(line: string): void {
    for (const pipes of this.#outputs) this.#runtimeText(pipes.stdout.flush() + pipes.stderr.flush())
    this.#stream.write(line)
  }

  /**
   * INIT_START of a new runtime (`phase: 'invoke'` for an init inside an invocation). Its extensions
   * subscribe anew: the old runtime's subscriptions went with it.
   */
  initStart(initializationType = 'on-demand', phase: 'init' | 'invoke' = 'init'): void {
    this.#init = { initializationType, phase, runtimeDone: false }
    this.telemetry.restart()
    const runtimeVersion = `nodejs:${process.versions.node}`
    const text = `INIT_START Runtime Version: ${runtimeVersion} (lambda-lifetime emulator)\n`
    this.#event(text, 'platform.initStart', { initializationType, phase, runtimeVersion })
    const identity = this.#identity
    this.#publish('platform.initStart', {
      initializationType,
      phase,
      runtimeVersion,
      ...(identity === null
        ? {}
        : {
            functionName: identity.functionName,
            functionVersion: identity.functionVersion,
            instanceId: identity.instanceId,
            instanceMaxMemory: identity.memoryMb * 1024 * 1024,
          }),
    })
  }

  /** The runtime finished its init (its first request for work), or failed it. Telemetry only. */
  initRuntimeDone(status: 'success' | 'error' | 'timeout' = 'success', errorType?: string): void {
    if (this.#init.runtimeDone) return
    this.#init.runtimeDone = true
    const { initializationType, phase } = this.#init
    this.#publish('platform.initRuntimeDone', {
      initializationType,
      phase,
      status,
      ...(errorType === undefined ? {} : { errorType }),
    })
  }

  /**
   * The init is done: the runtime and every extension asked for their next event. Lambda's
   * `platform.extension` for each extension and the init's `platform.initReport` (no line in the log
   * stream: CloudWatch shows INIT_REPORT only for a failed init); the subscriptions close.
   */
  initDone(durationMs: number, extensions: readonly ReadyExtension[]): void {
    this.initRuntimeDone()
    for (const extension of extensions) {
      this.#publish('platform.extension', {
        name: extension.name,
        state: 'Ready',
        events: [...extension.events],
      })
    }
    const { initializationType, phase } = this.#init
    this.#publish('platform.initReport', {
      initializationType,
      phase,
      status: 'success',
      metrics: { durationMs: Number(durationMs.toFixed(3)) },
    })
    this.telemetry.closeSubscriptions()
  }

  /**
   * START, and the capture of the invocation's own text (only its lines when invocations overlap).
   * `traceId` (the invocation's `X-Amzn-Trace-Id`) goes into its telemetry records as `tracing`.
   */
  start(requestId: string, concurrent: boolean, traceId?: string): void {
    this.#stream.capture(requestId, concurrent)
    const record = { requestId, version: '$LATEST' }
    this.#event(`START RequestId: ${requestId} Version: $LATEST\n`, 'platform.start', record)
    if (traceId !== undefined && this.telemetry.listening) this.#tracing.set(requestId, traceId)
    this.#publish('platform.start', { ...record, ...this.#tracingOf(requestId) })
  }

  #tracingOf(requestId: string): { tracing?: { type: 'X-Amzn-Trace-Id'; value: string } } {
    const value = this.#tracing.get(requestId)
    return value === undefined ? {} : { tracing: { type: 'X-Amzn-Trace-Id', value } }
  }

  /**
   * A failed or timed-out init: `Phase: init` for the environment's own init, `invoke` for one inside
   * an invocation.
   */
  initReport(
    durationMs: number,
    phase: 'init' | 'invoke',
    status: 'timeout' | 'error',
    errorType: string,
  ): void {
    const parts = [
      `INIT_REPORT Init Duration: ${durationMs.toFixed(2)} ms`,
      `Phase: ${phase}`,
      `Status: ${status}`,
    ]
    if (status === 'error') parts.push(`Error Type: ${errorType}`)
    this.initRuntimeDone(status, errorType)
    this.#publish('platform.initReport', {
      initializationType: this.#init.initializationType,
      phase,
      status,
      errorType,
      metrics: { durationMs: Number(durationMs.toFixed(3)) },
    })
    this.telemetry.closeSubscriptions()
    this.#event(
      `${parts.join('\t')}\n`,
      'platform.initReport',
      {
        phase,
        status,
        ...(status === 'error' ? { errorType } : {}),
        metrics: { durationMs: Number(durationMs.toFixed(3)) },
      },
      'WARN',
    )
  }

  /** An extension died under an invocation: Lambda's fault lines (`RequestId: … Error: exit status 3`, then the type). */
  extensionCrashed(requestId: string, detail: string, errorType: string): void {
    this.#platform(`RequestId: ${requestId} Error: ${detail}\n${errorType}\n`)
  }

  /** The runtime died under an invocation: Lambda's two lines before its END. */
  runtimeExited(requestId: string, status: string, errorType = 'Runtime.ExitError'): void {
    this.#platform(`RequestId: ${requestId} Error: Runtime exited with error: ${status}\n${errorType}\n`)
  }

  /**
   * An init retried inside waiting invocations (a suppressed init) is part of them: its output goes
   * into their tails, as Lambda returns the init error in `X-Amz-Log-Result`.
   */
  captureInit(requestIds: readonly string[]): void {
    for (const requestId of requestIds) this.#stream.capture(requestId, false)
  }

  timedOut(requestId: string, timeoutMs: number): void {
    this.#platform(
      `${new Date().toISOString()} ${requestId} Task timed out after ${seconds(timeoutMs)} seconds\n`,
    )
  }

  /**
   * END and REPORT; returns the invocation's tail (base64 of its last 4 KB). Subscribers get
   * `platform.runtimeDone` (with the response's size, `producedBytes`) and `platform.report`.
   */
  end(figures: ReportFigures, producedBytes = 0): string {
    const report = reportRecord(figures)
    const { requestId, status, errorType } = report
    const tracing = this.#tracingOf(requestId)
    this.#tracing.delete(requestId)
    this.#publish('platform.runtimeDone', {
      requestId,
      status,
      ...(errorType === undefined ? {} : { errorType }),
      metrics: { durationMs: Number(figures.durationMs.toFixed(3)), producedBytes },
      ...tracing,
    })
    this.#publish('platform.report', { ...report, ...tracing })
    if (this.#json === null) {
      this.#platform(`END RequestId: ${figures.requestId}\n`)
      this.#platform(reportLine(figures))
    } else {
      this.#event('', 'platform.report', report)
    }
    return this.#stream.takeTail(figures.requestId)
  }

  /**
   * What the init made of one extension, written when the init ends (well or not):
   * `EXTENSION Name: … State: … Events: […]`, or a `platform.extension` record with the JSON format.
   */
  extension(summary: {
    readonly name: string
    readonly state: string
    readonly events: readonly string[]
    readonly errorType?: string
  }): void {
    const { name, state, events, errorType } = summary
    const text = `EXTENSION Name: ${name}\tState: ${state}\tEvents: [${events.join(',')}]\n`
    this.#event(text, 'platform.extension', {
      name,
      state,
      events: [...events],
      ...(errorType === undefined ? {} : { errorType }),
    })
  }

  close(): void {
    for (const pipes of this.#outputs) this.#runtimeText(pipes.stdout.flush(true) + pipes.stderr.flush(true))
    this.#outputs.clear()
    this.#stream.close()
    this.telemetry.close()
  }
}

/** The `platform.report` record, the same in the JSON log format and for the Telemetry API. */
const reportRecord = (
  figures: ReportFigures,
): { requestId: string; status: string; errorType?: string } & Record<string, unknown> => {
  const init = figures.initDurationMs
  return {
    requestId: figures.requestId,
    metrics: {
      durationMs: Number(figures.durationMs.toFixed(3)),
      billedDurationMs: billedDurationMs(figures),
      memorySizeMB: figures.memoryMb,
      maxMemoryUsedMB: figures.maxMemoryUsedMb ?? 0,
      ...(init === null ? {} : { initDurationMs: Number(init.toFixed(3)) }),
    },
    status: figures.status === 'success' || figures.status === 'timeout' ? figures.status : 'error',
    ...(figures.errorType === undefined ? {} : { errorType: figures.errorType }),
  }
}

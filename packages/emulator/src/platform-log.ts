/**
 * The log stream of one environment as CloudWatch shows it: the runtime's output, line by line, and
 * the platform lines (INIT_START, START, END, REPORT, the timeout line), each written from one place.
 * A Telemetry API would take its `platform.*` events from the same calls.
 */
import { billedDurationMs, LogStream, PipeLines, type ReportFigures, reportLine } from './logs.js'
import type { LoggingConfig } from './sandbox.js'

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

export class PlatformLog {
  readonly #stream: LogStream
  readonly #outputs = new Set<Pipes>()
  /** JSON format: platform records as JSON objects at or above this level; null for Text. */
  readonly #json: SystemLevel | null

  constructor(file: string, logging: LoggingConfig | null = null) {
    this.#stream = new LogStream(file)
    this.#json = logging?.logFormat === 'JSON' ? (logging.systemLogLevel ?? 'INFO') : null
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
      write: (source, chunk) => this.#stream.write(pipes[source].push(chunk)),
      end: (source) => {
        this.#stream.write(pipes[source].flush(true))
        open.delete(source)
        if (open.size === 0) this.#outputs.delete(pipes)
      },
    }
  }

  /** A platform line starts on a line of its own: unfinished runtime lines are completed first. */
  #platform(line: string): void {
    for (const pipes of this.#outputs) this.#stream.write(pipes.stdout.flush() + pipes.stderr.flush())
    this.#stream.write(line)
  }

  initStart(initializationType = 'on-demand'): void {
    const runtimeVersion = `nodejs:${process.versions.node}`
    const text = `INIT_START Runtime Version: ${runtimeVersion} (lambda-lifetime emulator)\n`
    this.#event(text, 'platform.initStart', { initializationType, phase: 'init', runtimeVersion })
  }

  /** START, and the capture of the invocation's own text (only its lines when invocations overlap). */
  start(requestId: string, concurrent: boolean): void {
    this.#stream.capture(requestId, concurrent)
    this.#event(`START RequestId: ${requestId} Version: $LATEST\n`, 'platform.start', {
      requestId,
      version: '$LATEST',
    })
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

  /** END and REPORT; returns the invocation's tail (base64 of its last 4 KB). */
  end(figures: ReportFigures): string {
    if (this.#json === null) {
      this.#platform(`END RequestId: ${figures.requestId}\n`)
      this.#platform(reportLine(figures))
    } else {
      this.#event('', 'platform.report', reportRecord(figures))
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
    for (const pipes of this.#outputs) this.#stream.write(pipes.stdout.flush(true) + pipes.stderr.flush(true))
    this.#outputs.clear()
    this.#stream.close()
  }
}

/** The `platform.report` record of the JSON log format. */
const reportRecord = (figures: ReportFigures): Record<string, unknown> => {
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

/**
 * The log stream of one environment as CloudWatch shows it: the runtime's output, line by line, and
 * the platform lines (INIT_START, START, END, REPORT, the timeout line), each written from one place.
 * A Telemetry API would take its `platform.*` events from the same calls.
 */
import { LogStream, PipeLines, type ReportFigures, reportLine } from './logs.js'

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

  constructor(file: string) {
    this.#stream = new LogStream(file)
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

  initStart(): void {
    this.#platform(`INIT_START Runtime Version: nodejs:${process.versions.node} (lambda-lifetime emulator)\n`)
  }

  /** START, and the capture of the invocation's own text (only its lines when invocations overlap). */
  start(requestId: string, concurrent: boolean): void {
    this.#stream.capture(requestId, concurrent)
    this.#platform(`START RequestId: ${requestId} Version: $LATEST\n`)
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
    this.#platform(`END RequestId: ${figures.requestId}\n`)
    this.#platform(reportLine(figures))
    return this.#stream.takeTail(figures.requestId)
  }

  close(): void {
    for (const pipes of this.#outputs) this.#stream.write(pipes.stdout.flush(true) + pipes.stderr.flush(true))
    this.#outputs.clear()
    this.#stream.close()
  }
}

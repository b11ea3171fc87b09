/**
 * One log stream per environment, written to a file the way CloudWatch shows it: the runtime's own
 * output plus the platform lines (INIT_START, START, END, REPORT).
 */
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { StringDecoder } from 'node:string_decoder'

/** Lambda cuts a log event at 256 KB: an unfinished line longer than that is written as it is. */
export const MAX_LINE_CHARS = 256 * 1024

/** Lambda returns at most the last 4 KB of an invocation's log in `X-Amz-Log-Result`. */
export const LOG_TAIL_BYTES = 4096

const two = (value: number): string => String(value).padStart(2, '0')

/**
 * A new log stream name in Lambda's shape, `YYYY/MM/DD/[$LATEST]<32 hex>`, dated in UTC.
 *
 * @example
 * ```ts
 * logStreamName(new Date()) // '2025/06/01/[$LATEST]9f0c...'
 * ```
 */
export const logStreamName = (date: Date, version = '$LATEST'): string =>
  `${date.getUTCFullYear()}/${two(date.getUTCMonth() + 1)}/${two(date.getUTCDate())}/[${version}]${randomBytes(16).toString('hex')}`

/**
 * The file of a log stream: `/` becomes `-` (the stream `2025/06/01/[$LATEST]ab…` is in
 * `2025-06-01-[$LATEST]ab….log`), so the first three `-` turn back into `/`.
 *
 * @example
 * ```ts
 * logStreamFile('/logs', 'hello', '2025/06/01/[$LATEST]ab12') // '/logs/hello/2025-06-01-[$LATEST]ab12.log'
 * ```
 */
export const logStreamFile = (logDir: string, functionName: string, streamName: string): string =>
  join(logDir, functionName, `${streamName.replaceAll('/', '-')}.log`)

/** Peak resident memory of a process in MB, from Linux's /proc; null elsewhere. */
export const maxMemoryUsedMb = (pid: number | null): number | null => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = /VmHWM:\s+(\d+) kB/.exec(status)
    return match ? Math.ceil(Number(match[1]) / 1024) : null
  } catch {
    return null
  }
}

/** What goes on the REPORT line. */
export interface ReportFigures {
  readonly requestId: string
  readonly durationMs: number
  readonly memoryMb: number
  readonly maxMemoryUsedMb: number | null
  readonly initDurationMs: number | null
  readonly status: 'success' | 'error' | 'timeout' | 'crash' | 'init-error'
  readonly errorType?: string
}

/**
 * Billed Duration: the duration and, since August 2025, the init of an on-demand function's first
 * invocation, rounded up to the millisecond, at least 1. Summed from the figures as the line prints them
 * (hundredths of a ms), so that a reader adding up the line gets the same number.
 *
 * @example
 * ```ts
 * billedDurationMs({ durationMs: 100.004, initDurationMs: 80.997 }) // 181: the line prints 100.00 and 81.00
 * ```
 */
export const billedDurationMs = (figures: Pick<ReportFigures, 'durationMs' | 'initDurationMs'>): number => {
  const hundredths = Math.round(figures.durationMs * 100) + Math.round((figures.initDurationMs ?? 0) * 100)
  return Math.max(1, Math.ceil(hundredths / 100))
}

/** The REPORT line, tab-separated like Lambda's. */
export const reportLine = (figures: ReportFigures): string => {
  const parts = [
    `REPORT RequestId: ${figures.requestId}`,
    `Duration: ${figures.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${billedDurationMs(figures)} ms`,
    `Memory Size: ${figures.memoryMb} MB`,
    `Max Memory Used: ${figures.maxMemoryUsedMb ?? 0} MB`,
  ]
  if (figures.initDurationMs !== null) parts.push(`Init Duration: ${figures.initDurationMs.toFixed(2)} ms`)
  if (figures.status === 'timeout') parts.push('Status: timeout')
  else if (figures.status === 'crash' || figures.status === 'init-error') {
    parts.push('Status: error', `Error Type: ${figures.errorType}`)
  }
  return `${parts.join('\t')}\t\n`
}

/**
 * The log stream file of one environment. Writes are synchronous so that the platform lines keep
 * their place among the runtime's output. Captures let an invocation get its own tail.
 */
export class LogStream {
  readonly file: string
  #fd: number | null
  readonly #captures = new Map<string, { text: string; onlyMatching: boolean }>()

  constructor(file: string) {
    this.file = file
    mkdirSync(join(file, '..'), { recursive: true })
    this.#fd = openSync(file, 'a')
  }

  write(text: string): void {
    if (this.#fd === null) return
    writeSync(this.#fd, text)
    for (const [requestId, capture] of this.#captures) {
      capture.text += capture.onlyMatching ? keepLinesWith(text, requestId) : text
    }
  }

  /**
   * Starts collecting the text of one invocation; `onlyMatching` keeps only lines naming it (concurrent
   * runtimes). A capture already running (from an init retried inside the invocation) goes on.
   */
  capture(requestId: string, onlyMatching: boolean): void {
    if (!this.#captures.has(requestId)) this.#captures.set(requestId, { text: '', onlyMatching })
  }

  /** Stops collecting and returns the last 4 KB, base64, as Lambda's `X-Amz-Log-Result`. */
  takeTail(requestId: string): string {
    const text = this.#captures.get(requestId)?.text ?? ''
    this.#captures.delete(requestId)
    const bytes = Buffer.from(text)
    return bytes.subarray(Math.max(0, bytes.length - LOG_TAIL_BYTES)).toString('base64')
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd)
    this.#fd = null
  }
}

const keepLinesWith = (text: string, needle: string): string =>
  text
    .split(/(?<=\n)/)
    .filter((line) => line.includes(needle))
    .join('')

/**
 * One pipe of a runtime process (stdout or stderr) turned into whole lines: its bytes are decoded as
 * one UTF-8 stream, so a character split across chunks stays whole, and an unfinished line waits for
 * its end (or for `flush`) so that nothing lands in the middle of it.
 *
 * @example
 * ```ts
 * const lines = new PipeLines()
 * lines.push(Buffer.from([0xe2, 0x82])) // ''
 * lines.push(Buffer.from([0xac, 0x0a])) // '€\n'
 * ```
 */
export class PipeLines {
  readonly #decoder = new StringDecoder('utf8')
  #partial = ''

  /** The lines this chunk completed, each ending in a newline; '' when none. */
  push(chunk: Buffer): string {
    const text = this.#partial + this.#decoder.write(chunk)
    if (text.length > MAX_LINE_CHARS) {
      this.#partial = ''
      return text.endsWith('\n') ? text : `${text}\n`
    }
    const end = text.lastIndexOf('\n') + 1
    this.#partial = text.slice(end)
    return text.slice(0, end)
  }

  /**
   * The unfinished line, completed with a newline ('' when there is none). Bytes of a character not
   * complete yet stay in the decoder; `end` also gives those, when the pipe closed.
   */
  flush(end = false): string {
    const text = this.#partial + (end ? this.#decoder.end() : '')
    this.#partial = ''
    return text.length === 0 ? '' : `${text}\n`
  }
}

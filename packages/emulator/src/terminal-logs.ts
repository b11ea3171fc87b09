/**
 * The handler's own output in the terminal: the log stream files followed across environments (one
 * file per environment, new files as environments start), each line prefixed by the function and the
 * environment's short id. Lines the runtime client writes (`time\trequest id\tLEVEL\tmessage`) and JSON
 * lines (Powertools) are shown readably, errors with their type, message and stack; `raw` shows every
 * line as written. Colour through `util.styleText`, only when asked (a TTY without NO_COLOR).
 */
import { open, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { styleText } from 'node:util'
import { shortId } from './view.js'
import type { TraceSegment } from './xray-protocol.js'

/** How lines are shown. */
export interface LogFormat {
  readonly raw?: boolean
  readonly color?: boolean
}

type Style = Parameters<typeof styleText>[0]

const paint = (format: LogFormat, style: Style, text: string): string =>
  format.color === true ? styleText(style, text, { validateStream: false }) : text

const LEVEL_STYLES: Record<string, Style> = {
  TRACE: 'gray',
  DEBUG: 'gray',
  INFO: 'green',
  WARN: 'yellow',
  WARNING: 'yellow',
  ERROR: 'red',
  FATAL: 'red',
  CRITICAL: 'red',
}

const level = (format: LogFormat, name: string): string =>
  paint(format, LEVEL_STYLES[name.toUpperCase()] ?? 'white', name.toUpperCase().padEnd(5))

/** `2026-12-04T16:31:26.131Z` → `16:31:26.131`. */
const clock = (timestamp: unknown): string => {
  const text = String(timestamp ?? '')
  const time = /T(\d\d:\d\d:\d\d(?:\.\d+)?)/.exec(text)
  return time ? (time[1] as string).slice(0, 12) : text
}

/** Powertools and runtime fields shown in the line itself, not repeated as key fields. */
const SHOWN = new Set([
  'level',
  'message',
  'msg',
  'timestamp',
  'time',
  'service',
  'xray_trace_id',
  'sampling_rate',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'cold_start',
  'requestId',
  'error',
])
const MAX_KEY_FIELDS = 4

const keyFields = (record: Record<string, unknown>): string =>
  Object.entries(record)
    .filter(([key]) => !SHOWN.has(key))
    .slice(0, MAX_KEY_FIELDS)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ')

interface ErrorRecord {
  readonly errorType?: unknown
  readonly errorMessage?: unknown
  readonly stack?: unknown
  readonly trace?: unknown
}

const isErrorRecord = (value: unknown): value is ErrorRecord =>
  typeof value === 'object' && value !== null && ('errorType' in value || 'errorMessage' in value)

const stackLines = (error: ErrorRecord): string[] => {
  const stack = error.stack ?? error.trace
  const lines = Array.isArray(stack) ? stack.map(String) : typeof stack === 'string' ? stack.split('\n') : []
  // The first line repeats type and message.
  return lines.filter((line) => /^\s*at /.test(line)).map((line) => `    ${line.trim()}`)
}

/** What a person can do about an error the runtime reports. */
const hintFor = (error: ErrorRecord, typescript: boolean): string | null => {
  if (error.errorType === 'Runtime.ImportModuleError' && typescript)
    return 'hint: the handler is TypeScript: serve it with --template (bundled with esbuild), or bundle it and point --code-dir at the output'
  if (error.errorType === 'Runtime.ImportModuleError')
    return 'hint: a module the handler imports is missing from the code folder (bundle it, or install it there)'
  if (error.errorType === 'Runtime.HandlerNotFound')
    return 'hint: the handler setting names an export the file does not have (file.export)'
  return null
}

/** An error as type, message, stack (file and line), and a hint. */
const formatError = (format: LogFormat, error: ErrorRecord, typescript: boolean): string => {
  const head = paint(
    format,
    'red',
    `${String(error.errorType ?? 'Error')}: ${String(error.errorMessage ?? '')}`,
  )
  const hint = hintFor(error, typescript)
  return [
    head,
    ...stackLines(error),
    ...(hint === null ? [] : [paint(format, 'yellow', `    ${hint}`)]),
  ].join('\n')
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** `2026-…Z\t<request id>\tINFO\tmessage` (and `undefined` as the request id during init). */
const RUNTIME_LINE = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\t(\S+)\t([A-Z]+)\t([\s\S]*)$/

/**
 * One log stream line for the terminal, or null when it is not worth one (START, END and INIT_START
 * unless `raw`: the invocation line says it).
 *
 * @example
 * ```ts
 * formatLogLine('2026-12-04T10:00:00.000Z\tabc\tINFO\tsaved order 42', {})     // '10:00:00.000 INFO  saved order 42'
 * formatLogLine('{"level":"WARN","message":"slow","timestamp":"…","ms":900}', {}) // '… WARN  slow ms=900'
 * ```
 */
export const formatLogLine = (line: string, format: LogFormat, typescript = false): string | null => {
  if (format.raw === true) return line
  if (/^(START|END|INIT_START|INIT_REPORT) /.test(line)) return null
  if (line.startsWith('REPORT ')) return formatReport(line, format)
  const runtime = RUNTIME_LINE.exec(line)
  if (runtime) {
    const [, time, , name, message] = runtime as unknown as [string, string, string, string, string]
    const tab = message.indexOf('\t')
    const error = tab === -1 ? undefined : parseJson(message.slice(tab + 1))
    const text = isErrorRecord(error)
      ? `${message.slice(0, tab).trim()} ${formatError(format, error, typescript)}`
      : formatJsonOrText(message, format, typescript)
    return `${clock(time)} ${level(format, name)} ${text}`
  }
  return formatJsonOrText(line, format, typescript)
}

const formatJsonOrText = (text: string, format: LogFormat, typescript: boolean): string => {
  const record = text.startsWith('{') ? parseJson(text) : undefined
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return text
  const fields = record as Record<string, unknown>
  if (isErrorRecord(fields) && fields.level === undefined) return formatError(format, fields, typescript)
  const name = String(fields.level ?? 'INFO')
  const message = String(fields.message ?? fields.msg ?? '')
  const extra = keyFields(fields)
  const error = isErrorRecord(fields.error) ? `\n${formatError(format, fields.error, typescript)}` : ''
  const time = fields.timestamp ?? fields.time
  return `${time === undefined ? '' : `${clock(time)} `}${level(format, name)} ${message}${extra === '' ? '' : ` ${paint(format, 'dim', extra)}`}${error}`
}

/** `REPORT … Duration: 3.05 ms … Max Memory Used: 63 MB Init Duration: 92 ms` → one short line. */
const formatReport = (line: string, format: LogFormat): string => {
  const field = (name: string): string | undefined =>
    new RegExp(`${name}: ([^\\t]+?)(?:\\t|$)`).exec(line)?.[1]?.trim()
  const init = field('Init Duration')
  const status = field('Status')
  const start = init === undefined ? 'warm' : `cold (init ${init})`
  const memory = `${field('Max Memory Used') ?? '?'} of ${field('Memory Size') ?? '?'}`
  const tail = status === undefined ? '' : ` ${paint(format, 'red', `status ${status}`)}`
  return paint(format, 'dim', `REPORT ${start}, ${field('Duration') ?? '?'}, memory ${memory}`) + tail
}

/** One file being followed. */
interface Followed {
  offset: number
  rest: string
}

/** Options of `followLogs`. */
export interface FollowOptions extends LogFormat {
  /** Only this function's streams. */
  readonly functionName?: string
  /** Print what the files hold already (true for `logs`), or only what comes after the start. */
  readonly fromStart?: boolean
  /** Streams last written at or after this time (ms) are printed whole, even when they predate the follower. */
  readonly since?: number
  /** How often the folder is read. Default 100 ms. */
  readonly pollMs?: number
  /** Functions whose handler is TypeScript (for the import error hint). */
  readonly typescript?: ReadonlySet<string>
  readonly print: (line: string) => void
}

const listStreams = async (logDir: string, functionName?: string): Promise<[string, string][]> => {
  let functions: string[]
  try {
    functions = functionName === undefined ? await readdir(logDir) : [functionName]
  } catch {
    return []
  }
  const streams: [string, string][] = []
  for (const fn of functions) {
    try {
      for (const name of await readdir(join(logDir, fn)))
        if (name.endsWith('.log')) streams.push([fn, join(logDir, fn, name)])
    } catch {
      // Not a folder of streams (unrun-events files, or gone).
    }
  }
  return streams
}

const sizeOf = (file: string): Promise<number> =>
  stat(file).then(
    (stats) => stats.size,
    () => 0,
  )

const writtenSince = (file: string, since: number | undefined): Promise<boolean> =>
  since === undefined
    ? Promise.resolve(false)
    : stat(file).then(
        (stats) => stats.mtimeMs >= since,
        () => false,
      )

const readFrom = async (file: string, offset: number): Promise<Buffer> => {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    if (size <= offset) return Buffer.alloc(0)
    const buffer = Buffer.alloc(size - offset)
    await handle.read(buffer, 0, buffer.length, offset)
    return buffer
  } finally {
    await handle.close()
  }
}

/**
 * Follows every log stream file under `logDir` (`<logDir>/<function>/<stream>.log`), new ones included,
 * and prints each new line prefixed by the function and the environment's short id.
 *
 * @example
 * ```ts
 * const follower = followLogs(emulator.logDir, { print: (line) => console.log(line), color: true })
 * // api 4b0fb0aa │ 16:31:26.131 INFO  greeting ada
 * await follower.stop()
 * ```
 */
export const followLogs = (
  logDir: string,
  options: FollowOptions,
): { readonly ready: Promise<void>; stop(): Promise<void> } => {
  const files = new Map<string, Followed>()
  let first = true
  let stopped = false
  const poll = async (): Promise<void> => {
    for (const [fn, file] of await listStreams(logDir, options.functionName)) {
      let followed = files.get(file)
      if (followed === undefined) {
        // Streams there before a follower without fromStart are followed from their end.
        const skip = first && options.fromStart !== true && !(await writtenSince(file, options.since))
        followed = { offset: skip ? await sizeOf(file) : 0, rest: '' }
        files.set(file, followed)
      }
      const chunk = await readFrom(file, followed.offset).catch(() => Buffer.alloc(0))
      if (chunk.length === 0) continue
      followed.offset += chunk.length
      const lines = (followed.rest + chunk.toString('utf8')).split('\n')
      followed.rest = lines.pop() ?? ''
      const prefix = paint(options, 'cyan', `${fn} ${shortId(file.replace(/\.log$/, ''))}`)
      for (const line of lines) {
        const shown = formatLogLine(line, options, options.typescript?.has(fn) === true)
        if (shown !== null && line !== '')
          options.print(
            shown
              .split('\n')
              .map((part) => `${prefix} │ ${part}`)
              .join('\n'),
          )
      }
    }
    first = false
  }
  let running = poll()
  const ready = running.catch(() => {})
  const timer = setInterval(() => {
    running = running.then(poll).catch(() => {})
  }, options.pollMs ?? 100)
  return {
    /** Settles once the streams there at the start are known (lines after it are all printed). */
    ready,
    async stop() {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      // One last read: lines written just before the stop are still shown.
      running = running.then(poll).catch(() => {})
      await running
    },
  }
}

/** The annotations `@lambda-lifetime/tracer` writes, shown in this order on a segment's line. */
const CONTAINER_ANNOTATIONS = ['container_id', 'invocation', 'start_type', 'idle_ms'] as const

/** What a segment line needs: the segment and the function its trace went through. */
export interface SegmentLine {
  readonly functionName: string | null
  readonly environmentId: string | null
  readonly segment: TraceSegment
}

/**
 * One compact line per X-Ray segment the emulator received: the function and environment, the trace,
 * the segment's name and duration, a fault or error, and the container annotations when it has them.
 * Lambda's own segment for an invocation (`AWS::Lambda::Function`) gets none: the invocation's line
 * says it already.
 *
 * @example
 * ```ts
 * formatSegmentLine({ functionName: 'orders-api', environmentId, segment }, {})
 * // 'orders-api env 0c043fa4 trace 1-6b12e7b6-…a1b2c3d4 ## index.handler 12 ms container_id=cc24dc21 invocation=2 start_type=warm idle_ms=1502'
 * ```
 */
export const formatSegmentLine = (line: SegmentLine, format: LogFormat): string | null => {
  const { segment } = line
  if (segment.origin === 'AWS::Lambda::Function') return null
  const where =
    line.functionName === null
      ? ''
      : `${line.functionName}${line.environmentId === null ? '' : ` env ${shortId(line.environmentId)}`} `
  const trace = `trace ${segment.traceId.slice(0, 11)}…${segment.traceId.slice(-8)}`
  const took = segment.endMs === null ? 'in progress' : `${Math.round(segment.endMs - segment.startMs)} ms`
  const failed = segment.fault ? ' fault' : segment.error ? ' error' : ''
  const annotations = CONTAINER_ANNOTATIONS.filter((key) => key in segment.annotations).map((key) => {
    const value = segment.annotations[key]
    return `${key}=${key === 'container_id' ? shortId(String(value)) : String(value)}`
  })
  const text = `${where}${paint(format, 'gray', trace)} ${paint(format, 'cyan', segment.name)} ${took}`
  return `${text}${paint(format, 'red', failed)}${annotations.length > 0 ? ` ${annotations.join(' ')}` : ''}`
}

import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { emitPackageWarning, rules, validateOptions } from '@lambda-lifetime/commons'
import { type CloudWatchSource, readCloudWatchLines } from './cloudwatch.js'
import { MAX_LINE_CHARS } from './limits.js'

/** Where {@link readLifecycleLines} reads: paths (files, folders, `-` for stdin), a stream, or CloudWatch Logs. */
export type LineSource = string | readonly string[] | NodeJS.ReadableStream | CloudWatchSource

/** Options of {@link readLifecycleLines}. */
export interface ReadLinesOptions {
  /** What `-` reads. Default `process.stdin`. */
  stdin?: NodeJS.ReadableStream
  /**
   * Told about each entry of a folder that was skipped (a dangling symlink, a symlink loop, a file or folder
   * already read through another path, one that cannot be opened, a socket or pipe). Default: a process
   * warning.
   */
  onWarning?: (message: string) => void
}

const isStream = (source: LineSource): source is NodeJS.ReadableStream =>
  typeof (source as NodeJS.ReadableStream).pipe === 'function'

const READ_LINES_SCHEMA = {
  stdin: rules.custom(
    (value) => typeof (value as { pipe?: unknown } | null)?.pipe === 'function',
    'a readable stream',
  ),
  onWarning: rules.function(),
}

/**
 * Cuts text that arrives in pieces into lines, keeping at most `MAX_LINE_CHARS + 1` code units of a line:
 * a longer line is cut there (the parser counts it as too long) and the rest is dropped up to the next
 * `\n`, so a huge line costs neither memory nor time beyond one pass over its bytes.
 */
class LineSplitter {
  #pending: string[] = []
  #pendingChars = 0

  /** The lines completed by `text`. */
  push(text: string): string[] {
    const lines: string[] = []
    let start = 0
    let end = text.indexOf('\n')
    while (end >= 0) {
      this.#append(text.slice(start, end))
      lines.push(this.#take())
      start = end + 1
      end = text.indexOf('\n', start)
    }
    this.#append(text.slice(start))
    return lines
  }

  /** The last line, when the text did not end with `\n`. */
  end(): string | null {
    return this.#pendingChars === 0 ? null : this.#take()
  }

  #append(piece: string): void {
    const room = MAX_LINE_CHARS + 1 - this.#pendingChars
    if (room <= 0 || piece === '') return
    const kept = piece.length > room ? piece.slice(0, room) : piece
    this.#pending.push(kept)
    this.#pendingChars += kept.length
  }

  #take(): string {
    const line = this.#pending.length === 1 ? (this.#pending[0] as string) : this.#pending.join('')
    this.#pending = []
    this.#pendingChars = 0
    return line
  }
}

/**
 * Splits on `\n` only: the runtime client turns newlines inside one message into `\r`, so a `\r` is not
 * the end of a line (which is why `node:readline` does not fit). Lines above 256 KiB come out cut to
 * 256 KiB + 1 code units, which the parser counts as too long.
 */
export async function* splitLines(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  const splitter = new LineSplitter()
  for await (const chunk of stream) {
    yield* splitter.push(
      typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true }),
    )
  }
  yield* splitter.push(decoder.decode())
  const last = splitter.end()
  if (last !== null) yield last
}

const describeError = (error: unknown): string => {
  const { code, message } = error as { code?: unknown; message?: unknown }
  return typeof code === 'string' ? code : String(message)
}

/** Walks folders once each: a symlink back to a folder (or file) already read would read it again. */
class FolderWalker {
  readonly #seen = new Set<string>()
  readonly #warn: (message: string) => void

  constructor(warn: (message: string) => void) {
    this.#warn = warn
  }

  /** A path given by the user: errors are the user's to see, so they stop the report. */
  async *files(path: string): AsyncGenerator<string> {
    const info = await stat(path)
    if (!info.isDirectory()) {
      yield path
      return
    }
    this.#seen.add(`${info.dev}:${info.ino}`)
    yield* this.#folder(path, await readdir(path))
  }

  async *#folder(path: string, names: readonly string[]): AsyncGenerator<string> {
    const visible = names.filter((name) => !name.startsWith('.')).sort((a, b) => a.localeCompare(b))
    for (const name of visible) yield* this.#entry(join(path, name))
  }

  async *#subfolder(path: string): AsyncGenerator<string> {
    let names: string[]
    try {
      names = await readdir(path)
    } catch (error) {
      this.#warn(`skipped ${path}: ${describeError(error)}`)
      return
    }
    yield* this.#folder(path, names)
  }

  /** An entry found in a folder: one broken entry is skipped with a warning, never the whole report. */
  async *#entry(path: string): AsyncGenerator<string> {
    let info: Awaited<ReturnType<typeof stat>>
    try {
      info = await stat(path)
    } catch (error) {
      this.#warn(`skipped ${path}: ${describeError(error)}`)
      return
    }
    const identity = `${info.dev}:${info.ino}`
    if (this.#seen.has(identity)) {
      this.#warn(`skipped ${path}: already read through another path (a symlink)`)
      return
    }
    this.#seen.add(identity)
    if (info.isDirectory()) yield* this.#subfolder(path)
    else if (info.isFile()) yield path
    // A pipe or socket in a log folder could block the read for ever.
    else this.#warn(`skipped ${path}: not a regular file or folder`)
  }
}

const linesOfFile = (path: string): AsyncGenerator<string> => {
  const source = createReadStream(path)
  if (!path.endsWith('.gz')) return splitLines(source)
  // CloudWatch exports to S3 are gzip files, one per stream. pipeline() hands an error of the file (not
  // found, not readable) on to the gunzip stream, where pipe() would leave the reader waiting for ever.
  const gunzip = createGunzip()
  pipeline(source, gunzip, () => {})
  return splitLines(gunzip)
}

const defaultWarning = (message: string): void => {
  emitPackageWarning('@lambda-lifetime/report', message, 'LAMBDA_LIFETIME_REPORT_SKIPPED_ENTRY')
}

async function* readPaths(paths: readonly string[], options: ReadLinesOptions): AsyncGenerator<string> {
  const warn = options.onWarning ?? defaultWarning
  const walker = new FolderWalker(warn)
  for (const path of paths) {
    if (path === '-') {
      yield* splitLines(options.stdin ?? process.stdin)
      continue
    }
    for await (const file of walker.files(path)) {
      try {
        yield* linesOfFile(file)
      } catch (error) {
        // A file you named is yours to fix; one found in a folder must not stop the report.
        if (file === path) throw error
        warn(`skipped ${file} (or its rest): ${describeError(error)}`)
      }
    }
  }
}

/**
 * Reads log lines, one string each, from files, folders of log stream files (recursively, `.gz` included,
 * each file once even when symlinks lead to it again), standard input (`-`), any readable stream, or
 * CloudWatch Logs (`{ logGroup, since }`). A broken entry inside a folder (dangling symlink, symlink loop,
 * unreadable file) is skipped with a warning; a path you give that cannot be read is an error. Lines are
 * not filtered here: {@link buildReport} classifies them.
 *
 * @example
 * ```ts
 * import { buildReport, readLifecycleLines } from '@lambda-lifetime/report'
 *
 * const fromFiles = await buildReport(readLifecycleLines(['.lambda-lifetime/logs', 'extra.log']))
 * const fromCloud = await buildReport(readLifecycleLines({ logGroup: '/aws/lambda/orders', since: '24h' }))
 * ```
 */
export const readLifecycleLines = (
  source: LineSource,
  options: ReadLinesOptions = {},
): AsyncIterable<string> => {
  validateOptions('@lambda-lifetime/report', READ_LINES_SCHEMA, options, {
    label: 'readLifecycleLines options',
  })
  if (typeof source === 'string') return readPaths([source], options)
  if (isStream(source)) return splitLines(source)
  if ('logGroup' in source) return readCloudWatchLines(source)
  return readPaths(source, options)
}

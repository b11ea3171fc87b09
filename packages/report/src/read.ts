import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createGunzip } from 'node:zlib'
import { type CloudWatchSource, readCloudWatchLines } from './cloudwatch.js'

/** Where {@link readLifecycleLines} reads: paths (files, folders, `-` for stdin), a stream, or CloudWatch Logs. */
export type LineSource = string | readonly string[] | NodeJS.ReadableStream | CloudWatchSource

/** Options of {@link readLifecycleLines}. */
export interface ReadLinesOptions {
  /** What `-` reads. Default `process.stdin`. */
  stdin?: NodeJS.ReadableStream
}

const isStream = (source: LineSource): source is NodeJS.ReadableStream =>
  typeof (source as NodeJS.ReadableStream).pipe === 'function'

/**
 * Splits on `\n` only: the runtime client turns newlines inside one message into `\r`, so a `\r` is not
 * the end of a line (which is why `node:readline` does not fit).
 */
export async function* splitLines(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let rest = ''
  for await (const chunk of stream) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true })
    let start = 0
    let end = rest.indexOf('\n')
    while (end >= 0) {
      yield rest.slice(start, end)
      start = end + 1
      end = rest.indexOf('\n', start)
    }
    rest = rest.slice(start)
  }
  rest += decoder.decode()
  if (rest !== '') yield rest
}

async function* filesUnder(path: string): AsyncGenerator<string> {
  const info = await stat(path)
  if (!info.isDirectory()) {
    yield path
    return
  }
  const entries = await readdir(path, { withFileTypes: true })
  entries.sort((a, b) => a.name.localeCompare(b.name))
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    yield* filesUnder(join(path, entry.name))
  }
}

const openFile = (path: string): NodeJS.ReadableStream =>
  // CloudWatch exports to S3 are gzip files, one per stream.
  path.endsWith('.gz') ? createReadStream(path).pipe(createGunzip()) : createReadStream(path)

async function* readPaths(paths: readonly string[], options: ReadLinesOptions): AsyncGenerator<string> {
  for (const path of paths) {
    if (path === '-') {
      yield* splitLines(options.stdin ?? process.stdin)
      continue
    }
    for await (const file of filesUnder(path)) yield* splitLines(openFile(file))
  }
}

/**
 * Reads log lines, one string each, from files, folders of log stream files (recursively, `.gz` included),
 * standard input (`-`), any readable stream, or CloudWatch Logs (`{ logGroup, since }`). Lines are not
 * filtered here: {@link buildReport} classifies them.
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
  if (typeof source === 'string') return readPaths([source], options)
  if (isStream(source)) return splitLines(source)
  if ('logGroup' in source) return readCloudWatchLines(source)
  return readPaths(source, options)
}

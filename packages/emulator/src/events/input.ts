/**
 * Events from the command line: the flags of `lambda-lifetime event <source>` turned into
 * `SampleEventOptions` (checked against what the source reads), and the `--event` argument of
 * `lambda-lifetime invoke` read from a file or standard input, with errors that say what is wrong
 * instead of sending `{}`.
 *
 * Wiring:
 * - `event <source> --path /orders/1 --method POST --body '{"a":1}'`: parse the flags as strings (the CLI's
 *   parser), `sampleEvent(source, eventOptionsFromFlags(source, flags))`, print it.
 * - `invoke <function> --event file.json` / `--event -` / `--payload '{…}'` / `--payload file://x.json`:
 *   `await readEventInput(value, { readStdin: () => text(process.stdin) })` gives the payload text.
 */
import { statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { EVENT_SOURCES, type EventSourceName, type SampleEventOptions } from './samples.js'

const PACKAGE = '@lambda-lifetime/emulator'

/** Options whose flag value is JSON (objects); the others are text, except `size` (a number). */
const JSON_OPTIONS = new Set(['pathParameters', 'headers', 'query', 'detail', 'keys', 'newImage', 'oldImage'])
/** Options that take text or, when it parses as a JSON object, that object. */
const BODY_OPTIONS = new Set(['body', 'message', 'data'])

const flagError = (message: string): TypeError =>
  new TypeError(`${PACKAGE}: ${message}`, { cause: { package: PACKAGE } })

/** `path-parameters`, `detail_type` and `detailType` all name `detailType`. */
const optionName = (flag: string): string =>
  flag.replace(/^--?/, '').replace(/[-_]([a-z])/g, (_, letter: string) => letter.toUpperCase())

/**
 * Turns `lambda-lifetime event <source>` flags into sample options. Flag names may be kebab-case
 * (`--detail-type`); object options are JSON; an option the source does not read is a `TypeError` that
 * lists the ones it does.
 *
 * @example
 * ```ts
 * eventOptionsFromFlags('s3', { bucket: 'uploads', key: 'a.png', size: '10' })
 * // { bucket: 'uploads', key: 'a.png', size: 10 }
 * ```
 */
export const eventOptionsFromFlags = (
  source: EventSourceName,
  flags: Readonly<Record<string, string>>,
): SampleEventOptions => {
  const info = EVENT_SOURCES.find((item) => item.name === source)
  if (info === undefined) throw flagError(`unknown event source ${JSON.stringify(source)}`)
  const allowed = new Set<string>([...info.options, 'region', 'accountId'])
  const options: Record<string, unknown> = {}
  for (const [flag, text] of Object.entries(flags)) {
    const name = optionName(flag)
    if (!allowed.has(name)) {
      throw flagError(
        `event ${source} has no option --${flag}; it takes ${[...allowed].map((item) => `--${item}`).join(', ')}`,
      )
    }
    options[name] = parseFlagValue(name, text)
  }
  return options as SampleEventOptions
}

const parseFlagValue = (name: string, text: string): unknown => {
  if (name === 'size') {
    const size = Number(text)
    if (!Number.isInteger(size) || size < 0)
      throw flagError(`--size must be a whole number of bytes, got ${JSON.stringify(text)}`)
    return size
  }
  if (JSON_OPTIONS.has(name)) {
    const value = parseJson(text)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw flagError(`--${name} must be a JSON object, e.g. '{"id":"1"}'`)
    }
    return value
  }
  if (BODY_OPTIONS.has(name)) {
    const value = parseJson(text)
    return typeof value === 'object' && value !== null ? value : text
  }
  return text
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Where `readEventInput` reads standard input from (injected, so a test never touches the real one). */
export interface EventInputSource {
  readonly readStdin: () => Promise<string>
  /** Base folder of relative file names. Default the working directory. */
  readonly cwd?: string
}

/**
 * Reads an event argument: `-` is standard input, `file://path` or the path of an existing file is that
 * file, anything else must be JSON itself. The text must be JSON: an error names the file (or standard
 * input) and JSON's reason, so a wrong path never turns into an empty event.
 *
 * @example
 * ```ts
 * await readEventInput('events/s3.json', { readStdin })  // the file's text
 * await readEventInput('-', { readStdin })               // what was piped in
 * await readEventInput('{"id":1}', { readStdin })        // the JSON as given
 * ```
 */
export const readEventInput = async (value: string, io: EventInputSource): Promise<string> => {
  const { text, origin } = await eventText(value, io)
  try {
    JSON.parse(text)
  } catch (error) {
    throw flagError(`the event in ${origin} is not JSON: ${(error as Error).message}`)
  }
  return text
}

const eventText = async (value: string, io: EventInputSource): Promise<{ text: string; origin: string }> => {
  if (value === '-') {
    const text = await io.readStdin()
    if (text.trim() === '')
      throw flagError('standard input is empty: pipe an event in (invoke fn --event - < event.json)')
    return { text, origin: 'standard input' }
  }
  const explicitFile = value.startsWith('file://')
  const file = resolve(io.cwd ?? process.cwd(), explicitFile ? value.slice('file://'.length) : value)
  if (explicitFile || isFile(file)) {
    try {
      return { text: await readFile(file, 'utf8'), origin: file }
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
      throw flagError(`cannot read the event file ${file}: ${reason}`)
    }
  }
  if (/^\s*[[{"]/.test(value) || parseJson(value) !== undefined)
    return { text: value, origin: 'the argument' }
  throw flagError(`the event ${JSON.stringify(value)} is neither a file nor JSON (no such file: ${file})`)
}

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}
